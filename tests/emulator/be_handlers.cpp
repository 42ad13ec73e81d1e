// The StarRocks emulator's BE endpoints: stream load (begin txn, read and parse the body,
// filter, apply, commit; injected faults), transaction stream load, and the error log.
#include "tests/emulator/emulator_impl.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <regex>

namespace pg2sr::test::starrocks {

namespace {

using clock_type = std::chrono::steady_clock;
using ordered_json = nlohmann::ordered_json;

const std::regex stream_load_path(R"(/api/([^/]+)/([^/]+)/_stream_load)");

std::int64_t elapsed_ms(clock_type::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since).count();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::function<std::string(const std::string&)> headers_of(const httplib::Request& req) {
  return [&req](const std::string& name) { return req.get_header_value(name); };
}

std::string unknown_table(const std::string& db, const std::string& table) {
  return "unknown table \"" + db + "." + table + "\"";
}

std::string default_fail_message(std::int64_t txn_id) {
  return "Failed to commit txn " + std::to_string(txn_id) +
         ". Tablet [10021] success replica num 0 is less then quorum replica num 1 while error backends 10001";
}

/// Reads a body through the decoder, into `body` or (discard mode) only through `counter`.
/// Stops early (returns false for `complete`) once `stop_after` wire bytes arrived.
struct body_read {
  std::uint64_t wire_bytes = 0;
  bool complete = false;
  std::string error;  ///< decoding failed
};

body_read read_body(const httplib::Request& req, const httplib::ContentReader& reader, body_decoder& decoder,
                    std::string* body, row_counter* counter,
                    std::uint64_t stop_after = std::numeric_limits<std::uint64_t>::max()) {
  body_read r;
  std::string chunk;
  r.complete = !has_body(req) || reader([&](const char* data, std::size_t n) {
    r.wire_bytes += n;
    if (r.error.empty()) {
      std::string& out = body ? *body : chunk;
      chunk.clear();
      if (decoder.feed(std::string_view(data, n), out, r.error) && counter) counter->feed(chunk);
    }
    return r.wire_bytes < stop_after;
  });
  if (r.complete && r.error.empty()) {
    chunk.clear();
    if (decoder.finish(body ? *body : chunk, r.error) && counter) counter->feed(chunk);
  }
  return r;
}

// to_resp_json of the transaction interface: Status, [ExistingJobStatus | Label], Message,
// then on OK the Label and what the operation reports.
ordered_json txn_reply(const std::string& code, const std::string& message, const std::string& label) {
  ordered_json j;
  j["Status"] = code;
  if (code == "TXN_IN_PROCESSING") j["Label"] = label;
  j["Message"] = message;
  if (code == "OK") j["Label"] = label;
  return j;
}

void respond_json(httplib::Response& res, const ordered_json& j) { res.set_content(j.dump(4), "application/json"); }

}  // namespace

void starrocks_emulator::impl::install_be_routes() {
  be.set_expect_100_continue_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return be_expect(req, res); });
  be.Put(R"(/api/([^/]+)/([^/]+)/_stream_load)",
         [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
           be_stream_load(req, res, reader);
         });
  auto transaction = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) { be_transaction(req, res, reader); };
  be.Put(R"(/api/transaction/(\w+))", transaction);
  be.Post(R"(/api/transaction/(\w+))", transaction);
  be.Get("/api/_load_error_log",
         [this](const httplib::Request& req, httplib::Response& res) { be_error_log(req, res); });
}

// The BE answers a load whose headers already fail before the client sends the body.
int starrocks_emulator::impl::be_expect(const httplib::Request& req, httplib::Response& res) {
  if (req.method != "PUT" || !std::regex_match(req.path, stream_load_path)) return 100;
  auto failed = be_header_check(req);
  if (!failed) return 100;
  if (failed->label.empty()) failed->label = generate_uuid();
  {
    std::lock_guard lock(mu);
    ++stats.loads;
    count_load(failed->status);
  }
  respond_and_close(res, 200, failed->to_json());
  return 200;
}

