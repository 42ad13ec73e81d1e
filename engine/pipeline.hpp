// Builds the actor pipeline from a validated configuration and runs it to its end.
#pragma once

#include <cstdint>

#include "config/config.hpp"

namespace pg2sr::engine {

/// Runs until the source ends (bounded synthetic run), SIGINT/SIGTERM (drain what is in
/// flight, persist the checkpoint, exit 0), or a failing actor (clear error, exit 1,
/// nothing acknowledged past what was applied). Returns the process exit code.
struct run_options {
  std::uint64_t stop_at_lsn = 0;  ///< live source: end the stream once reached (0 = never)
};

int run_pipeline(const config::pipeline_config& cfg, const run_options& options = {});

}  // namespace pg2sr::engine
