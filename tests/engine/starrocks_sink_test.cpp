// pg2sr into StarRocks, end to end: the harness's real PostgreSQL, a pg2sr process with
// [sink] kind = "starrocks", and the Stream Load emulator (the real protocol over loopback)
// in this test process. The emulator's tables are created from pg2sr's own type mapping,
// as `pg2sr ddl` would create them; afterwards each must equal its source row for row.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actors/sinks/starrocks/stream_load_client.hpp"
#include "engine/sinks/starrocks/starrocks_schema.hpp"
#include "engine/source/table_selection.hpp"
#include "tests/emulator/pg2sr_tables.hpp"
#include "tests/emulator/starrocks_emulator.hpp"
#include "tests/engine/live_pipeline.hpp"
#include "tests/engine/pgbench_workload.hpp"
#include "tests/engine/toast_window_workload.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/ports.hpp"

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

// The loads that touched a key ("v1|v2|" as keyed_rows has it) of `table`, for a message.
std::string load_history(const emu::starrocks_emulator& emulator, const std::string& table, const std::string& key) {
  std::vector<std::string> parts;
  for (std::size_t start = 0, bar; (bar = key.find('|', start)) != std::string::npos; start = bar + 1)
    parts.push_back(key.substr(start, bar - start));
  std::string out;
  for (const auto& h : emulator.key_history(target_db, table, parts)) out += "    " + h + "\n";
  return out.empty() ? "    (no load touched it)\n" : out;
}

// "" when equal, else the first differences; with `explain`, each followed by what it says
// of that key.
std::string compare(const keyed_rows& expected, const keyed_rows& actual, const std::vector<std::string>& json_columns = {},
                    const std::function<std::string(const std::string&)>& explain = {}) {
  std::string diff;
  int shown = 0;
  auto note = [&](const std::string& key, const std::string& what) {
    if (shown++ >= 5) return;
    diff += what + "\n";
    if (explain) diff += explain(key);
  };
  for (const auto& [key, row] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      note(key, "missing key " + key);
      continue;
    }
    for (const auto& [column, value] : row) {
      auto got = it->second.find(column);
      bool as_json = std::find(json_columns.begin(), json_columns.end(), column) != json_columns.end();
      if (got == it->second.end() || !same_value(value, got->second, as_json)) {
        std::string shown_value = value.value_or("NULL");
        if (shown_value.size() > 80) shown_value = shown_value.substr(0, 80) + "...";
        std::string got_value = got == it->second.end() ? "no column" : got->second.value_or("NULL");
        if (got_value.size() > 80) got_value = got_value.substr(0, 80) + "...";
        note(key, "key " + key + " column " + column + ": expected " + shown_value + ", got " + got_value);
      }
    }
  }
  for (const auto& [key, row] : actual)
    if (!expected.count(key)) note(key, "extra key " + key);
  if (!diff.empty())
    diff += "rows: expected " + std::to_string(expected.size()) + ", got " + std::to_string(actual.size());
  return diff;
}

// compare() of a source table and its emulator table, explaining each difference by the
// loads that touched its key.
std::string compare_table(PGconn* conn, const emu::starrocks_emulator& emulator, const std::string& table,
                          const std::vector<std::string>& columns, const std::vector<std::string>& key) {
  auto expected = source_rows(conn, "public." + table, columns, key);
  return compare(expected, target_rows(emulator, table, key), {},
                 [&](const std::string& k) { return load_history(emulator, table, k); });
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
    std::string diff = compare_table(conn, emulator, table, columns, {key});
    BOOST_TEST(diff.empty(), table << ": " << diff);
  }
}

