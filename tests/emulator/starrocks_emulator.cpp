// The StarRocks emulator's public API, lifecycle, FE endpoints (stream load redirect,
// transaction redirect/commit/rollback, get_load_state) and admin endpoints.
#include "tests/emulator/emulator_impl.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <regex>
#include <stdexcept>

namespace pg2sr::test::starrocks {

namespace {

using ordered_json = nlohmann::ordered_json;

const std::regex stream_load_path(R"(/api/([^/]+)/([^/]+)/_stream_load)");
const std::regex transaction_path(R"(/api/transaction/(\w+))");

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void respond_json(httplib::Response& res, int status, const ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(4), "application/json");
}

// What BaseAction answers when the password check fails: 401, empty body.
void respond_unauthorized(httplib::Response& res) {
  res.set_header("WWW-Authenticate", "Basic realm=\"\"");
  respond_and_close(res, 401, "", "text/html");
}

// The FE's TransactionResult for an exception: {"Status": "FAILED", "Message": "<class>: <msg>"}.
ordered_json fe_failed(const std::string& exception_class, const std::string& message) {
  return ordered_json{{"Status", "FAILED"}, {"Message", "class " + exception_class + ": " + message}};
}

ordered_json fe_ok(const std::string& message) { return ordered_json{{"Status", "OK"}, {"Message", message}}; }

// RestBaseResult's fields as Gson writes them.
ordered_json rest_failed(const std::string& message) {
  return ordered_json{{"status", "FAILED"}, {"code", "1"}, {"msg", message}, {"message", message}};
}

bool is_fe_transaction_redirect(const std::string& op) { return op == "begin" || op == "load" || op == "prepare"; }

}  // namespace

std::string load_result::to_json() const {
  ordered_json j;
  j["TxnId"] = txn_id;
  j["Label"] = label;
  j["Status"] = status;
  if (status == "Label Already Exists") j["ExistingJobStatus"] = existing_job_status;
  j["Message"] = message;
  j["NumberTotalRows"] = total_rows;
  j["NumberLoadedRows"] = loaded_rows;
  j["NumberFilteredRows"] = filtered_rows;
  j["NumberUnselectedRows"] = unselected_rows;
  j["LoadBytes"] = load_bytes;
  j["LoadTimeMs"] = load_time_ms;
  j["BeginTxnTimeMs"] = begin_txn_time_ms;
  j["StreamLoadPlanTimeMs"] = plan_time_ms;
  j["ReadDataTimeMs"] = read_data_time_ms;
  j["WriteDataTimeMs"] = write_data_time_ms;
  j["CommitAndPublishTimeMs"] = commit_and_publish_time_ms;
  if (!error_url.empty()) j["ErrorURL"] = error_url;
  return j.dump(4);
}

fault_kind fault_kind_from_string(const std::string& name) {
  static const std::map<std::string, fault_kind> kinds = {
      {"fail", fault_kind::fail},
      {"publish_timeout", fault_kind::publish_timeout},
      {"http_500", fault_kind::http_500},
      {"drop_connection", fault_kind::drop_connection},
      {"slow_response", fault_kind::slow_response},
      {"label_running", fault_kind::label_running}};
  auto it = kinds.find(name);
  if (it == kinds.end()) throw std::invalid_argument("unknown fault kind: " + name);
  return it->second;
}

// ---- shared helpers ------------------------------------------------------------------------

bool starrocks_emulator::impl::wait_for(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu);
  return !wake.wait_for(lock, delay, [this] { return stopping; });
}

bool starrocks_emulator::impl::database_exists(const std::string& db) const {
  auto it = tables.lower_bound({db, std::string()});
  return it != tables.end() && it->first.first == db;
}

std::shared_ptr<table_data> starrocks_emulator::impl::find_table(const std::string& db,
                                                                 const std::string& table) const {
  auto it = tables.find({db, table});
  return it == tables.end() ? nullptr : it->second;
}

