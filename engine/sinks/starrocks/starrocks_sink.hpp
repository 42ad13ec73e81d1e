// The StarRocks sink's set-up for `pg2sr run` (engine/sinks/sink.hpp): the target tables
// from pg2sr's mapping, the settling of what a crash left (prepared 2PC loads, loads in
// flight), Stream Load loaders and, with exactly_once, the committer.
#pragma once

#include <memory>

#include "engine/sinks/sink.hpp"

namespace pg2sr::engine {

std::unique_ptr<sink> make_starrocks_sink(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
