// The sub-commands of the `pg2sr` executable, each a function returning the exit code.
#pragma once

#include <filesystem>

namespace pg2sr::engine {

/// Exit codes: 0 done, 1 runtime failure, 2 bad configuration or usage.
enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_config = 2 };

/// `pg2sr check -c FILE`: validates the configuration (and, with a live source, the server).
int run_check(const std::filesystem::path& config_file);

/// `pg2sr run -c FILE`: runs the pipeline until it ends or is stopped.
int run_pipeline(const std::filesystem::path& config_file);

}  // namespace pg2sr::engine