std::optional<fault> starrocks_emulator::impl::take_fault() {
  if (faults.empty()) return std::nullopt;
  fault f = faults.front();
  if (--faults.front().count <= 0) faults.pop_front();
  return f;
}

std::string starrocks_emulator::impl::store_error_log(const std::vector<error_row>& errors) {
  char name[64];
  std::snprintf(name, sizeof name, "error_log_%016llx_%016llx", static_cast<unsigned long long>(next_error_log++),
                static_cast<unsigned long long>(be_port));
  std::string text;
  for (const auto& e : errors) text += "Error: " + e.reason + ". Row: " + e.raw + "\n";
  error_logs[name] = std::move(text);
  return "http://" + options.host + ":" + std::to_string(be_port) + "/api/_load_error_log?file=" + name;
}

void starrocks_emulator::impl::create_table(const table_schema& schema) {
  auto table = std::make_shared<table_data>(schema);
  std::lock_guard lock(mu);
  if (!tables.emplace(std::make_pair(schema.db, schema.table), table).second)
    throw std::invalid_argument("table already exists: " + schema.db + "." + schema.table);
}

void starrocks_emulator::impl::apply_transaction(txn_record& txn) {
  auto table = find_table(txn.db, txn.table);
  for (const pending_load& load : txn.loads) {
    if (table && !discard) table->apply(load.rows.changes, load.rows.loaded, load.partial_update, txn.label);
    stats.rows_loaded += load.loaded_rows;
  }
  label_registry::commit(txn, std::chrono::milliseconds(0));
}

// ---- FE --------------------------------------------------------------------------------------

void starrocks_emulator::impl::install_fe_routes() {
  fe.set_expect_100_continue_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return fe_expect(req, res); });
  auto stream_load = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) { fe_stream_load(req, res, reader); };
  auto transaction = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) { fe_transaction(req, res, reader); };
  fe.Put(R"(/api/([^/]+)/([^/]+)/_stream_load)", stream_load);
  fe.Put(R"(/api/transaction/(\w+))", transaction);
  fe.Post(R"(/api/transaction/(\w+))", transaction);
  fe.Get(R"(/api/([^/]+)/get_load_state)",
         [this](const httplib::Request& req, httplib::Response& res) { fe_get_load_state(req, res); });
  fe.Post(R"(/api/v1/catalogs/([^/]+)/databases/([^/]+)/sql)",
          [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
            fe_sql(req, res, reader);
          });
  install_admin_routes();
}

// Runs when the headers of a request with `Expect: 100-continue` arrive, before any body:
// the FE checks the password and redirects without reading the body.
int starrocks_emulator::impl::fe_expect(const httplib::Request& req, httplib::Response& res) {
  std::smatch m;
  const bool load = req.method == "PUT" && std::regex_match(req.path, m, stream_load_path);
  const bool txn = (req.method == "PUT" || req.method == "POST") && std::regex_match(req.path, m, transaction_path);
  if (!load && !txn) return 100;
  if (txn && !options.transaction_api) {
    respond_and_close(res, 404, "", "text/html");
    return 404;
  }
  auto auth = basic_auth(req);
  if (!auth || !credentials_ok(*auth)) {
    respond_unauthorized(res);
    return 401;
  }
  if (txn && !(is_fe_transaction_redirect(lower(m[1].str())) && !req.get_header_value("db").empty() &&
               !req.get_header_value("label").empty()))
    return 100;
  res.set_header("Location", be_location(req));
  respond_and_close(res, 307, "", "text/html");
  std::lock_guard lock(mu);
  ++stats.redirects;
  return 307;
}

