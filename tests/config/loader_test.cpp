// The TOML loader: a valid full file, and every kind of bad input reported with its
// exact file:line:col, all problems at once, secrets never echoed.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/config.hpp"

using namespace pg2sr::config;

namespace {

// The problems a text produces, as the user sees them; empty when it loads.
std::vector<std::string> problems_of(const std::string& text) {
  try {
    load_string(text, "p.toml");
  } catch (const config_error& e) {
    std::vector<std::string> out;
    for (const auto& p : e.problems()) out.push_back(p.to_string());
    return out;
  }
  return {};
}

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

std::string dump(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

const std::string minimal_synthetic = R"([pipeline]
name = "t"
[source]
kind = "synthetic"
[sink]
kind = "null"
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(loader)

BOOST_AUTO_TEST_CASE(loads_the_full_example_with_every_key) {
  setenv("PG2SR_SOURCE_PASSWORD", "s3cr3t-source", 1);
  setenv("PG2SR_STARROCKS_PASSWORD", "s3cr3t-sr", 1);
  auto cfg = load_file(std::string(std::getenv("PG2SR_SOURCE_DIR")) + "/config/examples/full.toml");
  BOOST_TEST(cfg.pipeline.name == "shop");
  BOOST_TEST(cfg.pipeline.max_in_flight_bytes == 64ull << 20);
  BOOST_TEST(cfg.source.postgres.dbname == "shop");
  BOOST_TEST(cfg.source.postgres.password.reveal() == "s3cr3t-source");
  BOOST_TEST(cfg.source.slot == "pg2sr_shop");
  BOOST_TEST((cfg.source.publication_mode == publication_mode::filtered));
  BOOST_TEST(cfg.snapshot.chunk_rows == 50000u);
  BOOST_TEST(cfg.tables.exclude.size() == 1u);
  BOOST_TEST(cfg.tables.overrides.at("public.events").key_column == "event_id");
  BOOST_TEST(cfg.batch.flush_interval.count() == 1'000'000);
  BOOST_TEST((cfg.sink.kind == sink_kind::starrocks));
  BOOST_TEST(cfg.sink.starrocks.password.reveal() == "s3cr3t-sr");
  BOOST_TEST(cfg.sink.starrocks.max_concurrent_loads == 4);
  BOOST_TEST((cfg.sink.starrocks.numeric_nan == numeric_special::reject));
}

BOOST_AUTO_TEST_CASE(starrocks_numeric_options_are_read_and_checked) {
  const std::string base = minimal_synthetic.substr(0, minimal_synthetic.find("[sink]")) +
                           "[sink]\nkind = \"starrocks\"\ndatabase = \"d\"\n";
  auto cfg = load_string(base + "numeric_without_precision = \"string\"\nnumeric_nan = \"null\"\nexactly_once = true\n", "p.toml");
  BOOST_TEST((cfg.sink.starrocks.numeric_without_precision == unconstrained_numeric::string));
  BOOST_TEST((cfg.sink.starrocks.numeric_nan == numeric_special::null));
  BOOST_TEST(cfg.sink.starrocks.exactly_once);
  BOOST_CHECK_EXCEPTION(load_string(base + "numeric_scale = 40\n", "p.toml"), config_error, [](const config_error& e) {
    return std::string(e.what()).find("sink.numeric_scale") != std::string::npos;
  });
  std::string binary_source = "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nbinary = true\n"
                              "[sink]\nkind = \"starrocks\"\ndatabase = \"d\"\n";
  BOOST_CHECK_EXCEPTION(load_string(binary_source, "p.toml"), config_error, [](const config_error& e) {
    return std::string(e.what()).find("source.binary") != std::string::npos;
  });
}

// Streaming of transactions in progress is opt-in: off, PostgreSQL spills a large
// transaction and pg2sr's memory stays bounded.
BOOST_AUTO_TEST_CASE(streaming_is_off_unless_asked_for_and_only_for_postgres) {
  std::string source = "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n";
  std::string sink = "[sink]\nkind = \"null\"\n";
  BOOST_TEST(!load_string(source + sink, "p.toml").source.streaming);
  BOOST_TEST(load_string(source + "streaming = true\n" + sink, "p.toml").source.streaming);
  auto p = problems_of(minimal_synthetic + "[source]\nstreaming = true\n");
  BOOST_TEST(!p.empty());
  p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"synthetic\"\nstreaming = true\n" + sink);
  BOOST_TEST(contains(p, "source.streaming"), dump(p));
}

BOOST_AUTO_TEST_CASE(defaults_fill_what_is_left_out) {
  auto cfg = load_string(minimal_synthetic, "p.toml");
  BOOST_TEST(cfg.pipeline.state_dir.string() == "pg2sr-state/t");
  BOOST_TEST(cfg.batch.max_bytes == 16ull << 20);
  BOOST_TEST((cfg.snapshot.mode == snapshot_mode::never));  // nothing to snapshot
  BOOST_TEST(cfg.source.synthetic.max_events == 1'000'000u);
}

BOOST_AUTO_TEST_CASE(reports_syntax_error_with_position) {
  auto p = problems_of("[pipeline]\nname = \"x\n");
  BOOST_REQUIRE_EQUAL(p.size(), 1u);
  BOOST_TEST(p[0].rfind("p.toml:2:", 0) == 0, dump(p));
  BOOST_TEST(contains(p, "TOML syntax error"));
}

BOOST_AUTO_TEST_CASE(reports_unknown_key_with_did_you_mean) {
  auto p = problems_of(minimal_synthetic + "[batch]\nmax_byte = \"1MiB\"\n");
  BOOST_TEST(contains(p, "p.toml:8:1: batch.max_byte: unknown key; did you mean \"max_bytes\"?"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_unknown_section) {
  auto p = problems_of(minimal_synthetic + "[snapshots]\nmode = \"never\"\n");
  BOOST_TEST(contains(p, "p.toml:7:2: snapshots: unknown key; did you mean \"snapshot\"?"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_wrong_type_with_the_value) {
  auto p = problems_of(minimal_synthetic + "[batch]\nmax_rows = \"many\"\n");
  BOOST_TEST(contains(p, "p.toml:8:12: batch.max_rows: expected an integer (got \"many\")"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_out_of_range_value) {
  auto p = problems_of(minimal_synthetic + "[snapshot]\nparallelism = 0\n");
  BOOST_TEST(contains(p, "p.toml:8:15: snapshot.parallelism: must be between 1 and 64 (got 0)"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_bad_units) {
  auto p = problems_of(minimal_synthetic + "[batch]\nflush_interval = 5\nmax_bytes = \"0B\"\n");
  BOOST_TEST(contains(p, "p.toml:8:18: batch.flush_interval: expected a duration string"), dump(p));
  BOOST_TEST(contains(p, "p.toml:9:13: batch.max_bytes: must be between 1KiB and 1GiB (got \"0B\")"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_bad_enum_with_suggestion) {
  auto p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgress\"\n[sink]\nkind = \"null\"\n");
  BOOST_TEST(contains(p, "p.toml:4:8: source.kind: expected one of \"postgres\", \"synthetic\"; did you mean \"postgres\"?"),
             dump(p));
}

BOOST_AUTO_TEST_CASE(reports_missing_required_keys_at_their_table) {
  auto p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\n[sink]\nkind = \"jsonl\"\n");
  BOOST_TEST(contains(p, "p.toml:3:1: source.dbname: required key is missing"), dump(p));
  BOOST_TEST(contains(p, "p.toml:3:1: source.user: required key is missing"), dump(p));
  BOOST_TEST(contains(p, "p.toml:5:1: sink.path: required key is missing"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_missing_sections) {
  auto p = problems_of("[pipeline]\nname = \"t\"\n");
  BOOST_TEST(contains(p, "source.kind: required key is missing"), dump(p));
  BOOST_TEST(contains(p, "sink.kind: required key is missing"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_conflicting_options) {
  auto p = problems_of(
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"synthetic\"\nslot = \"s\"\n"
      "[snapshot]\nmode = \"initial\"\n[sink]\nkind = \"null\"\n");
  BOOST_TEST(contains(p, "p.toml:5:8: source.slot: applies only with kind = \"postgres\""), dump(p));
  BOOST_TEST(contains(p, "p.toml:7:8: snapshot.mode: a synthetic source has no tables to snapshot"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_two_password_sources_as_conflict) {
  auto p = problems_of(
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
      "password_env = \"X\"\npassword_file = \"/tmp/x\"\n[sink]\nkind = \"null\"\n");
  BOOST_TEST(contains(p, "p.toml:8:17: source.password_file: give only one of"), dump(p));
}

BOOST_AUTO_TEST_CASE(refuses_binary_snapshot_format_until_it_is_supported) {
  auto p = problems_of(minimal_synthetic + "[snapshot]\nformat = \"binary\"\n");
  BOOST_TEST(contains(p, "p.toml:8:10: snapshot.format: binary COPY is not supported yet"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_invalid_regex) {
  auto p = problems_of(minimal_synthetic + "[tables]\ninclude = [\"public\\\\.(\"]\n");
  BOOST_TEST(contains(p, "p.toml:8:12: tables.include: is not a valid regular expression"), dump(p));
}

BOOST_AUTO_TEST_CASE(collects_every_problem_not_only_the_first) {
  auto p = problems_of(minimal_synthetic + "[batch]\nmax_rows = -1\nmax_byte = 1\nflush_interval = \"1 year\"\n");
  BOOST_TEST(p.size() == 3u, dump(p));
}

BOOST_AUTO_TEST_CASE(refuses_plain_password_and_never_echoes_it) {
  const std::string text =
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
      "password = \"hunter2-secret\"\n[sink]\nkind = \"null\"\n";
  auto p = problems_of(text);
  BOOST_TEST(contains(p, "p.toml:7:12: source.password: a plain password in the file is refused"), dump(p));
  BOOST_TEST(dump(p).find("hunter2-secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(accepts_plain_password_when_insisted_on_and_keeps_it_out_of_conninfo) {
  auto cfg = load_string(
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
      "password = \"hunter2-secret\"\nallow_plain_password = true\n[sink]\nkind = \"null\"\n",
      "p.toml");
  BOOST_TEST(cfg.source.postgres.password.reveal() == "hunter2-secret");
  BOOST_TEST(conninfo(cfg.source.postgres, false).find("hunter2") == std::string::npos);
  BOOST_TEST(conninfo(cfg.source.postgres, true).find("password='hunter2-secret'") != std::string::npos);
}

// Issue 19.3: a database or role with standard_conforming_strings = off makes a backslash in
// a literal an escape; every connection pg2sr opens pins it on.
BOOST_AUTO_TEST_CASE(conninfo_pins_standard_conforming_strings) {
  auto cfg = load_string("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                         "[sink]\nkind = \"null\"\n",
                         "p.toml");
  BOOST_TEST(conninfo(cfg.source.postgres, false).find(" options='-c standard_conforming_strings=on'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_typed_password_is_reported_without_its_value) {
  auto p = problems_of(
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
      "password = 123456789\n[sink]\nkind = \"null\"\n");
  BOOST_TEST(contains(p, "source.password: expected a string (got an integer (value hidden))"), dump(p));
  BOOST_TEST(dump(p).find("123456789") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reads_password_from_file_without_trailing_newline) {
  const char* path = "/tmp/pg2sr_loader_test_password";
  { std::ofstream(path) << "from-file\n"; }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto cfg = load_string(
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
      "password_file = \"" + std::string(path) + "\"\n[sink]\nkind = \"null\"\n", "p.toml");
  BOOST_TEST(cfg.source.postgres.password.reveal() == "from-file");
  std::remove(path);
}

// Issue 19.8: libpq refuses a group- or world-readable ~/.pgpass; a directory or an empty
// file meant "no password" without a word.
BOOST_AUTO_TEST_CASE(refuses_a_password_file_others_may_read_a_directory_or_an_empty_file) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / "pg2sr_loader_test_password_files";
  fs::remove_all(dir);
  fs::create_directories(dir / "a_directory");
  { std::ofstream(dir / "readable") << "secret\n"; }
  fs::permissions(dir / "readable", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  { std::ofstream(dir / "empty") << "\n"; }
  fs::permissions(dir / "empty", fs::perms::owner_read | fs::perms::owner_write);
  for (auto [file, problem] : {std::pair<std::string, std::string>{"readable", "may be read or written by group or others; chmod 600"},
                               {"a_directory", "is not a regular file"}, {"empty", "is empty"}}) {
    auto p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                         "password_file = \"" + (dir / file).string() + "\"\n[sink]\nkind = \"null\"\n");
    BOOST_TEST(contains(p, "source.password_file: " + (dir / file).string() + " " + problem), dump(p));
  }
  fs::remove_all(dir);
}

// Issue 19.7: the certificate files libpq and curl verify with; a path that cannot be read
// is refused at load, naming the key and the path, not at the first TLS handshake.
BOOST_AUTO_TEST_CASE(tls_files_reach_conninfo_and_curl_and_unreadable_ones_are_refused) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / "pg2sr_loader_test_tls_files";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"root.crt", "client.crt", "client's.key"}) std::ofstream(dir / f) << "pem\n";
  auto cfg = load_string("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                         "sslmode = \"verify-full\"\nsslrootcert = \"" + (dir / "root.crt").string() + "\"\n"
                         "sslcert = \"" + (dir / "client.crt").string() + "\"\nsslkey = \"" +
                             (dir / "client's.key").string() + "\"\n"
                         "[sink]\nkind = \"starrocks\"\ndatabase = \"db\"\nfe_url = \"https://fe:8030\"\n"
                         "ca_file = \"" + (dir / "root.crt").string() + "\"\nallow_https_to_http_redirect = true\n",
                         "p.toml");
  std::string info = conninfo(cfg.source.postgres, false);
  BOOST_TEST(info.find(" sslmode=verify-full") != std::string::npos, info);
  BOOST_TEST(info.find(" sslrootcert='" + (dir / "root.crt").string() + "'") != std::string::npos, info);
  BOOST_TEST(info.find(" sslcert='" + (dir / "client.crt").string() + "'") != std::string::npos, info);
  BOOST_TEST(info.find(" sslkey='" + (dir / "client\\'s.key").string() + "'") != std::string::npos, info);
  BOOST_TEST(cfg.sink.starrocks.ca_file == (dir / "root.crt").string());
  BOOST_TEST(cfg.sink.starrocks.allow_https_to_http_redirect);
  BOOST_TEST(!starrocks_sink{}.allow_https_to_http_redirect);  // refused unless asked

  // Not given: libpq's defaults (~/.postgresql/root.crt), nothing in the conninfo.
  auto plain = load_string("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                           "[sink]\nkind = \"null\"\n", "p.toml");
  BOOST_TEST(conninfo(plain.source.postgres, false).find("sslrootcert") == std::string::npos);

  auto missing = (dir / "missing.crt").string();
  auto p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                       "sslrootcert = \"" + missing + "\"\nsslcert = \"" + dir.string() + "\"\n"
                       "[sink]\nkind = \"postgres\"\ndbname = \"t\"\nuser = \"u\"\nsslkey = \"" + missing + "\"\n");
  BOOST_TEST(contains(p, "source.sslrootcert: cannot read " + missing), dump(p));
  BOOST_TEST(contains(p, "source.sslcert: " + dir.string() + " is not a regular file"), dump(p));
  BOOST_TEST(contains(p, "sink.sslkey: cannot read " + missing), dump(p));
  p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"synthetic\"\n"
                  "[sink]\nkind = \"starrocks\"\ndatabase = \"db\"\nca_file = \"" + missing + "\"\n");
  BOOST_TEST(contains(p, "sink.ca_file: cannot read " + missing), dump(p));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(reports_unset_password_env) {
  unsetenv("PG2SR_NO_SUCH_VAR");
  auto p = problems_of(
      "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
      "password_env = \"PG2SR_NO_SUCH_VAR\"\n[sink]\nkind = \"null\"\n");
  BOOST_TEST(contains(p, "p.toml:7:16: source.password_env: environment variable PG2SR_NO_SUCH_VAR is not set"), dump(p));
}

BOOST_AUTO_TEST_CASE(reports_unreadable_file) {
  try {
    load_file("/nonexistent/pg2sr.toml");
    BOOST_FAIL("expected a config_error");
  } catch (const config_error& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent/pg2sr.toml: cannot open") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(postgres_sink_reads_its_keys_and_refuses_the_source_database_and_binary) {
  const std::string source = "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"app\"\nuser = \"r\"\n";
  auto cfg = load_string(source + "[sink]\nkind = \"postgres\"\ndbname = \"copy\"\nuser = \"w\"\ncreate_tables = true\n"
                                  "add_columns = true\nmax_concurrent_loads = 8\nkey_after_snapshot = false\n",
                         "p.toml");
  BOOST_TEST(cfg.sink.postgres.connection.dbname == "copy");
  BOOST_TEST(cfg.sink.postgres.create_tables);
  BOOST_TEST(!cfg.sink.postgres.key_after_snapshot);
  BOOST_TEST(load_string(source + "[sink]\nkind = \"postgres\"\ndbname = \"copy\"\nuser = \"w\"\n", "p.toml")
                 .sink.postgres.key_after_snapshot);
  BOOST_TEST(cfg.sink.postgres.add_columns);
  BOOST_TEST(cfg.sink.postgres.max_concurrent_loads == 8);
  auto p = problems_of(source + "binary = true\n[sink]\nkind = \"postgres\"\ndbname = \"app\"\nuser = \"w\"\n"
                                "max_concurrent_loads = 0\n");
  BOOST_TEST(contains(p, "sink.dbname: the target is the source database itself"), dump(p));
  BOOST_TEST(contains(p, "source.binary: a PostgreSQL sink loads"), dump(p));
  BOOST_TEST(contains(p, "sink.max_concurrent_loads: must be between 1 and 64"), dump(p));
  p = problems_of("[pipeline]\nname = \"t\"\n[source]\nkind = \"synthetic\"\n[sink]\nkind = \"postgres\"\n"
                  "dbname = \"copy\"\nuser = \"w\"\ncreate_tables = true\n");
  BOOST_TEST(contains(p, "sink.create_tables: the synthetic source's tables are in no catalog"), dump(p));
}

BOOST_AUTO_TEST_SUITE_END()
