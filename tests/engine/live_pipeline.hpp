// A pg2sr process streaming from a real PostgreSQL into a jsonl file, for the live tests:
// start it, write SQL, wait until a sentinel row has arrived (then everything committed
// before it has: commit order), stop it, and replay the jsonl into a keyed state that can
// be compared with SELECT on the source.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace pg2sr::test {

/// table -> key text -> column -> value (nullopt = NULL).
using replayed_rows = std::map<std::string, std::optional<std::string>>;
using replayed_table = std::map<std::string, replayed_rows>;
using replayed_state = std::map<std::string, replayed_table>;

/// The password every live pipeline is configured with (through password_env).
inline constexpr const char* live_test_password = "live-secret-5150";

class live_pipeline {
 public:
  /// `conninfo_base` is "host=... port=... user=..." without dbname; `dbname` must exist.
  /// `extra_toml` is appended at the end of the file (with a [sink] of its own, it replaces
  /// the jsonl sink); `extra_source_toml` goes inside [source].
  live_pipeline(const std::string& name, int port, const std::string& dbname, const std::string& extra_toml = "",
                const std::string& extra_source_toml = "");
  ~live_pipeline();

  /// Starts pg2sr and waits until it streams (a sentinel row went through): commits from
  /// then on are captured. (Earlier ones predate the slot: the snapshot's job.)
  void start();
  /// SIGTERM and wait: asserts a clean exit 0.
  void stop();
  /// kill -9 and wait.
  void kill9();
  /// Rewrites the configuration (same name, slot and state) with other extra TOML; for
  /// changes between runs.
  void rewrite_config(const std::string& extra_toml, const std::string& extra_source_toml = "");
  /// Starts pg2sr without waiting for it to stream (for fault tests).
  void start_nowait();
  /// Waits until the log contains `text`; false on timeout.
  bool wait_for_log(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(30)) const;
  /// Waits until the log says the snapshot of every one of `tables` ("schema.table") is
  /// done: a comparison before that may meet a table whose last chunk is still loading.
  bool wait_for_snapshots(const std::vector<std::string>& tables,
                          std::chrono::seconds timeout = std::chrono::seconds(300)) const;
  bool running() const { return process_ != nullptr; }

  /// Inserts `id` into public.pg2sr_sentinel (created by the constructor) and waits until
  /// pg2sr has acknowledged its commit to PostgreSQL: then every commit before it is in
  /// the jsonl. Returns false on timeout or when pg2sr ended.
  bool wait_for_sentinel(int id, std::chrono::seconds timeout = std::chrono::seconds(90));

  /// Replays the jsonl (upserts, partial upserts, deletes, truncates) in file order.
  replayed_state replay() const;
  /// The jsonl lines as parsed objects' (table, commit_lsn) in file order.
  std::vector<std::pair<std::string, std::uint64_t>> commit_lsns() const;

  /// SELECT of a source table in the same shape as replay() (key column `key`).
  replayed_table source_table(const std::string& qualified, const std::string& key) const;

  PGconn* sql() const { return conn_.get(); }
  /// Opens a new SQL connection (after a server restart killed the old one).
  void reconnect();
  std::string log() const;
  const std::filesystem::path& dir() const { return dir_; }
  std::string slot() const { return slot_; }
  const std::string& dbname() const { return dbname_; }

 private:
  std::string name_;
  std::string slot_;  ///< pg2sr_<name>, or a `slot = "..."` given in extra_source_toml
  int port_;
  std::string dbname_;
  std::filesystem::path dir_;
  pg_conn conn_;
  std::unique_ptr<child_process> process_;
  int next_internal_sentinel_ = 1'000'000;
};

/// "" when equal, else the first differences (for the test message).
std::string compare_tables(const replayed_table& expected, const replayed_table& got);

}  // namespace pg2sr::test