void starrocks_emulator::impl::fe_stream_load(const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
  // Only requests cpp-httplib did not hand to fe_expect get here: no exact "100-continue".
  const bool waits_for_continue = expects_continue(req);
  if (!waits_for_continue) drain(req, reader);
  auto auth = basic_auth(req);
  if (!auth || !credentials_ok(*auth)) return respond_unauthorized(res);
  if (req.version != "HTTP/1.0" && !waits_for_continue) {
    return respond_and_close(res, 200,
                             fe_failed("com.starrocks.common.DdlException", "There is no 100-continue header").dump(4));
  }
  res.set_header("Location", be_location(req));
  respond_and_close(res, 307, "", "text/html");
  std::lock_guard lock(mu);
  ++stats.redirects;
}

void starrocks_emulator::impl::fe_transaction(const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
  drain(req, reader);
  if (!options.transaction_api) return respond_and_close(res, 404, "", "text/html");
  auto auth = basic_auth(req);
  if (!auth || !credentials_ok(*auth)) return respond_unauthorized(res);
  const std::string op = lower(req.matches[1].str());
  const std::string db = req.get_header_value("db");
  const std::string label = req.get_header_value("label");
  const char* exception = "com.starrocks.common.StarRocksException";
  if (op != "begin" && op != "load" && op != "prepare" && op != "commit" && op != "rollback")
    return respond_json(res, 200, fe_failed(exception, "Unknown transaction operation: " + req.matches[1].str()));
  if (db.empty()) return respond_json(res, 200, fe_failed(exception, "No database selected."));
  if (label.empty()) return respond_json(res, 200, fe_failed(exception, "Empty label."));
  auto redirect = [&] {
    res.set_header("Location", be_location(req));
    respond_and_close(res, 307, "", "text/html");
    std::lock_guard lock(mu);
    ++stats.redirects;
  };
  if (is_fe_transaction_redirect(op)) return redirect();

  // commit / rollback: the FE answers for PREPARED and finished transactions itself and sends
  // the ones still open (PREPARE) to the BE that holds their context.
  std::unique_lock lock(mu);
  auto txn = labels.find(db, label);
  if (!txn) return respond_json(res, 200, fe_failed(exception, "No transaction found by label " + label));
  const txn_state state = label_registry::state_of(*txn);
  const std::string id = std::to_string(txn->txn_id);
  ordered_json ok = fe_ok("");
  ok["TxnId"] = txn->txn_id;
  ok["Label"] = label;
  if (state == txn_state::prepare) {
    lock.unlock();
    return redirect();
  }
  if (op == "commit") {
    if (state == txn_state::prepared) {
      apply_transaction(*txn);
    } else if (state == txn_state::aborted) {
      return respond_json(res, 200,
                          fe_failed(exception, "Can not commit ABORTED transaction " + id + ", label is " + label));
    } else {
      ok["Message"] = "Transaction " + id + " has already committed, label is " + label;
    }
    return respond_json(res, 200, ok);
  }
  if (state == txn_state::prepared) {
    label_registry::abort(*txn, "User Aborted");
  } else if (state == txn_state::aborted) {
    ok["Message"] = "Transaction " + id + " has already aborted, label is " + label;
  } else {
    return respond_json(res, 200,
                        fe_failed(exception, std::string("Can not abort ") + to_string(state) + " transaction " + id +
                                                 ", label is " + label));
  }
  respond_json(res, 200, ok);
}

void starrocks_emulator::impl::fe_get_load_state(const httplib::Request& req, httplib::Response& res) {
  auto auth = basic_auth(req);
  if (!auth || !credentials_ok(*auth)) return respond_unauthorized(res);
  const std::string db = req.matches[1].str();
  const std::string label = req.get_param_value("label");
  if (label.empty()) return respond_json(res, 200, rest_failed("No label selected."));
  std::lock_guard lock(mu);
  if (!discard && !database_exists(db)) return respond_json(res, 200, rest_failed("unknown database, database=" + db));
  ordered_json j;
  auto txn = labels.find(db, label);
  j["state"] = txn ? to_string(label_registry::state_of(*txn)) : "UNKNOWN";
  if (txn && txn->state == txn_state::aborted && !txn->reason.empty()) j["reason"] = txn->reason;
  j["status"] = "OK";
  j["code"] = "0";
  j["msg"] = "Success";
  j["message"] = "OK";
  respond_json(res, 200, j);
}

