// TOML -> pipeline_config. Reads every section, collects every problem with its position
// (file:line:col), and throws one config_error at the end: the user fixes a file once.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "config/units.hpp"

namespace pg2sr::config {

std::string problem::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

namespace {

std::string join_problems(const std::vector<problem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += "\n";
    out += p.to_string();
  }
  return out;
}

}  // namespace

config_error::config_error(std::vector<problem> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

namespace {

// Values of keys whose name says they hold a secret are never echoed in messages.
bool is_secret_key(std::string_view key) { return key.find("password") != std::string_view::npos && key.find("_env") == std::string_view::npos && key.find("_file") == std::string_view::npos; }

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date/time";
  }
}

// What a value looks like in a message: `"abc"`, `42`, or its type for secrets and tables.
std::string shown(const toml::node& n, std::string_view key) {
  if (is_secret_key(key)) return std::string(type_name(n)) + " (value hidden)";
  std::ostringstream os;
  if (n.is_string()) os << '"' << n.value_or<std::string_view>("") << '"';
  else if (auto i = n.value_exact<std::int64_t>()) os << *i;
  else if (auto d = n.value_exact<double>()) os << *d;
  else if (auto b = n.value_exact<bool>()) os << (*b ? "true" : "false");
  else os << type_name(n);
  return os.str();
}

/// Collects problems for one file.
struct reporter {
  std::string file;
  std::vector<problem> problems;

  void at(const toml::source_region& where, std::string key, std::string message) {
    problems.push_back({file, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                        std::move(key), std::move(message)});
  }
};

/// Reads the keys of one TOML table, remembering which ones were asked for, so that
/// whatever is left at the end is reported as unknown (with a "did you mean").
class table_reader {
 public:
  table_reader(const toml::table* table, std::string path, reporter& rep, toml::source_region where)
      : table_(table), path_(std::move(path)), rep_(rep), where_(where) {}

  bool present() const { return table_ != nullptr; }
  bool has(std::string_view key) const { return table_ && table_->contains(key); }
  const std::string& path() const { return path_; }
  toml::source_region where() const { return table_ ? table_->source() : where_; }
  std::string full(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }

  /// The node of `key`, recording it as known.
  const toml::node* node(std::string_view key) {
    known_.insert(std::string(key));
    return table_ ? table_->get(key) : nullptr;
  }

  void missing(std::string_view key, std::string_view hint) {
    rep_.at(where(), full(key), "required key is missing" + (hint.empty() ? std::string() : "; " + std::string(hint)));
  }

  void bad(const toml::node& n, std::string_view key, std::string_view what) {
    rep_.at(n.source(), full(key), std::string(what) + " (got " + shown(n, key) + ")");
  }

  void conflict(std::string_view key, std::string_view message) {
    const toml::node* n = table_ ? table_->get(key) : nullptr;
    rep_.at(n ? n->source() : where(), full(key), std::string(message));
  }

  void read(std::string_view key, std::string& out, bool required = false, std::string_view hint = {}) {
    const toml::node* n = node(key);
    if (!n) {
      if (required) missing(key, hint);
      return;
    }
    if (auto v = n->value<std::string>()) {
      if (v->empty() && required) bad(*n, key, "must not be empty");
      else out = *v;
    } else {
      bad(*n, key, "expected a string");
    }
  }

