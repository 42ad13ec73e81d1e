// The periodic status line of `pg2sr run` and its status.json: rates since the last line,
// in flight, durable LSN, lag; during a snapshot, progress per table (a live display on a
// terminal).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "actors/core/metrics.hpp"

namespace pg2sr::engine {

/// 1234567.0 -> "1.23M", 1234.0 -> "1.2k", 12.0 -> "12".
std::string rate(double per_sec);

/// Samples the metrics and logs one line: rates since the last line, in-flight, durable,
/// lag; during a snapshot one line per unfinished table; and rewrites status.json.
class status_line {
 public:
  status_line(const actors::pipeline_metrics& m, std::string pipeline, std::filesystem::path state_dir);

  /// Final status.json once the pipeline ended.
  void finish(const std::string& state);
  void log();
  /// What the status line says of the slot from now on ("" for nothing).
  void set_slot(std::string summary) { slot_ = std::move(summary); }

 private:
  static std::string eta(const actors::table_progress& t, double rows_per_sec);
  void draw_progress(const std::string& head, double rows_per_sec);

  const actors::pipeline_metrics& m_;
  bool terminal_;
  std::size_t drawn_lines_ = 0;
  std::uint64_t lines_at_draw_ = 0;
  std::string pipeline_;
  std::filesystem::path state_dir_;
  std::string slot_;
  std::chrono::steady_clock::time_point last_;
  std::uint64_t events_ = 0, bytes_ = 0, snapshot_rows_ = 0;
};

}  // namespace pg2sr::engine
