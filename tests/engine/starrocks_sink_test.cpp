// pg2sr into StarRocks, end to end: the harness's real PostgreSQL, a pg2sr process with
// [sink] kind = "starrocks", and the Stream Load emulator (the real protocol over loopback)
// in this test process. The emulator's tables are created from pg2sr's own type mapping,
// as `pg2sr ddl` would create them; afterwards each must equal its source row for row.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "tests/emulator/pg2sr_tables.hpp"
#include "tests/engine/live_pipeline.hpp"
#include "tests/engine/pgbench_workload.hpp"
#include "tests/support/pg_harness.hpp"

using namespace pg2sr;
using namespace pg2sr::test;
namespace emu = pg2sr::test::starrocks;

namespace {

const char* target_db = "pg2sr_e2e";
const char* starrocks_password = "sr-secret-77";

// The [sink] of a pipeline loading into `emulator`.
std::string sink_toml(const emu::starrocks_emulator& emulator, const std::string& format = "json",
                      const std::string& compression = "none") {
  return "[sink]\nkind = \"starrocks\"\nfe_url = \"" + emulator.fe_url() + "\"\ndatabase = \"" + target_db +
         "\"\nuser = \"root\"\npassword_env = \"PG2SR_STARROCKS_TEST_PASSWORD\"\nformat = \"" + format +
         "\"\ncompression = \"" + compression + "\"\nmax_concurrent_loads = 3\n";
}

// Creates in the emulator the table of every selected source table, from pg2sr's mapping.
void create_targets(emu::starrocks_emulator& emulator, const live_pipeline& p) {
  setenv("PG2SR_LIVE_TEST_PASSWORD", live_test_password, 1);
  emu::create_pipeline_tables(emulator, p.dir() / "p.toml");
}

using keyed_rows = std::map<std::string, std::map<std::string, std::optional<std::string>>>;

// `SELECT <columns>` of a source table by key; each column through `render` (SQL, with
// {} standing for the column) so that it reads as StarRocks shows it.
keyed_rows source_rows(PGconn* conn, const std::string& table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& key, const std::map<std::string, std::string>& render = {}) {
  std::string select;
  for (const auto& c : columns) {
    std::string quoted = "\"" + c + "\"";
    std::string expr = quoted;  // the text output SELECT shows (a ::text cast would trim bpchar)
    if (auto r = render.find(c); r != render.end()) {
      expr = r->second;
      for (auto at = expr.find("{}"); at != std::string::npos; at = expr.find("{}", at + quoted.size()))
        expr.replace(at, 2, quoted);
    }
    select += (select.empty() ? "" : ", ") + expr;
  }
  PGresult* res = PQexec(conn, ("SELECT " + select + " FROM " + table).c_str());
  BOOST_REQUIRE_MESSAGE(PQresultStatus(res) == PGRES_TUPLES_OK, PQerrorMessage(conn));
  keyed_rows out;
  for (int r = 0; r < PQntuples(res); ++r) {
    std::map<std::string, std::optional<std::string>> row;
    for (int c = 0; c < PQnfields(res); ++c)
      row[columns[static_cast<std::size_t>(c)]] =
          PQgetisnull(res, r, c) ? std::nullopt : std::optional<std::string>(PQgetvalue(res, r, c));
    std::string k;
    for (const auto& kc : key) k += row[kc].value_or("NULL") + "|";
    out[k] = std::move(row);
  }
  PQclear(res);
  return out;
}

keyed_rows target_rows(const emu::starrocks_emulator& emulator, const std::string& table,
                       const std::vector<std::string>& key) {
  auto dump = emulator.dump(target_db, table);
  keyed_rows out;
  for (const auto& values : dump.rows) {
    std::map<std::string, std::optional<std::string>> row;
    for (std::size_t c = 0; c < dump.columns.size(); ++c) row[dump.columns[c]] = values[c];
    std::string k;
    for (const auto& kc : key) k += row[kc].value_or("NULL") + "|";
    out[k] = std::move(row);
  }
  return out;
}

// Values of JSON columns compare as documents (key order and spacing are the writer's).
bool same_value(const std::optional<std::string>& a, const std::optional<std::string>& b, bool as_json) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  if (!as_json) return *a == *b;
  auto ja = nlohmann::json::parse(*a, nullptr, false), jb = nlohmann::json::parse(*b, nullptr, false);
  return !ja.is_discarded() && ja == jb;
}