  template <class Int>
  void read_int(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    const toml::node* n = node(key);
    if (!n) return;
    auto v = n->value_exact<std::int64_t>();
    if (!v) return bad(*n, key, "expected an integer");
    if (*v < min || *v > max)
      return bad(*n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    out = static_cast<Int>(*v);
  }

  void read(std::string_view key, double& out, double min, double max) {
    const toml::node* n = node(key);
    if (!n) return;
    auto v = n->value<double>();
    if (!v) return bad(*n, key, "expected a number");
    if (*v < min || *v > max)
      return bad(*n, key, "must be between " + std::to_string(min).substr(0, 6) + " and " + std::to_string(max).substr(0, 6));
    out = *v;
  }

  void read(std::string_view key, bool& out) {
    const toml::node* n = node(key);
    if (!n) return;
    if (auto v = n->value_exact<bool>()) out = *v;
    else bad(*n, key, "expected true or false");
  }

  void read(std::string_view key, duration& out, duration min, duration max) {
    const toml::node* n = node(key);
    if (!n) return;
    auto text = n->value_exact<std::string>();
    auto d = text ? parse_duration(*text) : std::nullopt;
    if (!d) return bad(*n, key, "expected a duration string such as \"500ms\", \"10s\", \"5m\"");
    if (*d < min || *d > max)
      return bad(*n, key, "must be between " + format_duration(min) + " and " + format_duration(max));
    out = *d;
  }

  void read_size(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
    const toml::node* n = node(key);
    if (!n) return;
    auto text = n->value_exact<std::string>();
    auto s = text ? parse_size(*text) : std::nullopt;
    if (!s) return bad(*n, key, "expected a size string such as \"64MiB\", \"512KiB\", \"1GB\"");
    if (*s < min || *s > max)
      return bad(*n, key, "must be between " + format_size(min) + " and " + format_size(max));
    out = *s;
  }

  /// A string that must be one of `choices`; returns its index.
  template <class Enum>
  void read_enum(std::string_view key, Enum& out, std::initializer_list<std::pair<std::string_view, Enum>> choices) {
    const toml::node* n = node(key);
    if (!n) return;
    std::string list;
    for (const auto& [name, value] : choices) list += (list.empty() ? "" : ", ") + std::string("\"") + std::string(name) + "\"";
    auto v = n->value_exact<std::string>();
    if (!v) return bad(*n, key, "expected one of " + list);
    for (const auto& [name, value] : choices) {
      if (*v == name) {
        out = value;
        return;
      }
    }
    std::vector<std::string> names;
    for (const auto& c : choices) names.emplace_back(c.first);
    auto guess = closest_match(*v, names);
    bad(*n, key, "expected one of " + list + (guess ? "; did you mean \"" + *guess + "\"?" : ""));
  }

  void read_regexes(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = node(key);
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr) return bad(*n, key, "expected an array of regular expressions");
    std::vector<std::string> result;
    for (const auto& item : *arr) {
      auto v = item.value_exact<std::string>();
      if (!v) {
        bad(item, key, "expected a string (a regular expression on schema.table)");
        continue;
      }
      try {
        std::regex re(*v, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        bad(item, key, std::string("is not a valid regular expression: ") + e.what());
        continue;
      }
      result.push_back(*v);
    }
    out = std::move(result);
  }

  /// A sub-table; an absent one reads as empty (every key at its default).
  table_reader sub(std::string_view key) {
    const toml::node* n = node(key);
    if (n && !n->is_table()) {
      bad(*n, key, "expected a table");
      return table_reader(nullptr, full(key), rep_, n->source());
    }
    return table_reader(n ? n->as_table() : nullptr, full(key), rep_, where());
  }

  /// Reports every key that no read asked for.
  void finish() {
    if (!table_) return;
    std::vector<std::string> known(known_.begin(), known_.end());
    for (const auto& [k, v] : *table_) {
      std::string name(k.str());
      if (known_.count(name)) continue;
      auto guess = closest_match(name, known);
      rep_.at(k.source(), full(name), "unknown key" + (guess ? "; did you mean \"" + *guess + "\"?" : ""));
    }
  }

  const toml::table* table() const { return table_; }

 private:
  const toml::table* table_;
  std::string path_;
  reporter& rep_;
  toml::source_region where_;
  std::set<std::string> known_;
};

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// password_env / password_file / password (plain, only with allow_plain_password = true).
void read_password(table_reader& t, secret& out, reporter& rep) {
  std::string env_name, file_name;
  bool allow_plain = false;
  t.read("password_env", env_name);
  t.read("password_file", file_name);
  t.read("allow_plain_password", allow_plain);
  const toml::node* plain = t.node("password");
  int sources = (!env_name.empty()) + (!file_name.empty()) + (plain != nullptr);
  if (sources > 1) {
    t.conflict(plain ? "password" : "password_file",
               "give only one of password_env, password_file and password");
    return;
  }
  if (!env_name.empty()) {
    const char* v = std::getenv(env_name.c_str());
    if (v == nullptr) t.conflict("password_env", "environment variable " + env_name + " is not set; export it or use password_file");
    else out = secret(v);
  } else if (!file_name.empty()) {
    // As libpq treats ~/.pgpass: a file others may read is no secret, and a directory or an
    // empty file must not silently mean "no password".
    namespace fs = std::filesystem;
    std::error_code ec;
    auto status = fs::status(file_name, ec);
    std::ifstream in(file_name);
    if (ec || !fs::exists(status) || !in) {
      t.conflict("password_file", "cannot read " + file_name + "; check the path and that pg2sr may read it");
    } else if (!fs::is_regular_file(status)) {
      t.conflict("password_file", file_name + " is not a regular file");
    } else if ((status.permissions() & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
      t.conflict("password_file", file_name + " may be read or written by group or others; chmod 600 " + file_name);
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      out = secret(trim_newline(ss.str()));
      if (out.empty()) t.conflict("password_file", file_name + " is empty");
    }
  } else if (plain) {
    if (!plain->is_string()) {
      t.bad(*plain, "password", "expected a string");
    } else if (!allow_plain) {
      t.conflict("password", "a plain password in the file is refused; use password_env or password_file "
                             "(or set allow_plain_password = true if you really mean it)");
    } else {
      out = secret(plain->value_or<std::string>(""));
    }
  }
  (void)rep;
}

// A certificate or key file: refused at load when it cannot be read, naming the key and the
// path, rather than at the first TLS handshake with a less clear message.
void read_readable_file(table_reader& t, std::string_view key, std::string& out) {
  t.read(key, out);
  if (out.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  auto status = fs::status(out, ec);
  if (!ec && fs::is_directory(status)) t.conflict(key, out + " is not a regular file");
  else if (ec || !fs::exists(status) || !std::ifstream(out)) t.conflict(key, "cannot read " + out + "; check the path and that pg2sr may read it");
}

void read_connection(table_reader& t, postgres_connection& conn, reporter& rep) {
  t.read("host", conn.host);
  t.read_int("port", conn.port, 1, 65535);
  t.read("dbname", conn.dbname, true, "the database to connect to, e.g. dbname = \"app\"");
  t.read("user", conn.user, true, "the role to connect as, e.g. user = \"replicator\"");
  read_password(t, conn.password, rep);
  const toml::node* n = t.node("sslmode");
  if (n) {
    static const std::vector<std::string> modes{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
    auto v = n->value_exact<std::string>();
    if (!v || std::find(modes.begin(), modes.end(), *v) == modes.end()) {
      auto guess = v ? closest_match(*v, modes) : std::nullopt;
      t.bad(*n, "sslmode", "expected one of disable, allow, prefer, require, verify-ca, verify-full" +
                               (guess ? "; did you mean \"" + *guess + "\"?" : ""));
    } else {
      conn.sslmode = *v;
    }
  }
  read_readable_file(t, "sslrootcert", conn.sslrootcert);
  read_readable_file(t, "sslcert", conn.sslcert);
  read_readable_file(t, "sslkey", conn.sslkey);
  t.read("connect_timeout", conn.connect_timeout, std::chrono::seconds(1), std::chrono::hours(1));
}

bool valid_identifier(const std::string& s) {
  static const std::regex re("^[a-z_][a-z0-9_]{0,62}$");
  return std::regex_match(s, re);
}

void read_pipeline(table_reader& t, pipeline_section& p) {
  t.read("name", p.name, true, "a short name such as name = \"orders_to_starrocks\"");
  if (!p.name.empty() && !valid_identifier(p.name))
    t.conflict("name", "must be lower-case letters, digits and _ (it names the replication slot), got \"" + p.name + "\"");
  std::string state_dir;
  t.read("state_dir", state_dir);
  p.state_dir = state_dir.empty() ? std::filesystem::path("pg2sr-state") / p.name : std::filesystem::path(state_dir);
  t.read("status_interval", p.status_interval, std::chrono::milliseconds(100), std::chrono::hours(1));
  t.read_size("max_in_flight_bytes", p.max_in_flight_bytes, 1ull << 20, 64ull << 30);
  t.finish();
}

void read_synthetic(table_reader& t, synthetic_source& s) {
  t.read_int("seed", s.seed, 0, INT64_MAX);
  t.read_int("tables", s.tables, 1, 10'000);
  t.read_int("columns", s.columns, 1, 1'600);
  t.read_int("row_bytes", s.row_bytes, 1, 64 << 20);
  t.read_int("txn_rows_min", s.txn_rows_min, 1, 10'000'000);
  t.read_int("txn_rows_max", s.txn_rows_max, 1, 10'000'000);
  t.read("insert_weight", s.insert_weight, 0, 1e6);
  t.read("update_weight", s.update_weight, 0, 1e6);
  t.read("delete_weight", s.delete_weight, 0, 1e6);
  t.read("truncate_weight", s.truncate_weight, 0, 1e6);
  t.read("unchanged_toast_share", s.unchanged_toast_share, 0, 1);
  t.read_enum("replica_identity", s.identity, {{"default", replica_identity::default_key}, {"full", replica_identity::full}});
  t.read_int("max_events", s.max_events, 0, INT64_MAX);
  t.read("max_duration", s.max_duration, duration(0), std::chrono::hours(24 * 365));
  t.read_int("events_per_sec", s.events_per_sec, 0, INT64_MAX);
  if (s.txn_rows_min > s.txn_rows_max)
    t.conflict("txn_rows_min", "must not exceed txn_rows_max (" + std::to_string(s.txn_rows_max) + ")");
  if (s.insert_weight + s.update_weight + s.delete_weight + s.truncate_weight <= 0)
    t.conflict("insert_weight", "at least one of insert/update/delete/truncate_weight must be above 0");
  if (s.max_events == 0 && s.max_duration.count() == 0 && t.present())
    t.conflict("max_events", "with max_events = 0 set max_duration, so that a load test ends by itself");
  t.finish();
}

void read_source(table_reader& t, source_section& s, const std::string& pipeline_name, reporter& rep) {
  if (!t.present()) {
    t.missing("kind", "add a [source] section with kind = \"postgres\" or \"synthetic\"");
    return;
  }
  const toml::node* kind = t.table()->get("kind");
  if (!kind) t.missing("kind", "kind = \"postgres\" or \"synthetic\"");
  t.read_enum("kind", s.kind, {{"postgres", source_kind::postgres}, {"synthetic", source_kind::synthetic}});
  if (s.kind == source_kind::postgres) {
    read_connection(t, s.postgres, rep);
    t.read("slot", s.slot);
    t.read("publication", s.publication);
    t.read_enum("publication_mode", s.publication_mode,
                {{"all_tables", publication_mode::all_tables}, {"filtered", publication_mode::filtered},
                 {"disabled", publication_mode::disabled}});
    t.read("binary", s.binary);
    t.read("streaming", s.streaming);
    t.read_enum("on_lost_slot", s.on_lost_slot,
                {{"fail", lost_slot_action::fail}, {"resync", lost_slot_action::resync}});
    t.read("status_interval", s.status_interval, std::chrono::milliseconds(100), std::chrono::minutes(10));
    if (s.slot.empty()) s.slot = "pg2sr_" + pipeline_name;
    if (s.publication.empty()) s.publication = "pg2sr_" + pipeline_name;
    if (!valid_identifier(s.slot))
      t.conflict("slot", "a slot name is lower-case letters, digits and _ (at most 63), got \"" + s.slot + "\"");
    auto syn = t.sub("synthetic");
    if (syn.present()) t.conflict("synthetic", "[source.synthetic] applies only with kind = \"synthetic\"");
  } else {
    for (const char* key : {"host", "port", "dbname", "user", "password", "password_env", "password_file", "slot",
                            "publication", "publication_mode", "sslmode", "sslrootcert", "sslcert", "sslkey", "binary", "streaming",
                            "on_lost_slot"}) {
      if (t.has(key)) {
        t.node(key);
        t.conflict(key, "applies only with kind = \"postgres\"");
      }
    }
    auto syn = t.sub("synthetic");
    read_synthetic(syn, s.synthetic);
  }
  t.finish();
}

void read_snapshot(table_reader& t, snapshot_section& s) {
  t.read_enum("mode", s.mode, {{"initial", snapshot_mode::initial}, {"never", snapshot_mode::never},
                               {"snapshot_only", snapshot_mode::snapshot_only}});
  t.read_int("chunk_rows", s.chunk_rows, 1, 100'000'000);
  t.read_int("parallelism", s.parallelism, 1, 64);
  t.read_int("max_rows_per_sec", s.max_rows_per_sec, 0, INT64_MAX);
  t.read("chunk_pause", s.chunk_pause, duration(0), std::chrono::hours(1));
  t.read_enum("format", s.format, {{"text", copy_format::text}, {"binary", copy_format::binary}});
  if (s.format == copy_format::binary)
    t.conflict("format", "binary COPY is not supported yet: chunk rows must match the stream's text values; "
                         "use format = \"text\"");
  t.finish();
}

void read_tables(table_reader& t, tables_section& s) {
  t.read_regexes("include", s.include);
  t.read_regexes("exclude", s.exclude);
  if (t.has("include") && s.include.empty())
    t.conflict("include", "an empty include list selects no table; remove the key to select public.*");
  auto overrides = t.sub("override");
  if (overrides.present()) {
    for (const auto& [k, v] : *overrides.table()) {
      std::string name(k.str());
      overrides.node(name);
      auto one = overrides.sub(name);
      if (!one.present()) continue;
      if (name.find('.') == std::string::npos)
        overrides.conflict(name, "a table is named schema.table, e.g. [tables.override.\"public." + name + "\"]");
      table_override o;
      one.read("key_column", o.key_column);
      one.finish();
      s.overrides[name] = o;
    }
  }
  t.finish();
}

void read_batch(table_reader& t, batch_section& b) {
  t.read_size("max_bytes", b.max_bytes, 1024, 1ull << 30);
  t.read_int("max_rows", b.max_rows, 1, 100'000'000);
  t.read("flush_interval", b.flush_interval, std::chrono::milliseconds(1), std::chrono::hours(1));
  t.finish();
}

void read_sink(table_reader& t, sink_section& s, reporter& rep) {
  if (!t.present()) {
    t.missing("kind", "add a [sink] section with kind = \"starrocks\", \"postgres\", \"jsonl\" or \"null\"");
    return;
  }
  if (!t.has("kind")) t.missing("kind", "kind = \"starrocks\", \"postgres\", \"jsonl\" or \"null\"");
  t.read_enum("kind", s.kind, {{"starrocks", sink_kind::starrocks}, {"postgres", sink_kind::postgres},
                               {"jsonl", sink_kind::jsonl}, {"null", sink_kind::null}});
  switch (s.kind) {
    case sink_kind::starrocks: {
      auto& sr = s.starrocks;
      t.read("fe_url", sr.fe_url);
      if (sr.fe_url.rfind("http://", 0) != 0 && sr.fe_url.rfind("https://", 0) != 0)
        t.conflict("fe_url", "must start with http:// or https://, got \"" + sr.fe_url + "\"");
      t.read("database", sr.database, true, "the StarRocks database to load into");
      t.read("user", sr.user);
      read_password(t, sr.password, rep);
      read_readable_file(t, "ca_file", sr.ca_file);
      t.read("allow_https_to_http_redirect", sr.allow_https_to_http_redirect);
      t.read_enum("format", sr.format, {{"json", row_format::json}, {"csv", row_format::csv}});
      t.read_enum("compression", sr.compression,
                  {{"none", compression::none}, {"lz4", compression::lz4}, {"gzip", compression::gzip}});
      t.read_int("max_concurrent_loads", sr.max_concurrent_loads, 1, 256);
      t.read("load_timeout", sr.load_timeout, std::chrono::seconds(1), std::chrono::hours(24));
      t.read_enum("numeric_without_precision", sr.numeric_without_precision,
                  {{"decimal", unconstrained_numeric::decimal}, {"string", unconstrained_numeric::string}});
      t.read_int("numeric_scale", sr.numeric_scale, 0, 38);
      t.read_enum("numeric_nan", sr.numeric_nan, {{"reject", numeric_special::reject}, {"null", numeric_special::null}});
      t.read("exactly_once", sr.exactly_once);
      break;
    }
    case sink_kind::postgres:
      read_connection(t, s.postgres.connection, rep);
      t.read("create_tables", s.postgres.create_tables);
      t.read("key_after_snapshot", s.postgres.key_after_snapshot);
      t.read("add_columns", s.postgres.add_columns);
      t.read_int("max_concurrent_loads", s.postgres.max_concurrent_loads, 1, 64);
      break;
    case sink_kind::jsonl: {
      std::string path;
      t.read("path", path, true, "the output file, e.g. path = \"changes.jsonl\"");
      s.jsonl.path = path;
      t.read("fsync", s.jsonl.fsync);
      break;
    }
    case sink_kind::null:
      t.read_int("rows_per_sec", s.null_rows_per_sec, 0, INT64_MAX);
      break;
  }
  t.finish();
}

pipeline_config load_table(const toml::table& root, const std::string& file) {
  reporter rep{file, {}};
  pipeline_config cfg;
  cfg.file = file;
  table_reader top(&root, "", rep, root.source());

  auto pipeline = top.sub("pipeline");
  if (!pipeline.present()) top.missing("pipeline", "add [pipeline] with name = \"...\"");
  else read_pipeline(pipeline, cfg.pipeline);

  auto source = top.sub("source");
  read_source(source, cfg.source, cfg.pipeline.name, rep);
  auto snapshot = top.sub("snapshot");
  read_snapshot(snapshot, cfg.snapshot);
  auto tables = top.sub("tables");
  read_tables(tables, cfg.tables);
  auto batch = top.sub("batch");
  read_batch(batch, cfg.batch);
  auto sink = top.sub("sink");
  read_sink(sink, cfg.sink, rep);
  top.finish();

  // Options that contradict each other across sections.
  if (cfg.source.kind == source_kind::synthetic && snapshot.has("mode") && cfg.snapshot.mode != snapshot_mode::never)
    snapshot.conflict("mode", "a synthetic source has no tables to snapshot; use mode = \"never\" or remove it");
  if (cfg.source.kind == source_kind::synthetic) cfg.snapshot.mode = snapshot_mode::never;
  if (!batch.has("max_bytes"))
    cfg.batch.max_bytes = std::min(cfg.batch.max_bytes, cfg.pipeline.max_in_flight_bytes / 2);
  if (cfg.batch.max_bytes > cfg.pipeline.max_in_flight_bytes)
    batch.conflict("max_bytes", "a batch (" + format_size(cfg.batch.max_bytes) +
                                    ") cannot exceed pipeline.max_in_flight_bytes (" +
                                    format_size(cfg.pipeline.max_in_flight_bytes) + ")");

  if (cfg.sink.kind == sink_kind::starrocks && cfg.source.binary)
    source.conflict("binary", "a StarRocks sink loads PostgreSQL's text output (binary uuid, bytea, inet... would "
                              "arrive as raw bytes); remove binary = true");

  if (cfg.sink.kind == sink_kind::postgres) {
    if (cfg.source.binary)
      source.conflict("binary", "a PostgreSQL sink loads PostgreSQL's text output (snapshot rows are text too); "
                                "remove binary = true");
    const auto &from = cfg.source.postgres, &to = cfg.sink.postgres.connection;
    if (cfg.source.kind == source_kind::postgres && from.host == to.host && from.port == to.port &&
        from.dbname == to.dbname)
      sink.conflict("dbname", "the target is the source database itself (its writes would be replicated again); "
                              "name another database");
    if (cfg.source.kind == source_kind::synthetic && cfg.sink.postgres.create_tables)
      sink.conflict("create_tables", "the synthetic source's tables are in no catalog to copy; create the target "
                                     "tables yourself");
  }

  if (!rep.problems.empty()) throw config_error(std::move(rep.problems));
  return cfg;
}

}  // namespace

pipeline_config load_string(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw config_error({{source_name, static_cast<int>(where.line), static_cast<int>(where.column), "",
                         "TOML syntax error: " + std::string(e.description())}});
  }
  return load_table(root, source_name);
}

pipeline_config load_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw config_error({{file.string(), 0, 0, "", "cannot open the configuration file; check the path given with -c"}});
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), file.string());
}

std::string conninfo(const postgres_connection& conn, bool with_password) {
  // libpq's quoting: single quotes around values, backslash before ' and \.
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string s = "host=" + quote(conn.host) + " port=" + std::to_string(conn.port) + " dbname=" + quote(conn.dbname) +
                  " user=" + quote(conn.user) + " sslmode=" + conn.sslmode +
                  " connect_timeout=" + std::to_string(std::max<long>(1, std::chrono::duration_cast<std::chrono::seconds>(conn.connect_timeout).count())) +
                  " application_name=pg2sr"
                  // Literals pg2sr writes stay literals even where a database or role sets it off.
                  " options='-c standard_conforming_strings=on'";
  for (auto [key, path] : {std::pair<const char*, const std::string*>{"sslrootcert", &conn.sslrootcert},
                            {"sslcert", &conn.sslcert}, {"sslkey", &conn.sslkey}})
    if (!path->empty()) s += std::string(" ") + key + "=" + quote(*path);
  if (with_password && !conn.password.empty()) s += " password=" + quote(conn.password.reveal());
  return s;
}

const char* to_string(source_kind k) { return k == source_kind::postgres ? "postgres" : "synthetic"; }
const char* to_string(publication_mode m) {
  switch (m) {
    case publication_mode::all_tables: return "all_tables";
    case publication_mode::filtered: return "filtered";
    default: return "disabled";
  }
}
const char* to_string(lost_slot_action a) { return a == lost_slot_action::resync ? "resync" : "fail"; }
const char* to_string(snapshot_mode m) {
  switch (m) {
    case snapshot_mode::initial: return "initial";
    case snapshot_mode::never: return "never";
    default: return "snapshot_only";
  }
}
const char* to_string(sink_kind k) {
  switch (k) {
    case sink_kind::starrocks: return "starrocks";
    case sink_kind::postgres: return "postgres";
    case sink_kind::jsonl: return "jsonl";
    default: return "null";
  }
}

}  // namespace pg2sr::config