// Inserts 100 new rows into public.events every 10 ms until it goes out of scope.
class events_writer {
 public:
  explicit events_writer(const std::string& dbname)
      : thread_([this, dbname] {
          auto conn = connect(cluster().conninfo(dbname));
          for (int i = 0; !stop_.load(); ++i) {
            exec(conn.get(), "INSERT INTO events SELECT g, 'new' FROM generate_series(" + std::to_string(10'000 + i * 100) +
                                 ", " + std::to_string(10'000 + i * 100 + 99) + ") g");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }) {}
  ~events_writer() {  // also when a REQUIRE failed: the thread must not outlive the test
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Every row of public.events exactly once in the emulator: the sorted lists, duplicates included.
void require_every_event_once(const live_pipeline& p, const emu::starrocks_emulator& emulator) {
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
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots(pgbench_tables), p.log());
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

// An update leaves an unchanged TOAST column out ('u'): StarRocks keeps its value. A key
// change does the same (REPLICA IDENTITY DEFAULT), and StarRocks has no row under the new
// key to complete: that row arrived without its TOAST value until it was read again.
BOOST_FIXTURE_TEST_CASE(unchanged_toasted_columns_survive_updates_and_key_changes, emulator_fixture) {
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
  BOOST_TEST(target_rows(emulator, "docs", {"id"}).at("1|").at("title").value_or("NULL") == "second");
  exec(p.sql(), "UPDATE docs SET id = id + 100, title = 'moved' WHERE id IN (1, 2, 15); "
                "UPDATE docs SET title = 'moved twice' WHERE id = 102; "
                "UPDATE docs SET id = 200 WHERE id = 115; DELETE FROM docs WHERE id = 200; "
                "UPDATE docs SET id = 300 WHERE id = 3; "
                "BEGIN; UPDATE docs SET id = 400 WHERE id = 4; UPDATE docs SET id = 4 WHERE id = 5; COMMIT");
  BOOST_REQUIRE(p.wait_for_sentinel(3));
  std::string diff = compare_table(p.sql(), emulator, "docs", {"id", "title", "body"}, {"id"});
  BOOST_TEST(diff.empty(), diff);
  p.stop();
}

BOOST_FIXTURE_TEST_CASE(rows_updated_with_unchanged_toast_inside_snapshot_windows_arrive_whole, emulator_fixture) {
  fresh_database("sr_toastwin");
  make_toast_docs("sr_toastwin", 20'000);
  live_pipeline p("srtoastwin", cluster().port, "sr_toastwin",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 1000\nparallelism = 1\nmax_rows_per_sec = 4000\n" +
                      sink_toml(emulator));
  create_targets(emulator, p);
  toast_updates updates("sr_toastwin", 20'000);
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.docs done", std::chrono::seconds(300)), p.log());
  updates.finish();
  BOOST_TEST_MESSAGE("update rounds during the snapshot: " << updates.rounds.load());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  std::string diff = compare_table(p.sql(), emulator, "docs", {"id", "n", "big"}, {"id"});
  BOOST_TEST(diff.empty(), diff);
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
  {
    events_writer writer("sr_once");
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> delay_ms(200, 900);
    for (int round = 0; round < 3; ++round) {
      emulator.inject_fault({emu::fault_kind::drop_connection, 1, std::chrono::milliseconds(0), ""});
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      p.kill9();
      p.start();
    }
  }
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.events done", std::chrono::seconds(120)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  p.stop();  // the last recorded loads are committed before it exits
  require_every_event_once(p, emulator);
  BOOST_TEST(p.log().find("exactly once: committed") != std::string::npos, p.log());
  BOOST_TEST(emulator.stats().transaction_requests > 0u);
}

BOOST_FIXTURE_TEST_CASE(a_start_killed_before_saving_its_plan_leaves_a_slot_the_next_start_makes_again,
                        emulator_fixture) {
  // The first start creates the slot, then lists the rows of a keyless table chunk by chunk
  // (small chunks: seconds of it); a kill -9 there leaves the slot and no checkpoint. Read
  // whole from that slot, the rows written meanwhile would come twice, by the chunks and by
  // the stream, and a Duplicate Key table keeps both. The next start drops the slot and
  // makes it again, with a snapshot to plan by.
  fresh_database("sr_unplanned");
  live_pipeline p("srunplanned", cluster().port, "sr_unplanned",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 50\n" + sink_toml(emulator) + "exactly_once = true\n");
  exec(p.sql(), "CREATE TABLE events (id int, v text); ALTER TABLE events REPLICA IDENTITY FULL;"
                "INSERT INTO events SELECT g, 'old ' || g FROM generate_series(1, 100000) g");
  create_targets(emulator, p);
  {
    events_writer writer("sr_unplanned");
    p.start_nowait();
    BOOST_REQUIRE_MESSAGE(p.wait_for_log("created replication slot", std::chrono::seconds(60)), p.log());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.kill9();
    BOOST_REQUIRE_MESSAGE(p.log().find("chunk(s) by ctid") == std::string::npos,
                          "the kill came after the plan was made, not inside its listing:\n" + p.log());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.start_nowait();
    BOOST_REQUIRE_MESSAGE(p.wait_for_log("stopped before it saved its snapshot plan", std::chrono::seconds(60)),
                          p.log());
  }
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.events done", std::chrono::seconds(300)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  p.stop();
  require_every_event_once(p, emulator);
}

BOOST_FIXTURE_TEST_CASE(exactly_once_survives_the_walsender_ending_inside_a_run, emulator_fixture) {
  // The reader reconnects from the durable LSN: the server sends again the transactions
  // (and the part of one) already passed on but not yet durable. Loaded again, a Duplicate
  // Key table keeps both copies.
  fresh_database("sr_reconnect");
  live_pipeline p("srreconnect", cluster().port, "sr_reconnect", sink_toml(emulator) + "exactly_once = true\n");
  exec(p.sql(), "CREATE TABLE events (id int, v text); ALTER TABLE events REPLICA IDENTITY FULL");
  create_targets(emulator, p);
  p.start();
  {
    events_writer writer("sr_reconnect");
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> delay_ms(300, 900);
    for (int round = 0; round < 4; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      exec(p.sql(), "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" +
                        p.slot() + "' AND active");
    }
  }
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  p.stop();
  std::size_t sessions = 0;
  for (auto at = p.log().find("streaming slot"); at != std::string::npos; at = p.log().find("streaming slot", at + 1))
    ++sessions;
  BOOST_TEST(sessions == 5u, p.log());  // the start and a reconnect after each termination
  require_every_event_once(p, emulator);
}

// Issue 19.1: two tables whose names the label truncated alike, holding the same rows, got
// one label per snapshot load; the second was answered "Label Already Exists" (FINISHED),
// counted as loaded, and its table stayed empty.
BOOST_FIXTURE_TEST_CASE(tables_with_the_same_rows_and_a_common_name_prefix_both_load, emulator_fixture) {
  fresh_database("sr_labels");
  live_pipeline p("srlabels", cluster().port, "sr_labels", "[snapshot]\nmode = \"initial\"\n" + sink_toml(emulator));
  for (const char* year : {"2023", "2024"})
    exec(p.sql(), std::string("CREATE TABLE customer_subscription_events_archive_") + year +
                      " (id int PRIMARY KEY, v text); INSERT INTO customer_subscription_events_archive_" + year +
                      " SELECT g, 'row ' || g FROM generate_series(1, 4) g");
  create_targets(emulator, p);
  p.start();
  for (const char* year : {"2023", "2024"})
    BOOST_REQUIRE_MESSAGE(p.wait_for_log(std::string("snapshot of public.customer_subscription_events_archive_") +
                                             year + " done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  for (const char* year : {"2023", "2024"}) {
    std::string table = std::string("customer_subscription_events_archive_") + year;
    auto expected = source_rows(p.sql(), "public." + table, {"id", "v"}, {"id"});
    std::string diff = compare(expected, target_rows(emulator, table, {"id"}));
    BOOST_TEST(diff.empty(), table << ": " << diff);
  }
  p.stop();
}

// Issue 19.5: a column name with CR/LF went into the `columns` header as it is and added a
// header of its own to the request (X-Injected: yes).
BOOST_FIXTURE_TEST_CASE(a_header_value_with_a_line_break_is_never_sent, emulator_fixture) {
  emu::table_schema schema{target_db, "plain", {{"id", "INT", true, std::nullopt}}, {"id"}, emu::table_model::primary_key};
  emulator.create_table(schema);
  actors::stream_load_client client({emulator.fe_url(), "root", starrocks_password, std::chrono::seconds(30)});
  actors::http_headers headers = {{"format", "json"}, {"columns", "id\r\nX-Injected: yes"}};
  BOOST_CHECK_THROW(client.load(target_db, "plain", "l1", headers, "[{\"id\": 1}]"), std::invalid_argument);
  BOOST_CHECK_THROW(client.transaction("begin", target_db, "plain\nX-Injected: yes", "l2"), std::invalid_argument);
  BOOST_TEST(emulator.stats().redirects == 0u);
  BOOST_TEST(emulator.stats().loads == 0u);
  BOOST_TEST(emulator.stats().transaction_requests == 0u);
}

using pg2sr::test::listener;

// Issue 19.6: curl followed any redirect with the credentials (UNRESTRICTED_AUTH): an FE
// answering 307 to ftp:// received the StarRocks user and password there.
BOOST_AUTO_TEST_CASE(a_redirect_to_another_protocol_is_not_followed) {
  listener fe, ftp;
  std::atomic<int> ftp_connections{0};
  std::thread fe_thread([&] {  // answers one request with a 307 to ftp://
    int c = fe.accept_request();
    std::string answer = "HTTP/1.1 307 Temporary Redirect\r\nLocation: ftp://127.0.0.1:" + std::to_string(ftp.port()) +
                         "/x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::write(c, answer.data(), answer.size());
    ::close(c);
  });
  std::thread ftp_thread([&] {  // counts a connection, then a banner asking for the login
    pollfd p{ftp.fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;
    int c = ::accept(ftp.fd, nullptr, nullptr);
    ++ftp_connections;
    std::string banner = "220 ready\r\n";
    (void)!::write(c, banner.data(), banner.size());
    ::close(c);
  });
  actors::stream_load_client client(
      {"http://127.0.0.1:" + std::to_string(fe.port()), "root", starrocks_password, std::chrono::seconds(5)});
  auto r = client.load(target_db, "t", "l1", {{"format", "json"}}, "[]");
  fe_thread.join();
  ftp_thread.join();
  BOOST_TEST(ftp_connections.load() == 0, "the redirect to ftp:// was followed: " << codecs::stream_load::describe(r));
  BOOST_TEST(r.http_status == 0);  // refused by the client, no answer from anywhere
}

// Issue 19.11: a Stream Load answer was read whole (a 400 MiB one took the RSS from 21 to
// 549 MiB) and its Message copied whole into the logs.
BOOST_AUTO_TEST_CASE(a_huge_answer_is_read_within_a_bound_and_logged_clipped) {
  listener fe;
  const std::string message(8 << 20, 'm');  // 8 MiB
  std::thread fe_thread([&] {
    int c = fe.accept_request();
    std::string body = "{\"Status\": \"Fail\", \"Message\": \"" + message + "\"}";
    std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    for (std::size_t at = 0; at < answer.size();) {
      auto n = ::write(c, answer.data() + at, answer.size() - at);
      if (n <= 0) break;
      at += static_cast<std::size_t>(n);
    }
    ::close(c);
  });
  actors::stream_load_client client(
      {"http://127.0.0.1:" + std::to_string(fe.port()), "root", starrocks_password, std::chrono::seconds(5)});
  // No Expect: 100-continue answer comes: the body goes after the client's wait, then the answer.
  auto r = client.load(target_db, "t", "l1", {{"format", "json"}}, "[]");
  fe_thread.join();
  BOOST_TEST(r.message.size() <= (1u << 20));
  auto line = codecs::stream_load::describe(r);
  BOOST_TEST(line.size() <= 2048u, line.size());
  BOOST_TEST(line.find("more than 1 MiB") != std::string::npos, line.substr(0, 200));
}

BOOST_AUTO_TEST_SUITE_END()