// "" when equal, else the first differences.
std::string compare(const keyed_rows& expected, const keyed_rows& actual, const std::vector<std::string>& json_columns = {}) {
  std::string diff;
  int shown = 0;
  for (const auto& [key, row] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      if (shown++ < 5) diff += "missing key " + key + "\n";
      continue;
    }
    for (const auto& [column, value] : row) {
      auto got = it->second.find(column);
      bool as_json = std::find(json_columns.begin(), json_columns.end(), column) != json_columns.end();
      if (got == it->second.end() || !same_value(value, got->second, as_json)) {
        if (shown++ < 5)
          diff += "key " + key + " column " + column + ": expected " + value.value_or("NULL") + ", got " +
                  (got == it->second.end() ? "no column" : got->second.value_or("NULL")) + "\n";
      }
    }
  }
  for (const auto& [key, row] : actual)
    if (!expected.count(key) && shown++ < 5) diff += "extra key " + key + "\n";
  if (!diff.empty())
    diff += "rows: expected " + std::to_string(expected.size()) + ", got " + std::to_string(actual.size());
  return diff;
}

struct emulator_fixture {
  emu::starrocks_emulator emulator{{"127.0.0.1", 0, 0, "root", starrocks_password, false}};
  emulator_fixture() {
    setenv("PG2SR_STARROCKS_TEST_PASSWORD", starrocks_password, 1);
    emulator.start();
  }
};

void require_pgbench_equal(PGconn* conn, const emu::starrocks_emulator& emulator) {
  for (auto [table, key] : {std::pair{"pgbench_accounts", "aid"}, {"pgbench_branches", "bid"},
                            {"pgbench_tellers", "tid"}, {"pgbench_history", "hid"}}) {
    auto actual = target_rows(emulator, table, {key});
    std::vector<std::string> columns;
    for (const auto& [column, value] : actual.begin()->second) columns.push_back(column);
    auto expected = source_rows(conn, std::string("public.") + table, columns, {key});
    std::string diff = compare(expected, actual);
    BOOST_TEST(diff.empty(), table << ": " << diff);
  }
}

const std::string pgbench_selection =
    "[snapshot]\nmode = \"initial\"\nchunk_rows = 5000\nparallelism = 2\n[tables]\n"
    "include = [\"public\\\\.pgbench_.*\", \"public\\\\.pg2sr_sentinel\"]\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(starrocks_sink)

BOOST_FIXTURE_TEST_CASE(snapshot_streaming_every_fault_and_kill_9_end_equal_to_the_source, emulator_fixture) {
  fresh_database("sr_load");
  make_pgbench("sr_load", 2);
  live_pipeline p("srload", cluster().port, "sr_load", pgbench_selection + sink_toml(emulator));
  create_targets(emulator, p);
  pgbench_workload work("sr_load", 20, 2);
  p.start();
  // Every fault kind hits some loads while the snapshot and the stream run.
  using emu::fault_kind;
  for (auto [kind, count, delay_ms] : {std::tuple{fault_kind::fail, 2, 0}, {fault_kind::http_500, 2, 0},
                                       {fault_kind::drop_connection, 2, 0}, {fault_kind::publish_timeout, 2, 300},
                                       {fault_kind::slow_response, 1, 1500}, {fault_kind::label_running, 1, 1500}}) {
    emulator.inject_fault({kind, count, std::chrono::milliseconds(delay_ms), ""});
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  p.kill9();  // mid-load: the snapshot is still running at scale 2 under load
  p.start();
  work.finish();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.pgbench_accounts done", std::chrono::seconds(300)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  require_pgbench_equal(p.sql(), emulator);
  auto stats = emulator.stats();
  for (const char* status : {"Fail", "HTTP 500", "Dropped", "Publish Timeout", "Label Already Exists"})
    BOOST_TEST(stats.by_status[status] > 0u, status << " was never answered: the fault did not hit");
  BOOST_TEST(emulator.pending_faults() == 0);
  BOOST_TEST(p.log().find("resuming after durable LSN") != std::string::npos);
  p.stop();
}

BOOST_AUTO_TEST_CASE(bad_password_stops_the_pipeline_with_the_servers_answer) {
  emu::starrocks_emulator emulator{{"127.0.0.1", 0, 0, "root", "another-password", false}};
  emulator.start();
  setenv("PG2SR_STARROCKS_TEST_PASSWORD", starrocks_password, 1);
  fresh_database("sr_auth");
  live_pipeline p("srauth", cluster().port, "sr_auth", sink_toml(emulator));
  exec(p.sql(), "CREATE TABLE t (id int PRIMARY KEY, v text)");
  create_targets(emulator, p);
  p.start_nowait();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("streaming slot", std::chrono::seconds(60)), p.log());
  exec(p.sql(), "INSERT INTO t VALUES (1, 'x')");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("HTTP 401", std::chrono::seconds(60)), p.log());
  BOOST_TEST(p.log().find("check sink.user and the password") != std::string::npos, p.log());
  BOOST_TEST(p.log().find("another-password") == std::string::npos);
  BOOST_TEST(p.log().find(starrocks_password) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(update_of_a_row_keeps_its_unchanged_toasted_column, emulator_fixture) {
  fresh_database("sr_toast");
  live_pipeline p("srtoast", cluster().port, "sr_toast", sink_toml(emulator));
  // md5 text does not compress: 40 of them (~1.3 KB each) are stored out of line (TOAST).
  exec(p.sql(), "CREATE TABLE docs (id int PRIMARY KEY, title text, body text)");
  create_targets(emulator, p);
  p.start();
  exec(p.sql(), "INSERT INTO docs SELECT g, 'first', (SELECT string_agg(md5(g::text || i::text), '') "
                "FROM generate_series(1, 1000) i) FROM generate_series(1, 20) g");
  BOOST_REQUIRE(p.wait_for_sentinel(1));
  exec(p.sql(), "UPDATE docs SET title = 'second' WHERE id <= 10");  // body is sent as unchanged TOAST
  BOOST_REQUIRE(p.wait_for_sentinel(2));
  auto expected = source_rows(p.sql(), "public.docs", {"id", "title", "body"}, {"id"});
  std::string diff = compare(expected, target_rows(emulator, "docs", {"id"}));
  BOOST_TEST(diff.empty(), diff);
  BOOST_TEST(target_rows(emulator, "docs", {"id"}).at("1|").at("title").value_or("NULL") == "second");
  p.stop();
}

BOOST_FIXTURE_TEST_CASE(a_column_the_target_lacks_stops_with_the_alter_table_to_run, emulator_fixture) {
  fresh_database("sr_alter");
  live_pipeline p("sralter", cluster().port, "sr_alter", sink_toml(emulator));
  exec(p.sql(), "CREATE TABLE t (id int PRIMARY KEY, v text)");
  create_targets(emulator, p);
  p.start();
  exec(p.sql(), "ALTER TABLE t ADD COLUMN price numeric(10,2); INSERT INTO t VALUES (1, 'a', 9.99)");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("ADD COLUMN", std::chrono::seconds(60)), p.log());
  BOOST_TEST(p.log().find("ALTER TABLE `pg2sr_e2e`.`t` ADD COLUMN `price` DECIMAL(10,2)") != std::string::npos, p.log());
}