// ---- admin -----------------------------------------------------------------------------------

namespace {

nlohmann::json stats_json(const emulator_stats& s) {
  return {{"loads", s.loads},
          {"rows_loaded", s.rows_loaded},
          {"rows_filtered", s.rows_filtered},
          {"bytes_received", s.bytes_received},
          {"redirects", s.redirects},
          {"transaction_requests", s.transaction_requests},
          {"by_status", s.by_status}};
}

// Runs an admin action, answering 400 {"error": ...} when it throws.
template <class F>
void admin(httplib::Response& res, F&& action) {
  try {
    nlohmann::json out = action();
    res.set_content(out.dump(), "application/json");
  } catch (const std::out_of_range& e) {
    res.status = 404;
    res.set_content(nlohmann::json{{"error", e.what()}}.dump(), "application/json");
  } catch (const std::exception& e) {
    res.status = 400;
    res.set_content(nlohmann::json{{"error", e.what()}}.dump(), "application/json");
  }
}

}  // namespace

void starrocks_emulator::impl::install_admin_routes() {
  // Content-reader handlers: a POST without a body must not wait for the read timeout.
  using reader_type = const httplib::ContentReader&;
  fe.Post("/_emulator/create_table", [this](const httplib::Request& req, httplib::Response& res, reader_type reader) {
    admin(res, [&] {
      create_table(table_schema_from_json(nlohmann::json::parse(read_text(req, reader))));
      return nlohmann::json{{"ok", true}};
    });
  });
  fe.Post("/_emulator/drop_table", [this](const httplib::Request& req, httplib::Response& res, reader_type reader) {
    admin(res, [&] {
      auto j = nlohmann::json::parse(read_text(req, reader));
      std::lock_guard lock(mu);
      if (tables.erase({j.at("db").get<std::string>(), j.at("table").get<std::string>()}) == 0)
        throw std::out_of_range("unknown table");
      return nlohmann::json{{"ok", true}};
    });
  });
  fe.Get("/_emulator/dump", [this](const httplib::Request& req, httplib::Response& res) {
    admin(res, [&] {
      std::lock_guard lock(mu);
      auto table = find_table(req.get_param_value("db"), req.get_param_value("table"));
      if (!table) throw std::out_of_range("unknown table");
      return to_json(table->dump());
    });
  });
  fe.Post("/_emulator/fault", [this](const httplib::Request& req, httplib::Response& res, reader_type reader) {
    admin(res, [&] {
      auto j = nlohmann::json::parse(read_text(req, reader));
      fault f;
      f.kind = fault_kind_from_string(j.at("kind").get<std::string>());
      f.count = j.value("count", 1);
      f.delay = std::chrono::milliseconds(j.value("delay_ms", 0));
      f.message = j.value("message", std::string());
      std::lock_guard lock(mu);
      faults.push_back(f);
      return nlohmann::json{{"ok", true}};
    });
  });
  fe.Post("/_emulator/clear_faults", [this](const httplib::Request& req, httplib::Response& res, reader_type reader) {
    drain(req, reader);
    admin(res, [&] {
      std::lock_guard lock(mu);
      faults.clear();
      return nlohmann::json{{"ok", true}};
    });
  });
  fe.Post("/_emulator/discard", [this](const httplib::Request& req, httplib::Response& res, reader_type reader) {
    admin(res, [&] {
      discard = nlohmann::json::parse(read_text(req, reader)).at("discard").get<bool>();
      return nlohmann::json{{"ok", true}};
    });
  });
  fe.Get("/_emulator/stats", [this](const httplib::Request&, httplib::Response& res) {
    admin(res, [&] {
      std::lock_guard lock(mu);
      return stats_json(stats);
    });
  });
}

// ---- public API ------------------------------------------------------------------------------