std::optional<load_result> starrocks_emulator::impl::be_header_check(const httplib::Request& req) {
  std::smatch m;
  std::regex_match(req.path, m, stream_load_path);
  const std::string db = m[1].str(), table = m[2].str();
  load_result r;
  r.label = req.get_header_value("label");
  auto fail = [&](std::string message) {
    r.status = "Fail";
    r.message = std::move(message);
    return r;
  };
  auto auth = basic_auth(req);
  if (!auth) return fail("no valid Basic authorization");
  auto options = parse_load_options(headers_of(req));
  if (auto* error = std::get_if<std::string>(&options)) return fail(*error);
  if (!credentials_ok(*auth)) return fail("Access denied for " + auth->user + "@" + req.remote_addr);
  std::lock_guard lock(mu);
  std::shared_ptr<table_data> t;
  if (!discard) {
    if (!database_exists(db)) return fail("unknown database, database=" + db);
    t = find_table(db, table);
    if (!t) return fail(unknown_table(db, table));
  }
  if (!r.label.empty()) {
    if (auto error = labels.check(db, r.label)) {
      if (!error->label_exists) return fail(error->message);
      r.status = "Label Already Exists";
      r.existing_job_status = error->existing_job_status;
      r.message = error->message;
      return r;
    }
  }
  if (t && std::get<load_options>(options).partial_update && t->schema().model != table_model::primary_key)
    return fail("Only primary key table support partial update");
  return std::nullopt;
}

