// The null sink's set-up for `pg2sr run` (engine/sinks/sink.hpp): loaders that count and
// checksum what they are given (optionally at a fixed rate, standing for a slow target).
#pragma once

#include <memory>

#include "engine/sinks/sink.hpp"

namespace pg2sr::engine {

std::unique_ptr<sink> make_null_sink(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
