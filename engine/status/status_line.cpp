#include "engine/status/status_line.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

#include "codecs/pgoutput/lsn.hpp"
#include "config/units.hpp"
#include "engine/logging.hpp"
#include "engine/status/status_file.hpp"

namespace pg2sr::engine {

std::string rate(double per_sec) {
  char buf[32];
  if (per_sec >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", per_sec / 1e6);
  else if (per_sec >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", per_sec / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", per_sec);
  return buf;
}

status_line::status_line(const actors::pipeline_metrics& m, std::string pipeline, std::filesystem::path state_dir)
    : m_(m),
      terminal_(::isatty(STDERR_FILENO) == 1),
      pipeline_(std::move(pipeline)),
      state_dir_(std::move(state_dir)),
      last_(std::chrono::steady_clock::now()) {}

void status_line::finish(const std::string& state) {
  write_status_file(state_dir_, status_json(pipeline_, m_, 0, 0, state));
}

void status_line::log() {
  auto now = std::chrono::steady_clock::now();
  double secs = std::max(1e-3, std::chrono::duration<double>(now - last_).count());
  std::uint64_t events = m_.events.load(), bytes = m_.source_bytes.load();
  std::uint64_t durable = m_.durable_lsn.load(), source = m_.source_lsn.load();
  std::string status = fmt::format("status: {} events/s, {}B/s, in flight {}, rows loaded {}, durable LSN {}, lag {}",
                                   rate(static_cast<double>(events - events_) / secs),
                                   rate(static_cast<double>(bytes - bytes_) / secs),
                                   config::format_size(m_.in_flight_bytes.load()), m_.rows_loaded.load(),
                                   codecs::format_lsn(durable),
                                   config::format_size(source > durable ? source - durable : 0));
  if (!slot_.empty()) status += ", slot " + slot_;
  double snapshot_rate = 0;
  if (auto total = m_.snapshot_chunks_total.load(); total > 0 && m_.snapshot_chunks_done.load() < total) {
    std::uint64_t rows = m_.snapshot_rows_read.load();
    snapshot_rate = static_cast<double>(rows - snapshot_rows_) / secs;
    std::string summary = fmt::format("snapshot: {}/{} chunks durable, {} rows read ({} rows/s)",
                                      m_.snapshot_chunks_done.load(), total, rows, rate(snapshot_rate));
    if (terminal_) {
      draw_progress(status + "\n\033[2K" + summary, snapshot_rate);
    } else {
      spdlog::info("{}", status);
      spdlog::info("{}", summary);
    }
    if (!terminal_)
      for (const auto& t : m_.tables) {
        auto done = t.chunks_done.load(), read = t.rows_read.load();
        if (done == t.chunks_total) continue;
        spdlog::info("snapshot {}: {}/{} chunks, {} of ~{} rows{}", t.name, done, t.chunks_total, read,
                     t.estimated_rows, eta(t, snapshot_rate));
      }
    snapshot_rows_ = rows;
  } else {
    spdlog::info("{}", status);
  }
  write_status_file(state_dir_, status_json(pipeline_, m_, static_cast<double>(events - events_) / secs,
                                            snapshot_rate, "running"));
  events_ = events;
  bytes_ = bytes;
  last_ = now;
}

std::string status_line::eta(const actors::table_progress& t, double rows_per_sec) {
  std::uint64_t read = t.rows_read.load();
  if (rows_per_sec <= 0 || t.estimated_rows <= read) return "";
  return ", ETA " + config::format_duration(
                        std::chrono::seconds(static_cast<long>((t.estimated_rows - read) / rows_per_sec) + 1));
}

// On a terminal: one line per table with a bar, redrawn in place while nothing else was
// logged in between (else drawn anew below).
void status_line::draw_progress(const std::string& head, double rows_per_sec) {
  std::string block = "\033[2K" + head + "\n";
  std::size_t lines = 2;
  for (const auto& t : m_.tables) {
    if (t.chunks_total == 0) continue;
    auto done = t.chunks_done.load();
    constexpr int width = 24;
    int filled = static_cast<int>(width * done / t.chunks_total);
    block += fmt::format("\033[2Ksnapshot {:<32} [{}{}] {}/{} chunks, {} rows{}\n", t.name, std::string(filled, '#'),
                         std::string(width - filled, '.'), done, t.chunks_total, t.rows_read.load(),
                         done == t.chunks_total ? " (done)" : eta(t, rows_per_sec) + ", " + rate(rows_per_sec) + " rows/s");
    ++lines;
  }
  if (drawn_lines_ > 0 && log_lines_written() == lines_at_draw_) std::fprintf(stderr, "\033[%zuA", drawn_lines_);
  std::fputs(block.c_str(), stderr);
  std::fflush(stderr);
  drawn_lines_ = lines;
  lines_at_draw_ = log_lines_written();
}

}  // namespace pg2sr::engine
