// The PostgreSQL sink's set-up for `pg2sr run` (engine/sinks/sink.hpp): target tables
// checked or created before the slot, the source's text settings for the loaders' sessions,
// and the keys and indexes built once the snapshot is in.
#pragma once

#include <memory>

#include "engine/sinks/sink.hpp"

namespace pg2sr::engine {

std::unique_ptr<sink> make_postgres_sink(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