namespace {

// Every type of the mapping, and per column how SELECT's text reads in StarRocks: the
// emulator stores what StarRocks would (BOOLEAN 1/0, DECIMAL at its scale, DATETIME, JSON
// documents). Columns whose target holds JSON compare as documents; floats as numbers.
const char* types_ddl = R"(
  CREATE EXTENSION IF NOT EXISTS hstore;
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE DOMAIN price AS numeric(10,2);
  CREATE TYPE pair AS (n int, label text);
  CREATE TABLE types_all (
    id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, o oid,
    n numeric(12,3), n_free numeric, money_v money, f4 float4, f8 float8, b bool,
    t text, vc varchar(20), ch char(5), qchar "char", nm name,
    d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval,
    u uuid, by bytea, j json, jb jsonb, ia int[], ta text[], ba bool[], na numeric[],
    e mood, dom price, inet_v inet, cidr_v cidr, mac macaddr, h hstore, comp pair,
    r int4range, bits bit(4), vbits varbit(8), x xml, pt point)
)";

// Rows g in [from, to]: extremes, NULLs (g % 3 == 2), unicode, quotes, newlines, tabs,
// backslashes. CSV cannot carry the text \N nor array elements with '"' or '\' (the
// encoder refuses them, pointing to JSON): those only go into the JSON run.
std::string types_rows(int from, int to, bool json_only_values) {
  std::string text = json_only_values ? R"(E'back\\slash \\N, tab\t, "quote", newline\n, ^caret, é 日本 🙂 ')"
                                      : R"(E'back\\slash, tab\t, "quote", newline\n, ^caret, é 日本 🙂 ')";
  std::string text_array = json_only_values ? R"(ARRAY['a"b', 'c\d', NULL, 'é 日本'])" : R"(ARRAY['a,b', 'x y', NULL, 'é 日本'])";
  auto when = [](const std::string& values) { return "CASE WHEN g % 3 < 2 THEN " + values + " END"; };
  return "INSERT INTO types_all SELECT g, "
         "CASE g % 3 WHEN 0 THEN -32768 WHEN 1 THEN 32767 END, "
         "CASE g % 3 WHEN 0 THEN -2147483648 WHEN 1 THEN 2147483647 END, "
         "CASE g % 3 WHEN 0 THEN -9223372036854775808 WHEN 1 THEN 9223372036854775807 END, " +
         when("4294967295") + "::oid, "
         "CASE g % 3 WHEN 0 THEN -999999999.999 WHEN 1 THEN 0.001 END, "
         "CASE g % 4 WHEN 0 THEN 'NaN' WHEN 1 THEN 123456789.123456789 WHEN 2 THEN -0.5 END::numeric, "
         "CASE g % 3 WHEN 0 THEN -92233720368547758.08 WHEN 1 THEN 1234.56 END::money, "
         "CASE g % 4 WHEN 0 THEN 'NaN' WHEN 1 THEN '-Infinity' WHEN 2 THEN '3.4028235e38' END::float4, "
         "CASE g % 4 WHEN 0 THEN 'Infinity' WHEN 1 THEN '2.2250738585072014e-308' WHEN 2 THEN '0.1' END::float8, "
         "CASE g % 3 WHEN 0 THEN true WHEN 1 THEN false END, " +
         when(text + " || g") + ", " + when("'v ''' || g") + ", " + when("'ab'") + ", " + when("'q'") + ", " +
         when("'name_' || g") + ", "
         "CASE g % 3 WHEN 0 THEN '0001-01-01' WHEN 1 THEN '9999-12-31' END::date, "
         "CASE g % 3 WHEN 0 THEN '1970-01-01 00:00:00' WHEN 1 THEN '2024-02-29 23:59:59.999999' END::timestamp, "
         "CASE g % 3 WHEN 0 THEN '2024-01-02 03:04:05.5+02' WHEN 1 THEN '1999-12-31 23:59:59.123456-08' END::timestamptz, " +
         when("'23:59:59.999999'") + "::time, " + when("'10:00:00+05:30'") + "::timetz, " +
         when("'1 year 2 mons -3 days 04:05:06.7'") + "::interval, " +
         when("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'") + "::uuid, " + when(R"('\x00ff5c0a'::bytea)") + ", " +
         when(R"('{"k": [1, 2.5, null, "s\"q"], "z": {}}')") + "::json, " + when(R"('{"b": true, "a": "é"}')") + "::jsonb, " +
         when("ARRAY[1, NULL, -3]") + ", " + when(text_array) + ", " + when("ARRAY[true, NULL, false]") + ", " +
         when("ARRAY[1.5, NULL, -2]") + "::numeric[], " + when("'happy'") + "::mood, " + when("12345678.91") + "::price, " +
         when("'192.168.0.1/24'") + "::inet, " + when("'10.0.0.0/8'") + "::cidr, " + when("'08:00:2b:01:02:03'") +
         "::macaddr, " + when(R"('a=>1, "b c"=>NULL')") + "::hstore, " + when(R"(ROW(g, 'x, "y"')::pair)") + ", " +
         when("'[1,10)'") + "::int4range, " + when("B'1010'") + ", " + when("B'101'") + "::varbit, " +
         when("'<a>b</a>'") + "::xml, " + when("'(1.5,-2)'") + "::point "
         "FROM generate_series(" + std::to_string(from) + ", " + std::to_string(to) + ") g";
}

