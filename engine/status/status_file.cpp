// status.json: written by `pg2sr run`, read by `pg2sr status`.
#include "engine/status/status_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "codecs/pgoutput/lsn.hpp"
#include "config/units.hpp"

namespace pg2sr::engine {

namespace {
std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string status_json(const std::string& pipeline, const actors::pipeline_metrics& m, double events_per_sec,
                        double snapshot_rows_per_sec, const std::string& state) {
  std::uint64_t durable = m.durable_lsn.load(), source = m.source_lsn.load();
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : m.tables)
    tables.push_back({{"table", t.name}, {"chunks_done", t.chunks_done.load()}, {"chunks_total", t.chunks_total},
                      {"rows_read", t.rows_read.load()}, {"estimated_rows", t.estimated_rows}});
  nlohmann::json j{{"pipeline", pipeline},
                   {"pid", ::getpid()},
                   {"state", state},
                   {"updated_at", unix_seconds()},
                   {"events", m.events.load()},
                   {"events_per_sec", events_per_sec},
                   {"rows_loaded", m.rows_loaded.load()},
                   {"in_flight_bytes", m.in_flight_bytes.load()},
                   {"durable_lsn", codecs::format_lsn(durable)},
                   {"source_lsn", codecs::format_lsn(source)},
                   {"lag_bytes", source > durable ? source - durable : 0},
                   {"snapshot", {{"rows_per_sec", snapshot_rows_per_sec}, {"tables", tables}}}};
  return j.dump(2) + "\n";
}

void write_status_file(const std::filesystem::path& state_dir, const std::string& json) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  auto tmp = state_dir / "status.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json;
    if (!out) return;
  }
  std::filesystem::rename(tmp, state_dir / "status.json", ec);
}

std::string describe_status_file(const std::filesystem::path& state_dir) {
  std::ifstream in(state_dir / "status.json");
  if (!in) return "no status in " + state_dir.string() + ": the pipeline has not run with this state_dir\n";
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const std::exception& e) {
    return "status file " + (state_dir / "status.json").string() + " is unreadable: " + e.what() + "\n";
  }
  auto age = unix_seconds() - j.value("updated_at", std::int64_t{0});
  int pid = j.value("pid", 0);
  bool alive = pid > 0 && ::kill(pid, 0) == 0 && j.value("state", "") == "running";
  std::ostringstream out;
  out << "pipeline " << j.value("pipeline", "?") << ": " << (alive ? "running" : j.value("state", "stopped"))
      << " (pid " << pid << ", updated " << age << " s ago)\n";
  out << "  events " << j.value("events", 0ull) << " (" << static_cast<std::uint64_t>(j.value("events_per_sec", 0.0))
      << "/s), rows loaded " << j.value("rows_loaded", 0ull) << ", in flight "
      << config::format_size(j.value("in_flight_bytes", 0ull)) << "\n";
  out << "  durable LSN " << j.value("durable_lsn", "?") << ", read up to " << j.value("source_lsn", "?") << ", lag "
      << config::format_size(j.value("lag_bytes", 0ull)) << "\n";
  const auto& snap = j["snapshot"];
  double rate = snap.value("rows_per_sec", 0.0);
  for (const auto& t : snap["tables"]) {
    auto done = t.value("chunks_done", 0ull), total = t.value("chunks_total", 0ull);
    auto rows = t.value("rows_read", 0ull), estimated = t.value("estimated_rows", 0ull);
    out << "  snapshot " << t.value("table", "?") << ": " << done << "/" << total << " chunks, " << rows << " rows";
    if (done < total && rate > 0 && estimated > rows)
      out << ", ETA " << config::format_duration(std::chrono::seconds(static_cast<long>((estimated - rows) / rate) + 1));
    out << (done == total ? " (done)" : "") << "\n";
  }
  return out.str();
}

}  // namespace pg2sr::engine
