// Builds the actor pipeline from a validated configuration and runs it to its end.
#pragma once

#include "config/config.hpp"

namespace pg2sr::engine {

/// Runs until the source ends (bounded synthetic run), SIGINT/SIGTERM (drain what is in
/// flight, persist the checkpoint, exit 0), or a failing actor (clear error, exit 1,
/// nothing acknowledged past what was applied). Returns the process exit code.
int run_pipeline(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