// SQL giving, per column, the text StarRocks shows for the value (others: SELECT's text).
const std::map<std::string, std::string> types_render = {
    {"n_free", "CASE WHEN {} = 'NaN' THEN NULL ELSE round({}, 9)::text END"},  // DECIMAL(38,9); NaN -> NULL
    {"money_v", "{}::numeric::text"},
    {"b", "CASE {} WHEN true THEN '1' WHEN false THEN '0' END"},
    {"tstz", R"(regexp_replace(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '\.?0+$', ''))"},
    {"ia", "to_json({})::text"}, {"ta", "to_json({})::text"}, {"ba", "to_json({})::text"}, {"na", "to_json({})::text"},
    {"h", "hstore_to_json({})::text"}, {"comp", "to_json({})::text"},
};
const std::vector<std::string> types_json_columns = {"j", "jb", "ia", "ta", "ba", "na", "h", "comp"};

void require_types_equal(PGconn* conn, const emu::starrocks_emulator& emulator) {
  auto actual = target_rows(emulator, "types_all", {"id"});
  BOOST_REQUIRE(!actual.empty());
  std::vector<std::string> columns;
  for (const auto& [column, value] : actual.begin()->second) columns.push_back(column);
  auto expected = source_rows(conn, "public.types_all", columns, {"id"}, types_render);
  // Floats: StarRocks prints its own shortest form; compare the numbers.
  for (auto* rows : {&expected, &actual})
    for (auto& [key, row] : *rows)
      for (const char* f : {"f4", "f8"})
        if (row[f]) {
          double v = std::strtod(row[f]->c_str(), nullptr);
          row[f] = std::isnan(v) ? "nan" : std::to_string(v) + "/" + std::to_string(std::signbit(v));
        }
  std::string diff = compare(expected, actual, types_json_columns);
  BOOST_TEST(diff.empty(), diff);
}

