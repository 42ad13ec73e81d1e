// The running pipeline's status in state_dir/status.json, rewritten every status interval,
// so that `pg2sr status` (another process) can show it.
#pragma once

#include <filesystem>
#include <string>

#include "actors/core/metrics.hpp"

namespace pg2sr::engine {

/// Everything `pg2sr status` shows, as JSON text.
std::string status_json(const std::string& pipeline, const actors::pipeline_metrics& m, double events_per_sec,
                        double snapshot_rows_per_sec, const std::string& state);

/// Replaces state_dir/status.json (write a temporary file, rename). Errors are ignored:
/// status is for humans and must never stop the pipeline.
void write_status_file(const std::filesystem::path& state_dir, const std::string& json);

/// `pg2sr status`: the lines to print for the status file in `state_dir`, or why there is none.
std::string describe_status_file(const std::filesystem::path& state_dir);

}  // namespace pg2sr::engine
