// The jsonl sink's set-up for `pg2sr run` (engine/sinks/sink.hpp): one loader appending to
// one file.
#pragma once

#include <memory>

#include "engine/sinks/sink.hpp"

namespace pg2sr::engine {

std::unique_ptr<sink> make_jsonl_sink(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