void run_types_test(emu::starrocks_emulator& emulator, const std::string& format) {
  std::string db = "sr_types_" + format;
  fresh_database(db);
  live_pipeline p("srtypes" + format, cluster().port, db,
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 50\n" + sink_toml(emulator, format) +
                      "numeric_nan = \"null\"\n");
  exec(p.sql(), types_ddl);
  exec(p.sql(), types_rows(1, 120, format == "json"));  // read by the snapshot (COPY)
  create_targets(emulator, p);
  p.start();
  exec(p.sql(), types_rows(121, 240, format == "json"));  // streamed (pgoutput)
  exec(p.sql(), "UPDATE types_all SET t = t || ' updated', ia = ia || 4 WHERE id % 5 = 0; "
                "DELETE FROM types_all WHERE id % 7 = 0");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.types_all done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  require_types_equal(p.sql(), emulator);
  p.stop();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(every_type_arrives_as_select_shows_it_in_json, emulator_fixture) { run_types_test(emulator, "json"); }

BOOST_FIXTURE_TEST_CASE(every_type_arrives_as_select_shows_it_in_csv, emulator_fixture) { run_types_test(emulator, "csv"); }

BOOST_FIXTURE_TEST_CASE(exactly_once_into_a_duplicate_key_table_survives_kill_9_and_faults, emulator_fixture) {
  // A keyless table becomes a Duplicate Key table: a row loaded twice would stay twice. The
  // snapshot is slowed to about 2 s so that the kills land in it: chunks loaded but not
  // done, rows the stream brings that the open last chunk (new rows go there) reads too.
  fresh_database("sr_once");
  live_pipeline p("sronce", cluster().port, "sr_once",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 500\nmax_rows_per_sec = 10000\n" +
                      sink_toml(emulator) + "exactly_once = true\n");
  exec(p.sql(), "CREATE TABLE events (id int, v text); ALTER TABLE events REPLICA IDENTITY FULL;"
                "INSERT INTO events SELECT g, 'old ' || g FROM generate_series(1, 20000) g");
  create_targets(emulator, p);
  p.start();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto conn = connect(cluster().conninfo("sr_once"));
    for (int i = 0; !stop.load(); ++i) {
      exec(conn.get(), "INSERT INTO events SELECT g, 'new' FROM generate_series(" + std::to_string(10'000 + i * 100) +
                           ", " + std::to_string(10'000 + i * 100 + 99) + ") g");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  struct joiner {  // a failed REQUIRE below must not leave the writer running
    std::atomic<bool>& stop;
    std::thread& t;
    ~joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join_writer{stop, writer};
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> delay_ms(200, 900);
  for (int round = 0; round < 3; ++round) {
    emulator.inject_fault({emu::fault_kind::drop_connection, 1, std::chrono::milliseconds(0), ""});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    p.kill9();
    p.start();
  }
  stop = true;
  writer.join();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.events done", std::chrono::seconds(120)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  p.stop();  // the last recorded loads are committed before it exits
  // Every source row exactly once: compare the sorted lists, duplicates included.
  std::vector<std::string> source, target;
  for (const auto& row : query(p.sql(), "SELECT id || '|' || v FROM events")) source.push_back(row[0]);
  for (const auto& row : emulator.dump(target_db, "events").rows) target.push_back(row[0].value_or("NULL") + "|" + row[1].value_or("NULL"));
  std::sort(source.begin(), source.end());
  std::sort(target.begin(), target.end());
  BOOST_TEST(source.size() == target.size());
  std::vector<std::string> missing, doubled;
  std::set_difference(source.begin(), source.end(), target.begin(), target.end(), std::back_inserter(missing));
  std::set_difference(target.begin(), target.end(), source.begin(), source.end(), std::back_inserter(doubled));
  BOOST_TEST(missing.empty(), missing.size() << " rows missing, e.g. " << (missing.empty() ? "" : missing[0]));
  BOOST_TEST(doubled.empty(), doubled.size() << " rows too many, e.g. " << (doubled.empty() ? "" : doubled[0]));
  BOOST_TEST(p.log().find("exactly once: committed") != std::string::npos, p.log());
  BOOST_TEST(emulator.stats().transaction_requests > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