void starrocks_emulator::impl::be_stream_load(const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
  const auto start = clock_type::now();
  const std::string db = req.matches[1].str(), table_name = req.matches[2].str();
  load_result r;
  auto reply = [&](const std::string& counted_as) {
    r.load_time_ms = elapsed_ms(start);
    res.set_content(r.to_json(), "application/json");
    std::lock_guard lock(mu);
    ++stats.loads;
    count_load(counted_as);
    stats.rows_filtered += r.filtered_rows;
    stats.bytes_received += r.load_bytes;
  };
  if (auto failed = be_header_check(req)) {
    r = *failed;
    if (r.label.empty()) r.label = generate_uuid();
    drain(req, reader);
    return reply(r.status);
  }
  r.label = req.get_header_value("label");
  if (r.label.empty()) r.label = generate_uuid();
  const load_options options = std::get<load_options>(parse_load_options(headers_of(req)));

  // begin: takes the label (a race lost since the header check answers here)
  std::shared_ptr<txn_record> txn;
  std::shared_ptr<table_data> table;
  std::optional<fault> injected;
  {
    std::unique_lock lock(mu);
    if (!discard) table = find_table(db, table_name);
    auto begun = labels.begin(db, table_name, r.label, false);
    if (auto* error = std::get_if<begin_error>(&begun)) {
      r.status = error->label_exists ? "Label Already Exists" : "Fail";
      r.existing_job_status = error->existing_job_status;
      r.message = error->message;
      lock.unlock();
      drain(req, reader);
      return reply(r.status);
    }
    txn = std::get<std::shared_ptr<txn_record>>(begun);
    if (!discard && !table) {
      label_registry::abort(*txn, unknown_table(db, table_name));
      r.status = "Fail";
      r.message = unknown_table(db, table_name);
      lock.unlock();
      drain(req, reader);
      return reply(r.status);
    }
    injected = take_fault();
  }
  r.txn_id = txn->txn_id;
  r.begin_txn_time_ms = elapsed_ms(start);
  auto is = [&](fault_kind kind) { return injected && injected->kind == kind; };
  auto abort_txn = [&](const std::string& reason) {
    std::lock_guard lock(mu);
    label_registry::abort(*txn, reason);
  };
  auto fail = [&](const std::string& message) {
    abort_txn(message);
    r.status = "Fail";
    r.message = message;
    reply("Fail");
  };
  auto count_only = [&](const std::string& counted_as) {
    std::lock_guard lock(mu);
    ++stats.loads;
    count_load(counted_as);
    stats.bytes_received += r.load_bytes;
  };

  if (is(fault_kind::http_500)) {
    r.load_bytes = drain(req, reader);
    abort_txn("injected HTTP 500");
    res.status = 500;
    res.set_content("Internal Server Error", "text/plain");
    return count_only("HTTP 500");
  }

  // body
  std::string error;
  auto decoder = make_body_decoder(options, error);
  if (!decoder) {
    r.load_bytes = drain(req, reader);
    return fail(error);
  }
  const bool discarding = discard;
  std::string body;
  row_counter counter(options);
  std::uint64_t stop_after = std::numeric_limits<std::uint64_t>::max();
  if (is(fault_kind::drop_connection))
    stop_after = std::max<std::uint64_t>(1, std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) / 2);
  const auto read_start = clock_type::now();
  body_read read = read_body(req, reader, *decoder, discarding ? nullptr : &body, discarding ? &counter : nullptr, stop_after);
  r.load_bytes = read.wire_bytes;
  r.read_data_time_ms = elapsed_ms(read_start);
  if (is(fault_kind::drop_connection)) {
    abort_txn("connection dropped (injected)");
    drop_connection(req);
    return count_only("Dropped");
  }
  if (!read.complete) {
    abort_txn("receive body failed");
    r.status = "Fail";
    r.message = "receive body don't equal with body bytes";
    return reply("Fail");
  }
  if (!read.error.empty()) return fail(read.error);

  // parse and filter
  const auto plan_start = clock_type::now();
  parsed_rows rows;
  if (discarding) {
    rows.total_rows = counter.finish();
  } else {
    auto parsed = parse_rows(*table, options, body);
    if (auto* plan_error = std::get_if<std::string>(&parsed)) return fail(*plan_error);
    rows = std::move(std::get<parsed_rows>(parsed));
  }
  r.plan_time_ms = elapsed_ms(plan_start);
  r.total_rows = rows.total_rows;
  r.filtered_rows = rows.errors.size();
  r.loaded_rows = discarding ? rows.total_rows : rows.changes.size();
  if (!rows.errors.empty()) {
    std::lock_guard lock(mu);
    r.error_url = store_error_log(rows.errors);
  }
  const std::uint64_t selected = r.total_rows - r.unselected_rows;
  if (selected > 0 && static_cast<double>(r.filtered_rows) / static_cast<double>(selected) > options.max_filter_ratio)
    return fail("too many filtered rows");

  // faults that keep the transaction open, or fail it
  if (is(fault_kind::label_running)) {
    drop_connection(req);
    count_only("Dropped");
    if (!wait_for(injected->delay)) return;
  }
  if (is(fault_kind::slow_response) && !wait_for(injected->delay)) return;
  if (is(fault_kind::fail))
    return fail(injected->message.empty() ? default_fail_message(txn->txn_id) : injected->message);

  // commit
  const auto commit_start = clock_type::now();
  {
    std::lock_guard lock(mu);
    if (!discarding) table->apply(rows.changes, rows.loaded, options.partial_update, r.label);
    label_registry::commit(*txn, is(fault_kind::publish_timeout) ? injected->delay : std::chrono::milliseconds(0));
    stats.rows_loaded += r.loaded_rows;
  }
  r.write_data_time_ms = elapsed_ms(commit_start);
  r.commit_and_publish_time_ms = elapsed_ms(commit_start);
  if (is(fault_kind::label_running)) return;  // the client is gone
  if (is(fault_kind::publish_timeout)) {
    r.status = "Publish Timeout";
    r.message = "Publish timeout. The data will be visible after a while";
  }
  reply(r.status);
}

