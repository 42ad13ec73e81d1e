// An in-process emulator of StarRocks' Stream Load HTTP protocol (PROTOCOLS.md section 2),
// for tests and demos where no StarRocks can run. It listens on 127.0.0.1 with one FE port
// and one BE port and answers as the real FE and BE do:
//
//   FE  PUT  /api/<db>/<table>/_stream_load        auth (401), Expect check, 307 to the BE
//   FE  POST|PUT /api/transaction/<op>             begin/load/prepare -> 307; commit/rollback
//                                                  of PREPARED/finished txns answered by the FE
//   FE  GET  /api/<db>/get_load_state?label=L      {"state": ..., "status": "OK", ...}
//   BE  PUT  /api/<db>/<table>/_stream_load        the load: labels, parsing, filtering, apply
//   BE  POST|PUT /api/transaction/<op>             transaction stream load (2PC)
//   BE  GET  /api/_load_error_log?file=F           the rows a load filtered (its ErrorURL)
//   FE  /_emulator/...                             admin: create_table, drop_table, dump,
//                                                  fault, clear_faults, discard, stats
//
// Tables live in memory (Primary Key and Duplicate Key models); faults can be injected into
// the next stream loads. Thread-safe.
#pragma once

#include "tests/emulator/table_store.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace pg2sr::test::starrocks {

struct emulator_options {
  std::string host = "127.0.0.1";
  int fe_port = 0;  ///< 0 = any free port
  int be_port = 0;
  std::string user = "root";
  std::string password;
  /// Accept loads and count their rows and bytes without checking tables or storing rows
  /// (throughput benchmarks).
  bool discard = false;
  /// False: a StarRocks before 2.4, without /api/transaction/* (its FE answers 404).
  bool transaction_api = true;
};

/// What the next stream loads do instead of the normal path.
enum class fault_kind {
  fail,             ///< Status "Fail" with a retryable message; the label is freed, nothing applied
  publish_timeout,  ///< Status "Publish Timeout": applied; COMMITTED for `delay`, then VISIBLE
  http_500,         ///< HTTP 500 without JSON; the label is freed, nothing applied
  drop_connection,  ///< the BE reads about half the body and drops the connection; label freed
  slow_response,    ///< the txn stays open (label RUNNING, state PREPARE) for `delay`, then
                    ///< commits and answers
  label_running,    ///< the BE reads the body, drops the connection, keeps the txn open for
                    ///< `delay`, then commits: a retry sees Label Already Exists + RUNNING
};

/// Parses "fail", "publish_timeout", "http_500", "drop_connection", "slow_response",
/// "label_running"; throws std::invalid_argument otherwise.
fault_kind fault_kind_from_string(const std::string& name);

struct fault {
  fault_kind kind = fault_kind::fail;
  int count = 1;                       ///< how many loads it hits
  std::chrono::milliseconds delay{0};  ///< slow_response, label_running, publish_timeout
  std::string message;                 ///< fail: the Message (a realistic retryable one if empty)
};

struct emulator_stats {
  std::uint64_t loads = 0;           ///< stream load requests that reached the BE
  std::uint64_t rows_loaded = 0;     ///< NumberLoadedRows of committed loads
  std::uint64_t rows_filtered = 0;   ///< NumberFilteredRows of all loads
  std::uint64_t bytes_received = 0;  ///< stream load body bytes as received (compressed if so)
  std::uint64_t redirects = 0;       ///< 307s sent by the FE
  std::uint64_t transaction_requests = 0;         ///< /api/transaction/* requests at the BE
  std::map<std::string, std::uint64_t> by_status;  ///< Success, Fail, Publish Timeout,
                                                   ///< Label Already Exists, HTTP 500, Dropped
};

class starrocks_emulator {
 public:
  explicit starrocks_emulator(emulator_options options = {});
  ~starrocks_emulator();  ///< stops
  starrocks_emulator(const starrocks_emulator&) = delete;
  starrocks_emulator& operator=(const starrocks_emulator&) = delete;

  /// Binds both ports and serves in background threads; throws std::runtime_error when a
  /// port cannot be bound.
  void start();
  /// Stops serving; loads held by a delay fault end at once.
  void stop();

  int fe_port() const;
  int be_port() const;
  /// "http://127.0.0.1:<fe_port>"
  std::string fe_url() const;
  std::string be_url() const;

  /// Creates a table; throws std::invalid_argument for a bad schema or an existing table.
  void create_table(const table_schema& schema);
  void drop_table(const std::string& db, const std::string& table);
  /// The rows, sorted by key; throws std::out_of_range for an unknown table.
  table_dump dump(const std::string& db, const std::string& table) const;
  /// Every load that touched the row of `key` (key column texts), oldest first, with what it
  /// did: "<label> upsert|partial|delete|append". For the message of a failed comparison.
  std::vector<std::string> key_history(const std::string& db, const std::string& table,
                                       const std::vector<std::string>& key) const;

  /// What get_load_state would answer: UNKNOWN, PREPARE, PREPARED, COMMITTED, VISIBLE, ABORTED.
  std::string load_state(const std::string& db, const std::string& label) const;

  /// Queues a fault for the next `f.count` stream loads (after the ones already queued).
  void inject_fault(const fault& f);
  void clear_faults();
  /// Loads the queued faults will still hit.
  int pending_faults() const;

  void set_discard(bool discard);
  emulator_stats stats() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace pg2sr::test::starrocks