starrocks_emulator::starrocks_emulator(emulator_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

starrocks_emulator::~starrocks_emulator() { stop(); }

void starrocks_emulator::start() {
  impl& s = *impl_;
  if (s.started) return;
  for (httplib::Server* server : {&s.fe, &s.be}) {
    server->new_task_queue = [] { return new httplib::ThreadPool(64); };
    server->set_read_timeout(60);
    server->set_write_timeout(60);
    server->set_keep_alive_max_count(1000);
    server->set_keep_alive_timeout(2);
  }
  s.install_fe_routes();
  s.install_be_routes();
  auto bind = [&](httplib::Server& server, int port, const char* name) {
    int bound = port == 0 ? server.bind_to_any_port(s.options.host) : (server.bind_to_port(s.options.host, port) ? port : -1);
    if (bound <= 0)
      throw std::runtime_error(std::string("starrocks emulator: cannot bind the ") + name + " port " +
                               std::to_string(port) + " on " + s.options.host);
    return bound;
  };
  s.fe_port = bind(s.fe, s.options.fe_port, "FE");
  s.be_port = bind(s.be, s.options.be_port, "BE");
  s.fe_thread = std::thread([&s] { s.fe.listen_after_bind(); });
  s.be_thread = std::thread([&s] { s.be.listen_after_bind(); });
  // stop() only works once the accept loops run.
  s.started = true;
  for (int waited_ms = 0; !s.fe.is_running() || !s.be.is_running(); ++waited_ms) {
    if (waited_ms == 5000) {
      stop();
      throw std::runtime_error("starrocks emulator: the HTTP servers did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void starrocks_emulator::stop() {
  impl& s = *impl_;
  if (!s.started) return;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
  }
  s.wake.notify_all();
  s.fe.stop();
  s.be.stop();
  s.fe_thread.join();
  s.be_thread.join();
  s.started = false;
}

int starrocks_emulator::fe_port() const { return impl_->fe_port; }
int starrocks_emulator::be_port() const { return impl_->be_port; }
std::string starrocks_emulator::fe_url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->fe_port);
}
std::string starrocks_emulator::be_url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->be_port);
}

void starrocks_emulator::create_table(const table_schema& schema) { impl_->create_table(schema); }

void starrocks_emulator::drop_table(const std::string& db, const std::string& table) {
  std::lock_guard lock(impl_->mu);
  impl_->tables.erase({db, table});
}

table_dump starrocks_emulator::dump(const std::string& db, const std::string& table) const {
  std::lock_guard lock(impl_->mu);
  auto t = impl_->find_table(db, table);
  if (!t) throw std::out_of_range("starrocks emulator: unknown table " + db + "." + table);
  return t->dump();
}

std::vector<std::string> starrocks_emulator::key_history(const std::string& db, const std::string& table,
                                                         const std::vector<std::string>& key) const {
  std::lock_guard lock(impl_->mu);
  auto t = impl_->find_table(db, table);
  if (!t) throw std::out_of_range("starrocks emulator: unknown table " + db + "." + table);
  return t->history(key);
}

std::string starrocks_emulator::load_state(const std::string& db, const std::string& label) const {
  std::lock_guard lock(impl_->mu);
  auto txn = impl_->labels.find(db, label);
  return txn ? to_string(label_registry::state_of(*txn)) : "UNKNOWN";
}

void starrocks_emulator::inject_fault(const fault& f) {
  std::lock_guard lock(impl_->mu);
  impl_->faults.push_back(f);
}

void starrocks_emulator::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

int starrocks_emulator::pending_faults() const {
  std::lock_guard lock(impl_->mu);
  int n = 0;
  for (const auto& f : impl_->faults) n += std::max(f.count, 0);
  return n;
}

void starrocks_emulator::set_discard(bool discard) { impl_->discard = discard; }

emulator_stats starrocks_emulator::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace pg2sr::test::starrocks