// Transaction stream load (TransactionManagerAction / TransactionStreamLoadAction): begin
// takes the label and keeps a context on this BE; load adds bodies; prepare or commit checks
// the filtered rows and makes the transaction PREPARED or VISIBLE; rollback aborts it.
void starrocks_emulator::impl::be_transaction(const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
  const auto start = clock_type::now();
  const std::string op = lower(req.matches[1].str());
  const std::string label = req.get_header_value("label");
  const std::string db = req.get_header_value("db");
  const std::string table_name = req.get_header_value("table");
  {
    std::lock_guard lock(mu);
    ++stats.transaction_requests;
  }
  auto reply = [&](const ordered_json& j) { respond_json(res, j); };
  auto error = [&](const std::string& code, const std::string& message) {
    reply(txn_reply(code, message, label));
  };

  if (op != "load") drain(req, reader);
  if (op != "begin" && op != "load" && op != "prepare" && op != "commit" && op != "rollback")
    return error("INVALID_ARGUMENT", "unsupport transaction operation " + req.matches[1].str());
  if (label.empty()) {
    if (op == "load") drain(req, reader);
    return error("INVALID_ARGUMENT", op == "load" ? "Invalid label " : "empty label");
  }

  if (op == "begin") {
    auto auth = basic_auth(req);
    if (!auth) return error("INTERNAL_ERROR", "no valid Basic authorization");
    std::lock_guard lock(mu);
    if (labels.open_transaction(db, label)) {
      ordered_json j{{"Status", "LABEL_ALREADY_EXISTS"}, {"ExistingJobStatus", ""}, {"Message", ""}};
      return reply(j);
    }
    if (!credentials_ok(*auth)) return error("ANALYSIS_ERROR", "Access denied for " + auth->user + "@" + req.remote_addr);
    if (!discard && !database_exists(db)) return error("ANALYSIS_ERROR", "unknown database, database=" + db);
    if (!discard && !find_table(db, table_name)) return error("ANALYSIS_ERROR", unknown_table(db, table_name));
    const std::string timeout = req.get_header_value("timeout");
    if (!timeout.empty() && (timeout.size() > 9 || !std::all_of(timeout.begin(), timeout.end(), ::isdigit)))
      return error("INVALID_ARGUMENT", "Invalid timeout format");
    auto begun = labels.begin(db, table_name, label, true);
    if (auto* e = std::get_if<begin_error>(&begun)) {
      if (!e->label_exists) return error("ANALYSIS_ERROR", e->message);
      return reply(ordered_json{
          {"Status", "LABEL_ALREADY_EXISTS"}, {"ExistingJobStatus", e->existing_job_status}, {"Message", e->message}});
    }
    auto& txn = std::get<std::shared_ptr<txn_record>>(begun);
    // StarRocks' default (stream_load_default_timeout_second) when the header is absent.
    txn->expires_at = std::chrono::steady_clock::now() + std::chrono::seconds(timeout.empty() ? 600 : std::stoll(timeout));
    ordered_json j = txn_reply("OK", "", label);
    j["TxnId"] = txn->txn_id;
    j["BeginTxnTimeMs"] = elapsed_ms(start);
    return reply(j);
  }

  std::unique_lock lock(mu);
  auto txn = labels.open_transaction(db, label);
  if (!txn) {
    lock.unlock();
    if (op == "load") drain(req, reader);
    return error("TXN_NOT_EXISTS", (op == "load" ? "Transaction with label " : "transaction with label ") + label +
                                       " not exists");
  }
  if (op == "load" && txn->table != table_name) {
    lock.unlock();
    drain(req, reader);
    return error("INVALID_ARGUMENT", "Request table " + table_name + " not equal transaction table " + txn->table);
  }
  if (txn->busy) {
    lock.unlock();
    if (op == "load") drain(req, reader);
    return error("TXN_IN_PROCESSING", "Transaction in processing, please retry later");
  }

  if (op == "rollback") {
    label_registry::abort(*txn, "transaction is aborted by user.");
    return reply(txn_reply("OK", "", label));
  }

  if (op == "load") {
    txn->busy = true;
    auto table = find_table(db, txn->table);
    const bool discarding = discard;
    lock.unlock();
    auto abort_with = [&](const std::string& code, const std::string& message) {
      {
        std::lock_guard relock(mu);
        txn->busy = false;
        label_registry::abort(*txn, message);
      }
      error(code, message);
    };
    auto parsed_options = parse_load_options(headers_of(req));
    if (auto* e = std::get_if<std::string>(&parsed_options)) {
      drain(req, reader);
      return abort_with("INTERNAL_ERROR", *e);
    }
    const load_options& options = std::get<load_options>(parsed_options);
    std::string decode_error;
    auto decoder = make_body_decoder(options, decode_error);
    if (!decoder) {
      drain(req, reader);
      return abort_with("INTERNAL_ERROR", decode_error);
    }
    if (!discarding && !table) {
      drain(req, reader);
      return abort_with("ANALYSIS_ERROR", unknown_table(db, table_name));
    }
    std::string body;
    row_counter counter(options);
    const auto read_start = clock_type::now();
    body_read read = read_body(req, reader, *decoder, discarding ? nullptr : &body, discarding ? &counter : nullptr);
    if (!read.complete) return abort_with("INTERNAL_ERROR", "receive body failed");
    if (!read.error.empty()) return abort_with("INTERNAL_ERROR", read.error);
    pending_load load;
    load.partial_update = options.partial_update;
    if (discarding) {
      load.rows.total_rows = load.loaded_rows = counter.finish();
    } else {
      auto parsed = parse_rows(*table, options, body);
      if (auto* e = std::get_if<std::string>(&parsed)) return abort_with("INTERNAL_ERROR", *e);
      load.rows = std::move(std::get<parsed_rows>(parsed));
      load.loaded_rows = load.rows.changes.size();
    }
    {
      std::lock_guard relock(mu);
      txn->busy = false;
      txn->loads.push_back(std::move(load));
      txn->load_bytes += read.wire_bytes;
      txn->max_filter_ratio = options.max_filter_ratio;
    }
    ordered_json j = txn_reply("OK", "", label);
    j["TxnId"] = txn->txn_id;
    j["LoadBytes"] = read.wire_bytes;
    j["StreamLoadPlanTimeMs"] = 0;
    j["ReceivedDataTimeMs"] = elapsed_ms(read_start);
    return reply(j);
  }

  // prepare / commit (mu held)
  if (txn->loads.empty()) {
    const std::string message = "transaction id=" + generate_uuid() + ", job_id=-1, txn_id: " +
                                std::to_string(txn->txn_id) + ", label=" + label + ", db=" + db +
                                " hasn't send any data yet";
    label_registry::abort(*txn, message);
    return error("INTERNAL_ERROR", message);
  }
  std::uint64_t total = 0, loaded = 0;
  std::vector<error_row> errors;
  for (const auto& load : txn->loads) {
    total += load.rows.total_rows;
    loaded += load.loaded_rows;
    errors.insert(errors.end(), load.rows.errors.begin(), load.rows.errors.end());
  }
  const std::string error_url = errors.empty() ? std::string() : store_error_log(errors);
  stats.rows_filtered += errors.size();
  if (total > 0 && static_cast<double>(errors.size()) / static_cast<double>(total) > txn->max_filter_ratio) {
    label_registry::abort(*txn, "too many filtered rows");
    ordered_json j = txn_reply("INTERNAL_ERROR", "too many filtered rows", label);
    j["ErrorURL"] = error_url;
    return reply(j);
  }
  const auto commit_start = clock_type::now();
  if (op == "prepare") txn->state = txn_state::prepared;
  else apply_transaction(*txn);
  ordered_json j = txn_reply("OK", "", label);
  j["TxnId"] = txn->txn_id;
  j["NumberTotalRows"] = total;
  j["NumberLoadedRows"] = loaded;
  j["NumberFilteredRows"] = errors.size();
  j["NumberUnselectedRows"] = 0;
  j["LoadBytes"] = txn->load_bytes;
  j["LoadTimeMs"] = elapsed_ms(start);
  j["StreamLoadPlanTimeMs"] = 0;
  j["ReceivedDataTimeMs"] = 0;
  j["WriteDataTimeMs"] = 0;
  j["CommitAndPublishTimeMs"] = elapsed_ms(commit_start);
  if (!error_url.empty()) j["ErrorURL"] = error_url;
  reply(j);
}

void starrocks_emulator::impl::be_error_log(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard lock(mu);
  auto it = error_logs.find(req.get_param_value("file"));
  if (it == error_logs.end()) {
    res.status = 404;
    res.set_content("file not found", "text/plain");
    return;
  }
  res.set_content(it->second, "text/plain");
}

}  // namespace pg2sr::test::starrocks
