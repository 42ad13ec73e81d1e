// The live-test fixture: pg2sr (postgres source -> jsonl) as a child process.
#include "tests/engine/live_pipeline.hpp"

#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "codecs/pgoutput/lsn.hpp"

namespace pg2sr::test {

live_pipeline::live_pipeline(const std::string& name, int port, const std::string& dbname,
                             const std::string& extra_toml, const std::string& extra_source_toml)
    : name_(name), slot_("pg2sr_" + name), port_(port), dbname_(dbname),
      dir_(std::filesystem::temp_directory_path() / ("pg2sr_live_" + name)) {
  if (auto at = extra_source_toml.find("slot = \""); at != std::string::npos) {
    auto begin = at + 8;
    slot_ = extra_source_toml.substr(begin, extra_source_toml.find('"', begin) - begin);
  }
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  conn_ = connect("host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=" + dbname);
  exec(conn_.get(), "CREATE TABLE IF NOT EXISTS public.pg2sr_sentinel (id int PRIMARY KEY)");
  exec(conn_.get(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
                        slot() + "' AND NOT active");
  // Own range of internal sentinel ids: several pipelines may share a database.
  next_internal_sentinel_ = 1'000'000 + static_cast<int>(std::hash<std::string>{}(dir_.string()) % 1000) * 1000;
  rewrite_config(extra_toml, extra_source_toml);
}

live_pipeline::~live_pipeline() {
  if (process_) {
    process_->kill(SIGKILL);
    process_->wait();
  }
  try {
    // The walsender may still hold the slot for a moment after pg2sr exits.
    for (int i = 0; i < 100; ++i) {
      auto active = query(conn_.get(), "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot() + "'");
      if (active.empty() || active[0][0] == "f") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    exec(conn_.get(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
                          slot() + "' AND NOT active");
  } catch (...) {
  }
}

void live_pipeline::rewrite_config(const std::string& extra_toml, const std::string& extra_source_toml) {
  std::ofstream(dir_ / "p.toml") << "[pipeline]\nname = \"" << name_ << "\"\nstate_dir = \"" << (dir_ / "state").string()
                                 << "\"\nstatus_interval = \"1s\"\n[source]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\n"
                                 << "port = " << port_ << "\ndbname = \"" << dbname_ << "\"\nuser = \"postgres\"\n"
                                 << "status_interval = \"500ms\"\npassword_env = \"PG2SR_LIVE_TEST_PASSWORD\"\n" << extra_source_toml << "\n"
                                 << (extra_toml.find("[snapshot]") == std::string::npos ? "[snapshot]\nmode = \"never\"\n" : "")
                                 << "[batch]\nflush_interval = \"100ms\"\n"
                                 << (extra_toml.find("[sink]") == std::string::npos
                                         ? "[sink]\nkind = \"jsonl\"\npath = \"" + (dir_ / "out.jsonl").string() + "\"\n"
                                         : std::string())
                                 << extra_toml;
}

void live_pipeline::reconnect() {
  conn_ = connect("host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname_);
}

void live_pipeline::start_nowait() {
  // Trust authentication ignores it; the tests check it never shows up in the log.
  setenv("PG2SR_LIVE_TEST_PASSWORD", live_test_password, 1);
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{std::getenv("PG2SR_BINARY"), "run", "-c", (dir_ / "p.toml").string()},
      (dir_ / "pg2sr.log").string());
}

bool live_pipeline::wait_for_log(const std::string& text, std::chrono::seconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool live_pipeline::wait_for_snapshots(const std::vector<std::string>& tables, std::chrono::seconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (const auto& t : tables) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(until - std::chrono::steady_clock::now());
    if (!wait_for_log("snapshot of " + t + " done", std::max(left, std::chrono::seconds(1)))) return false;
  }
  return true;
}

void live_pipeline::start() {
  auto lines_before = log().size();
  start_nowait();
  // A slot created at start may begin past earlier commits: wait for the stream itself.
  auto streaming = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (log().find("streaming slot", lines_before) == std::string::npos) {
    process_result r;
    if (!process_ || process_->try_wait(r) || std::chrono::steady_clock::now() > streaming)
      throw std::runtime_error("pg2sr did not start streaming:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Until the slot exists, commits are not captured: retry with new rows until one arrives.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!wait_for_sentinel(next_internal_sentinel_++, std::chrono::seconds(2)))
    if (!process_ || std::chrono::steady_clock::now() > until)
      throw std::runtime_error("pg2sr did not start streaming:\n" + log());
}

void live_pipeline::stop() {
  process_->kill(SIGTERM);
  auto r = process_->wait();
  process_.reset();
  if (r.exit_code != 0) throw std::runtime_error("pg2sr did not stop cleanly:\n" + log());
}

void live_pipeline::kill9() {
  process_->kill(SIGKILL);
  process_->wait();
  process_.reset();
}

std::string live_pipeline::log() const { return read_text((dir_ / "pg2sr.log").string()); }

bool live_pipeline::wait_for_sentinel(int id, std::chrono::seconds timeout) {
  exec(conn_.get(), "INSERT INTO public.pg2sr_sentinel VALUES (" + std::to_string(id) + ") ON CONFLICT DO NOTHING");
  // Durable (acknowledged to PostgreSQL) past the sentinel's commit means every earlier
  // commit is in the jsonl too, whichever table it touched.
  auto target = codecs::parse_lsn(query(conn_.get(), "SELECT pg_current_wal_insert_lsn()")[0][0]).value();
  std::string confirmed = "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + slot() + "'";
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto rows = query(conn_.get(), confirmed);
    if (!rows.empty() && rows[0][0] != "\\N" && codecs::parse_lsn(rows[0][0]).value_or(0) >= target) return true;
    if (process_) {
      process_result r;
      if (process_->try_wait(r)) {
        process_.reset();
        return false;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

replayed_state live_pipeline::replay() const {
  replayed_state state;
  std::ifstream in(dir_ / "out.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    auto& table = state[j.at("table").get<std::string>()];
    const std::string op = j.at("op");
    if (op == "truncate") {
      table.clear();
      continue;
    }
    std::string key;
    for (const auto& [k, v] : j.at("key").items()) key += (key.empty() ? "" : ",") + (v.is_null() ? "\\N" : v.get<std::string>());
    if (op == "delete") {
      table.erase(key);
      continue;
    }
    auto& row = table[key];
    if (!j.value("partial", false)) row.clear();
    for (const auto& [k, v] : j.at("values").items())
      row[k] = v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>());
  }
  return state;
}

std::vector<std::pair<std::string, std::uint64_t>> live_pipeline::commit_lsns() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::ifstream in(dir_ / "out.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("commit_lsn"))
      out.emplace_back(j.at("table").get<std::string>(), codecs::parse_lsn(j.at("commit_lsn").get<std::string>()).value());
  }
  return out;
}

replayed_table live_pipeline::source_table(const std::string& qualified, const std::string& key) const {
  PGresult* res = PQexec(conn_.get(), ("SELECT * FROM " + qualified).c_str());
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    std::string err = PQresultErrorMessage(res);
    PQclear(res);
    throw std::runtime_error(err);
  }
  replayed_table out;
  int key_col = PQfnumber(res, key.c_str());
  for (int r = 0; r < PQntuples(res); ++r) {
    auto& row = out[PQgetvalue(res, r, key_col)];
    for (int c = 0; c < PQnfields(res); ++c)
      row[PQfname(res, c)] = PQgetisnull(res, r, c) ? std::nullopt : std::optional<std::string>(PQgetvalue(res, r, c));
  }
  PQclear(res);
  return out;
}

std::string compare_tables(const replayed_table& expected, const replayed_table& got) {
  std::string diff;
  int shown = 0;
  for (const auto& [key, row] : expected) {
    auto it = got.find(key);
    if (it == got.end()) {
      if (shown++ < 5) diff += "missing key " + key + "\n";
    } else if (it->second != row) {
      if (shown++ < 5) diff += "different row " + key + "\n";
    }
  }
  for (const auto& [key, row] : got)
    if (!expected.count(key) && shown++ < 5) diff += "extra key " + key + "\n";
  if (expected.size() != got.size())
    diff += "rows: expected " + std::to_string(expected.size()) + ", got " + std::to_string(got.size()) + "\n";
  return diff;
}

}  // namespace pg2sr::test
