// Private state of the StarRocks emulator, shared by its FE (starrocks_emulator.cpp) and BE
// (be_handlers.cpp) handler files.
#pragma once

#include "tests/emulator/http_support.hpp"
#include "tests/emulator/label_registry.hpp"
#include "tests/emulator/starrocks_emulator.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pg2sr::test::starrocks {

/// The JSON body a BE stream load answers, in StreamLoadContext::to_json's field order.
struct load_result {
  std::int64_t txn_id = -1;  ///< -1 until a transaction began
  std::string label;
  std::string status = "Success";
  std::string existing_job_status;  ///< with "Label Already Exists"
  std::string message = "OK";
  std::uint64_t total_rows = 0;
  std::uint64_t loaded_rows = 0;
  std::uint64_t filtered_rows = 0;
  std::uint64_t unselected_rows = 0;
  std::uint64_t load_bytes = 0;
  std::int64_t load_time_ms = 0;
  std::int64_t begin_txn_time_ms = 0;
  std::int64_t plan_time_ms = 0;
  std::int64_t read_data_time_ms = 0;
  std::int64_t write_data_time_ms = 0;
  std::int64_t commit_and_publish_time_ms = 0;
  std::string error_url;

  std::string to_json() const;
};

struct starrocks_emulator::impl {
  explicit impl(emulator_options o) : options(std::move(o)), discard(options.discard) {}

  emulator_options options;
  httplib::Server fe;
  httplib::Server be;
  std::thread fe_thread;
  std::thread be_thread;
  int fe_port = 0;
  int be_port = 0;
  bool started = false;

  mutable std::mutex mu;  ///< guards everything below
  std::condition_variable wake;  ///< ends fault delays early on stop
  bool stopping = false;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<table_data>> tables;
  label_registry labels;
  std::deque<fault> faults;
  std::map<std::string, std::string> error_logs;  ///< file name -> rows a load filtered
  std::uint64_t next_error_log = 1;
  emulator_stats stats;
  std::atomic<bool> discard;

  // ---- shared helpers ------------------------------------------------------------------
  bool credentials_ok(const basic_credentials& c) const {
    return c.user == options.user && c.password == options.password;
  }
  std::string be_location(const httplib::Request& req) const {
    return "http://" + options.host + ":" + std::to_string(be_port) + req.target;
  }
  /// Waits `delay` unless the emulator stops first (then false).
  bool wait_for(std::chrono::milliseconds delay);
  // The helpers below expect `mu` held.
  bool database_exists(const std::string& db) const;
  std::shared_ptr<table_data> find_table(const std::string& db, const std::string& table) const;
  std::optional<fault> take_fault();
  /// Keeps the filtered rows and returns the ErrorURL that serves them.
  std::string store_error_log(const std::vector<error_row>& errors);
  void count_load(const std::string& status) { ++stats.by_status[status]; }
  /// Applies a transaction's pending loads to its table and makes it VISIBLE.
  void apply_transaction(txn_record& txn);
  /// Takes `mu` itself; throws std::invalid_argument for a bad schema or an existing table.
  void create_table(const table_schema& schema);

  // ---- FE (starrocks_emulator.cpp) -------------------------------------------------------
  void install_fe_routes();
  int fe_expect(const httplib::Request& req, httplib::Response& res);
  void fe_stream_load(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void fe_transaction(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void fe_get_load_state(const httplib::Request& req, httplib::Response& res);
  /// The HTTP SQL API (sql_api.cpp).
  void fe_sql(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void install_admin_routes();

  // ---- BE (be_handlers.cpp) --------------------------------------------------------------
  void install_be_routes();
  int be_expect(const httplib::Request& req, httplib::Response& res);
  /// The checks the BE makes on the headers alone (no side effects): a failed result, or none.
  std::optional<load_result> be_header_check(const httplib::Request& req);
  void be_stream_load(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void be_transaction(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void be_error_log(const httplib::Request& req, httplib::Response& res);
};

}  // namespace pg2sr::test::starrocks
