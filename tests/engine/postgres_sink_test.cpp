// pg2sr into PostgreSQL, end to end: two databases on the harness's server, the source and
// the target, a pg2sr process with [sink] kind = "postgres" that creates the target tables
// itself. Afterwards every target table must hold exactly the source's rows (compared as
// sorted row texts, both ways, counts included), whatever happened in between: snapshot
// under load, kill -9, every type, unchanged TOAST, TRUNCATE, and no change applied twice.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "actors/source/pg_connection.hpp"
#include "codecs/pgoutput/lsn.hpp"
#include "engine/sinks/postgres/postgres_target.hpp"
#include "tests/engine/live_pipeline.hpp"
#include "tests/engine/pgbench_workload.hpp"
#include "tests/engine/toast_window_workload.hpp"
#include "tests/support/pg_harness.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

std::string sink_toml(const std::string& target_db, const std::string& extra = "") {
  return "[sink]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(cluster().port) +
         "\ndbname = \"" + target_db + "\"\nuser = \"postgres\"\npassword_env = \"PG2SR_LIVE_TEST_PASSWORD\"\n"
         "create_tables = true\nmax_concurrent_loads = 3\n" + extra;
}

std::vector<std::string> column(PGconn* conn, const std::string& sql) {
  std::vector<std::string> out;
  for (auto& row : query(conn, sql)) out.push_back(std::move(row.at(0)));
  return out;
}

// "" when `table` holds the same rows in both databases (as multisets of row texts), else
// the first rows only one side has and both counts.
std::string difference(PGconn* source, PGconn* target, const std::string& table) {
  auto expected = column(source, "SELECT t::text FROM " + table + " t");
  auto actual = column(target, "SELECT t::text FROM " + table + " t");
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  std::vector<std::string> missing, extra;
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(), std::back_inserter(missing));
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(), std::back_inserter(extra));
  if (missing.empty() && extra.empty() && expected.size() == actual.size()) return "";
  std::string out = table + ": source " + std::to_string(expected.size()) + " rows, target " +
                    std::to_string(actual.size()) + "\n";
  auto shown = [](const std::string& row) { return row.size() > 300 ? row.substr(0, 300) + "..." : row; };
  for (std::size_t i = 0; i < std::min<std::size_t>(missing.size(), 3); ++i) out += "  missing " + shown(missing[i]) + "\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(extra.size(), 3); ++i) out += "  extra   " + shown(extra[i]) + "\n";
  return out;
}

void require_equal(live_pipeline& p, PGconn* target, const std::vector<std::string>& tables) {
  for (const auto& t : tables) {
    std::string diff = difference(p.sql(), target, t);
    BOOST_TEST(diff.empty(), diff);
  }
}

// The durable LSN pg2sr's checkpoint holds (what a restart resumes from).
std::uint64_t checkpoint_lsn(const live_pipeline& p) {
  std::ifstream in(p.dir() / "state" / "checkpoint.json");
  auto j = nlohmann::json::parse(in);
  return codecs::parse_lsn(j.at("durable_lsn").get<std::string>()).value();
}

const std::string pgbench_selection =
    "[snapshot]\nmode = \"initial\"\nchunk_rows = 5000\nparallelism = 2\n[tables]\n"
    "include = [\"public\\\\.pgbench_.*\", \"public\\\\.pg2sr_sentinel\"]\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(postgres_sink)

BOOST_AUTO_TEST_CASE(snapshot_under_load_with_kill_9_restarts_ends_equal_to_the_source) {
  fresh_database("pgs_load");
  fresh_database("pgs_load_target");
  make_pgbench("pgs_load", 2);
  live_pipeline p("pgsload", cluster().port, "pgs_load", pgbench_selection + sink_toml("pgs_load_target"));
  exec(p.sql(), "CREATE INDEX accounts_by_branch ON pgbench_accounts (bid); "
                "ALTER TABLE pgbench_branches ADD CONSTRAINT balance_bound CHECK (bbalance > -1000000000)");
  pgbench_workload work("pgs_load", 20, 2);
  p.start();
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> delay_ms(400, 1500);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    p.kill9();
    p.start();
  }
  work.finish();
  BOOST_TEST(work.pgbench_status == 0);
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots(pgbench_tables), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  auto target = connect(cluster().conninfo("pgs_load_target"));
  require_equal(p, target.get(), {"public.pgbench_accounts", "public.pgbench_branches", "public.pgbench_tellers",
                                  "public.pgbench_history"});
  BOOST_TEST(p.log().find("resuming after durable LSN") != std::string::npos);
  // The source's other indexes and constraints follow once the snapshot is in.
  BOOST_TEST(p.wait_for_log("ADD CONSTRAINT \"balance_bound\"", std::chrono::seconds(10)), p.log());
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM pg_indexes WHERE indexname = 'accounts_by_branch'")[0][0] == "1");
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM pg_constraint WHERE conname = 'balance_bound'")[0][0] == "1");
  p.stop();
}

// Snapshot rows go into the target by a plain COPY; a key already there (as after a chunk
// read again, or a key the stream inserted first) fails that COPY, and the batch is upserted
// instead. A trigger on the target records which statement wrote each row.
BOOST_AUTO_TEST_CASE(snapshot_rows_meeting_keys_already_in_the_target_are_upserted) {
  fresh_database("pgs_dup");
  fresh_database("pgs_dup_target");
  live_pipeline p("pgsdup", cluster().port, "pgs_dup",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 100\n" + sink_toml("pgs_dup_target"));
  const char* ddl = "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE fresh (id int PRIMARY KEY, v text); ";
  exec(p.sql(), std::string(ddl) + "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g; "
                                   "INSERT INTO fresh SELECT g, 'f' || g FROM generate_series(1, 1000) g");
  auto target = connect(cluster().conninfo("pgs_dup_target"));
  exec(target.get(), std::string(ddl) + "INSERT INTO t VALUES (150, 'stale'), (777, 'stale'); "
                     "CREATE TABLE audit (tab text, id int, op text, statement text); "
                     "CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "INSERT INTO audit VALUES (TG_TABLE_NAME, NEW.id, TG_OP, split_part(current_query(), ' ', 1)); "
                     "RETURN NULL; END $$; "
                     "CREATE TRIGGER log_write AFTER INSERT OR UPDATE ON t "
                     "FOR EACH ROW EXECUTE FUNCTION log_write(); "
                     "CREATE TRIGGER log_write AFTER INSERT OR UPDATE ON fresh "
                     "FOR EACH ROW EXECUTE FUNCTION log_write()");
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.t done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.fresh done", std::chrono::seconds(60)), p.log());
  require_equal(p, target.get(), {"public.t", "public.fresh"});
  // The two stale keys were updated, every other row written once: what the failed COPY had
  // written went with its savepoint.
  BOOST_TEST(query(target.get(), "SELECT string_agg(id::text, ',' ORDER BY id) FROM audit "
                                 "WHERE tab = 't' AND op = 'UPDATE'")[0][0] == "150,777");
  BOOST_TEST(query(target.get(), "SELECT count(*)::text || ' ' || count(DISTINCT id)::text FROM audit "
                                 "WHERE tab = 't' AND op = 'INSERT'")[0][0] == "998 998");
  // A table without such keys is loaded by COPY alone.
  BOOST_TEST(query(target.get(), "SELECT string_agg(DISTINCT op || ' by ' || statement, ',') || ' ' || "
                                 "count(*)::text FROM audit WHERE tab = 'fresh'")[0][0] == "INSERT by COPY 1000");
  p.stop();
}

namespace {

std::string one(PGconn* conn, const std::string& sql) { return query(conn, sql).at(0).at(0); }

const char* primary_key_of_d =
    "SELECT coalesce(string_agg(pg_get_constraintdef(oid), ','), 'none') FROM pg_constraint "
    "WHERE conrelid = 'public.d'::regclass AND contype = 'p'";
const char* reloptions_of_d = "SELECT coalesce(array_to_string(reloptions, ','), 'none') FROM pg_class "
                              "WHERE oid = 'public.d'::regclass";
const char* deferred_of_d = "SELECT count(*) FROM pg2sr.deferred_keys WHERE table_name = '\"public\".\"d\"'";

// Source table d (8000 rows) and a pipeline `name` with `snapshot` settings, started, that
// has created d in the empty target "<name>_target".
struct table_d_pipeline {
  live_pipeline p;
  pg2sr::test::pg_conn target;

  table_d_pipeline(const std::string& name, const std::string& snapshot)
      : p((fresh_database(name), fresh_database(name + "_target"), name), cluster().port, name,
          snapshot + "[tables]\ninclude = [\"public\\\\.d\", \"public\\\\.pg2sr_sentinel\"]\n" +
              sink_toml(name + "_target")) {
    exec(p.sql(), "CREATE TABLE d (id int PRIMARY KEY, v text); "
                  "INSERT INTO d SELECT g, 'v' || g FROM generate_series(1, 8000) g");
    target = connect(cluster().conninfo(name + "_target"));
    p.start_nowait();
    BOOST_REQUIRE_MESSAGE(p.wait_for_log("once the snapshot rows are in)", std::chrono::seconds(30)), p.log());
    BOOST_REQUIRE(one(target.get(), "SELECT to_regclass('public.d') IS NOT NULL") == "t");  // logged once committed
  }
  int rows() const { return std::stoi(one(target.get(), "SELECT count(*) FROM d")); }
};

}  // namespace

// A table pg2sr creates gets its primary key once the snapshot rows are in (COPY into a
// table without index); killed meanwhile, the restart finds the key still deferred, and rows
// loaded twice (as when a chunk is read again) are removed when the key is built.
BOOST_AUTO_TEST_CASE(a_created_table_gets_its_primary_key_after_the_snapshot_even_across_a_kill_9) {
  table_d_pipeline d("pgs_defer", "[snapshot]\nmode = \"snapshot_only\"\nchunk_rows = 200\nmax_rows_per_sec = 4000\n");
  auto& p = d.p;
  auto* target = d.target.get();
  for (int i = 0; i < 300 && d.rows() < 1000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.kill9();
  // Mid-snapshot: rows in, no key, autovacuum off, the key recorded as deferred.
  auto loaded = d.rows();
  BOOST_REQUIRE(loaded >= 1000);
  BOOST_REQUIRE_MESSAGE(loaded < 8000, "the snapshot ended before the kill: the test proves nothing");
  BOOST_TEST(one(target, primary_key_of_d) == "none");
  BOOST_TEST(one(target, reloptions_of_d) == "autovacuum_enabled=false");
  BOOST_TEST(one(target, deferred_of_d) == "1");
  // A chunk's rows in twice: what a restart that reads a committed chunk again leaves.
  exec(target, "INSERT INTO d SELECT * FROM d ORDER BY id LIMIT 150");
  p.start_nowait();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("primary key of public.d built", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("done: ", std::chrono::seconds(30)), p.log());
  BOOST_TEST(p.log().find("extra copies of rows of chunks read again removed") != std::string::npos, p.log());
  BOOST_TEST(one(target, primary_key_of_d) == "PRIMARY KEY (id)");
  BOOST_TEST(one(target, reloptions_of_d) == "none");
  BOOST_TEST(one(target, deferred_of_d) == "0");
  require_equal(p, target, {"public.d"});
}

// A change the stream brings for a table whose key is still deferred builds the key first
// (it needs the key to be applied), in the middle of the snapshot.
BOOST_AUTO_TEST_CASE(a_streamed_change_builds_the_deferred_key_before_it_is_applied) {
  table_d_pipeline d("pgs_early", "[snapshot]\nmode = \"initial\"\nchunk_rows = 200\nmax_rows_per_sec = 2000\n");
  auto& p = d.p;
  for (int i = 0; i < 500 && d.rows() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_REQUIRE(one(d.target.get(), primary_key_of_d) == "none");
  exec(p.sql(), "UPDATE d SET v = 'changed' WHERE id IN (1, 7999); DELETE FROM d WHERE id = 2; "
                "INSERT INTO d VALUES (9001, 'new')");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("primary key of public.d built", std::chrono::seconds(60)), p.log());
  BOOST_TEST(p.log().find("snapshot of public.d done") == std::string::npos, p.log());  // still snapshotting
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.d done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  BOOST_TEST(one(d.target.get(), primary_key_of_d) == "PRIMARY KEY (id)");
  require_equal(p, d.target.get(), {"public.d"});
  p.stop();
}

namespace {

const char* types_ddl = R"(
  CREATE EXTENSION IF NOT EXISTS hstore;
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'it''s "complicated"');
  CREATE DOMAIN price AS numeric(10,2) CHECK (VALUE > -100000000);
  CREATE DOMAIN short_text AS varchar(10);
  CREATE TYPE pair AS (n int, label text, tags text[]);
  CREATE TABLE types_all (
    id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, o oid,
    n numeric(12,3), n_free numeric, money_v money, f4 float4, f8 float8, b bool,
    t text, vc varchar(20), ch char(5), qchar "char", nm name, ctext text COLLATE "C",
    d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval, ts3 timestamp(3),
    u uuid, by bytea, j json, jb jsonb, ia int[], ia2 int[][], ta text[], ba bool[], na numeric[],
    e mood, ea mood[], dom price, sdom short_text, inet_v inet, cidr_v cidr, mac macaddr, mac8 macaddr8,
    h hstore, comp pair, comps pair[], r int4range, tsr tstzrange, mr int4multirange,
    bits bit(4), vbits varbit(8), x xml, pt point, ln line, ls lseg, bx box, pth path, pg polygon, ci circle,
    tv tsvector, tq tsquery, lsn pg_lsn, big text)
)";

// Rows g in [from, to]: extremes, special values, NULLs (g % 3 == 2), unicode, quotes,
// newlines, tabs, CR, backslashes, a literal \N; every fifth row a TOASTed text.
std::string types_rows(int from, int to) {
  auto when = [](const std::string& values) { return "CASE WHEN g % 3 < 2 THEN " + values + " END"; };
  return "INSERT INTO types_all SELECT g, "
         "CASE g % 3 WHEN 0 THEN -32768 WHEN 1 THEN 32767 END, "
         "CASE g % 3 WHEN 0 THEN -2147483648 WHEN 1 THEN 2147483647 END, "
         "CASE g % 3 WHEN 0 THEN -9223372036854775808 WHEN 1 THEN 9223372036854775807 END, " +
         when("4294967295") + "::oid, "
         "CASE g % 3 WHEN 0 THEN -999999999.999 WHEN 1 THEN 0.001 END, "
         "CASE g % 5 WHEN 0 THEN 'NaN' WHEN 1 THEN 123456789.123456789 WHEN 2 THEN -0.5 WHEN 3 THEN 'Infinity' "
         "  ELSE '-Infinity' END::numeric, "
         "CASE g % 3 WHEN 0 THEN -92233720368547758.08 WHEN 1 THEN 1234.56 END::money, "
         "CASE g % 5 WHEN 0 THEN 'NaN' WHEN 1 THEN '-Infinity' WHEN 2 THEN '3.4028235e38' WHEN 3 THEN '-0' "
         "  ELSE '1.17549435e-38' END::float4, "
         "CASE g % 5 WHEN 0 THEN 'Infinity' WHEN 1 THEN '2.2250738585072014e-308' WHEN 2 THEN '0.1' "
         "  WHEN 3 THEN '-0' ELSE '1.7976931348623157e308' END::float8, "
         "CASE g % 3 WHEN 0 THEN true WHEN 1 THEN false END, " +
         when(R"(E'back\\slash \\N, tab\t, "quote", newline\n, cr\r, ^caret, é 日本 🙂 \'' || g)") + ", " +
         when("'v ''' || g") + ", " + when("'ab'") + ", " + when("'q'") + ", " + when("'name_' || g") + ", " +
         when("'Zebra ' || g") + ", "
         "CASE g % 4 WHEN 0 THEN '4713-01-01 BC' WHEN 1 THEN '5874897-12-31' WHEN 2 THEN 'infinity' "
         "  ELSE '-infinity' END::date, "
         "CASE g % 3 WHEN 0 THEN '4713-01-01 00:00:00 BC' WHEN 1 THEN '294276-12-31 23:59:59.999999' END::timestamp, "
         "CASE g % 4 WHEN 0 THEN '2024-01-02 03:04:05.5+02' WHEN 1 THEN '1999-12-31 23:59:59.123456-08' "
         "  WHEN 2 THEN '-infinity' ELSE 'infinity' END::timestamptz, "
         "CASE g % 3 WHEN 0 THEN '23:59:59.999999' WHEN 1 THEN '24:00:00' END::time, " +
         when("'10:00:00.5+05:30'") + "::timetz, "
         "CASE g % 3 WHEN 0 THEN '1 year 2 mons -3 days 04:05:06.7' WHEN 1 THEN '-178000000 years' END::interval, " +
         when("'2024-01-01 00:00:00.123'") + "::timestamp(3), " +
         when("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'") + "::uuid, " + when(R"('\x00ff5c0a0d09'::bytea)") + ", " +
         when(R"('{"k": [1, 2.5, null, "s\"q"],  "z": {}, "dup": 1, "dup": 2}')") + "::json, " +
         when(R"('{"b": true, "a": "é\\n", "n": 1e400}')") + "::jsonb, " + when("ARRAY[1, NULL, -3]") + ", " +
         when("'{{1,2},{3,NULL}}'::int[]") + ", " +
         when(R"(ARRAY['a"b', 'c\d', NULL, 'é 日本', '', 'NULL', 'x,y', ' sp ', E'new\nline'])") + ", " +
         when("ARRAY[true, NULL, false]") + ", " + when("ARRAY[1.5, NULL, -2, 'NaN']") + "::numeric[], "
         "CASE g % 3 WHEN 0 THEN 'happy' WHEN 1 THEN 'it''s \"complicated\"' END::mood, " +
         when("ARRAY['sad', NULL]::mood[]") + ", " + when("12345678.91") + "::price, " + when("'short'") +
         "::short_text, "
         "CASE g % 3 WHEN 0 THEN '192.168.0.1/24' WHEN 1 THEN '::1' END::inet, " + when("'10.0.0.0/8'") + "::cidr, " +
         when("'08:00:2b:01:02:03'") + "::macaddr, " + when("'08:00:2b:01:02:03:04:05'") + "::macaddr8, " +
         when(R"('a=>1, "b c"=>NULL, "q\"uote"=>"back\\slash"')") + "::hstore, " +
         when(R"(ROW(g, 'x, "y"', ARRAY['p', NULL])::pair)") + ", " +
         when("ARRAY[ROW(1, 'a', NULL)::pair, NULL]") + ", " + when("'[1,10)'") + "::int4range, " +
         when("'[2024-01-01 00:00+00,infinity)'") + "::tstzrange, " + when("'{[1,3), [5,7)}'") + "::int4multirange, " +
         when("B'1010'") + ", " + when("B'101'") + "::varbit, " + when("'<a>b &amp; c</a>'") + "::xml, " +
         when("'(1.5,-2)'") + "::point, " + when("'{1,2,3}'") + "::line, " + when("'[(0,0),(1,1)]'") + "::lseg, " +
         when("'(1,1),(0,0)'") + "::box, " + when("'[(0,0),(1,1),(2,0)]'") + "::path, " +
         when("'((0,0),(1,1),(1,0))'") + "::polygon, " + when("'<(0,0),2>'") + "::circle, " +
         when("'a fat cat sat'") + "::tsvector, " + when("'fat & (rat | cat)'") + "::tsquery, " +
         when("'16/B374D848'") + "::pg_lsn, "
         "CASE WHEN g % 5 = 0 THEN (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 200) i) END "
         "FROM generate_series(" + std::to_string(from) + ", " + std::to_string(to) + ") g";
}

const char* column_types =
    "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' "
    "ELSE '' END, ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'types_all'::regclass AND attnum > 0";

}  // namespace

BOOST_AUTO_TEST_CASE(every_type_round_trips_exactly_through_snapshot_and_stream) {
  fresh_database("pgs_types");
  fresh_database("pgs_types_target");
  live_pipeline p("pgstypes", cluster().port, "pgs_types",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 20\n" + sink_toml("pgs_types_target"));
  exec(p.sql(), types_ddl);
  exec(p.sql(), types_rows(1, 60));  // read by the snapshot (COPY)
  p.start();
  exec(p.sql(), types_rows(61, 120));  // streamed (pgoutput)
  // Updates of rows with a TOASTed `big`: it comes as unchanged TOAST and must stay.
  exec(p.sql(), "UPDATE types_all SET t = t || ' updated', ia = ia || 4 WHERE id % 5 = 0; "
                "DELETE FROM types_all WHERE id % 7 = 0");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.types_all done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  auto target = connect(cluster().conninfo("pgs_types_target"));
  BOOST_TEST(query(target.get(), column_types)[0][0] == query(p.sql(), column_types)[0][0]);
  require_equal(p, target.get(), {"public.types_all"});
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM types_all WHERE big IS NOT NULL")[0][0] ==
             query(p.sql(), "SELECT count(*) FROM types_all WHERE big IS NOT NULL")[0][0]);
  p.stop();
}

BOOST_AUTO_TEST_CASE(unchanged_toasted_columns_are_kept_on_update_and_key_change) {
  fresh_database("pgs_toast");
  fresh_database("pgs_toast_target");
  live_pipeline p("pgstoast", cluster().port, "pgs_toast", sink_toml("pgs_toast_target"));
  // md5 text does not compress: ~6 KB per row are stored out of line (TOAST).
  exec(p.sql(), "CREATE TABLE docs (id int PRIMARY KEY, title text, body text); "
                "CREATE TABLE docs_full (id int PRIMARY KEY, title text, body text); "
                "ALTER TABLE docs_full REPLICA IDENTITY FULL; "
                "CREATE TABLE notes (tag text, body text); ALTER TABLE notes REPLICA IDENTITY FULL");
  p.start();
  for (const char* table : {"docs", "docs_full"})
    exec(p.sql(), std::string("INSERT INTO ") + table + " SELECT g, 'first', (SELECT string_agg(md5(g::text || i::text), '') "
                  "FROM generate_series(1, 200) i) FROM generate_series(1, 20) g");
  exec(p.sql(), "INSERT INTO notes SELECT 'tag ' || g, (SELECT string_agg(md5(g::text || i::text), '') "
                "FROM generate_series(1, 200) i) FROM generate_series(1, 10) g");
  BOOST_REQUIRE(p.wait_for_sentinel(1));
  for (const char* table : {"docs", "docs_full"}) {
    exec(p.sql(), std::string("UPDATE ") + table + " SET title = 'second' WHERE id <= 10");
    exec(p.sql(), std::string("UPDATE ") + table + " SET id = id + 100, title = 'moved' WHERE id IN (1, 2, 15)");
    // One row leaves key 4, another takes it, in one batch: the second must not land on
    // the first one's old row.
    exec(p.sql(), std::string("BEGIN; UPDATE ") + table + " SET id = 300 WHERE id = 4; UPDATE " + table +
                      " SET id = 4, title = 'took 4' WHERE id = 5; COMMIT");
    // The TOAST value changes, then the key with it unchanged, in one batch (two transactions:
    // within one, decoding sends the value whole): the row at 306 must hold the new value (it
    // kept the target's older one).
    exec(p.sql(), std::string("UPDATE ") + table + " SET body = (SELECT string_agg(md5('new' || i), '') FROM "
                      "generate_series(1, 200) i) WHERE id = 6; UPDATE " + table + " SET id = 306 WHERE id = 6");
  }
  exec(p.sql(), "UPDATE notes SET tag = tag || ' changed' WHERE tag IN ('tag 1', 'tag 2')");
  BOOST_REQUIRE(p.wait_for_sentinel(2));
  auto target = connect(cluster().conninfo("pgs_toast_target"));
  require_equal(p, target.get(), {"public.docs", "public.docs_full", "public.notes"});
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM docs WHERE body IS NULL")[0][0] == "0");
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM docs WHERE id > 100 AND title = 'moved'")[0][0] == "3");
  BOOST_TEST(query(target.get(), "SELECT body = (SELECT string_agg(md5('new' || i), '') FROM generate_series(1, 200) i) "
                                 "FROM docs WHERE id = 306")[0][0] == "t");
  p.stop();
}

// A keyless table is matched by its whole row; its NOT NULL integer and date columns are
// compared first (the join hashes on them, so the row's text, TOAST included, is built only
// for the rows they pair: 110x faster on 20k rows of 10 KB). Rows equal in those columns
// and different elsewhere must still be told apart.
BOOST_AUTO_TEST_CASE(keyless_rows_equal_in_their_not_null_columns_are_still_told_apart) {
  fresh_database("pgs_tally");
  fresh_database("pgs_tally_target");
  live_pipeline p("pgstally", cluster().port, "pgs_tally", sink_toml("pgs_tally_target"));
  exec(p.sql(), "CREATE TABLE tally (n int NOT NULL, at date NOT NULL, note text, body text); "
                "ALTER TABLE tally REPLICA IDENTITY FULL");
  p.start();
  exec(p.sql(), "INSERT INTO tally SELECT g % 3, date '2020-01-01', 'note ' || g, (SELECT string_agg(md5(g::text || "
                "i::text), '') FROM generate_series(1, 200) i) FROM generate_series(1, 30) g");
  BOOST_REQUIRE(p.wait_for_sentinel(1));
  exec(p.sql(), "DELETE FROM tally WHERE note IN ('note 3', 'note 4')");
  exec(p.sql(), "UPDATE tally SET note = note || ' changed' WHERE note = 'note 6'");
  exec(p.sql(), "UPDATE tally SET body = 'short' WHERE note = 'note 9'");
  BOOST_REQUIRE(p.wait_for_sentinel(2));
  auto target = connect(cluster().conninfo("pgs_tally_target"));
  require_equal(p, target.get(), {"public.tally"});
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM tally")[0][0] == "28");
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM tally WHERE n = 0")[0][0] == "9");
  p.stop();
}

// A row updated inside its chunk's snapshot window with its TOAST column unchanged: its
// chunk row is dropped as dirty and the stream brings `big` as unchanged, for a key the
// target never had. It was lost (UPDATE ... FROM staging matched nothing).
BOOST_AUTO_TEST_CASE(rows_updated_with_unchanged_toast_inside_snapshot_windows_are_not_lost) {
  fresh_database("pgs_toastwin");
  fresh_database("pgs_toastwin_target");
  make_toast_docs("pgs_toastwin", 20'000);
  live_pipeline p("pgstoastwin", cluster().port, "pgs_toastwin",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 1000\nparallelism = 1\nmax_rows_per_sec = 4000\n" +
                      sink_toml("pgs_toastwin_target"));
  toast_updates updates("pgs_toastwin", 20'000);
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.docs done", std::chrono::seconds(300)), p.log());
  updates.finish();
  BOOST_TEST_MESSAGE("update rounds during the snapshot: " << updates.rounds.load());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  auto target = connect(cluster().conninfo("pgs_toastwin_target"));
  require_equal(p, target.get(), {"public.docs"});
  p.stop();
}

// A key change with an unchanged TOAST value, from a key whose chunk is not read yet into a
// key whose chunk is in the target: the target has no old row to move, and the later chunk
// no longer finds the row under its old key. It was lost; now it is read again whole.
BOOST_AUTO_TEST_CASE(a_row_moved_out_of_a_chunk_not_read_yet_arrives_whole) {
  fresh_database("pgs_moved");
  fresh_database("pgs_moved_target");
  live_pipeline p("pgsmoved", cluster().port, "pgs_moved",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 500\nparallelism = 1\nmax_rows_per_sec = 250\n" +
                      sink_toml("pgs_moved_target"));
  exec(p.sql(), "CREATE TABLE docs (id int PRIMARY KEY, title text, body text); "
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL; "
                "INSERT INTO docs SELECT g, 'first', (SELECT string_agg(md5(g::text || i::text), '') "
                "FROM generate_series(1, 100) i) FROM generate_series(1, 2000) g WHERE g <> 10");
  p.start();
  auto target = connect(cluster().conninfo("pgs_moved_target"));
  auto first_chunk_in = [&] {
    PGresult* res = PQexec(target.get(), "SELECT count(*) FROM docs WHERE id <= 500");
    bool in = PQresultStatus(res) == PGRES_TUPLES_OK && std::string(PQgetvalue(res, 0, 0)) == "499";
    PQclear(res);
    return in;
  };
  for (int i = 0; i < 600 && !first_chunk_in(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_REQUIRE_MESSAGE(first_chunk_in(), p.log());
  BOOST_REQUIRE_MESSAGE(p.log().find("snapshot of public.docs done") == std::string::npos, "the snapshot ended too soon");
  exec(p.sql(), "UPDATE docs SET id = 10, title = 'moved' WHERE id = 1900");  // body sent as unchanged TOAST
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots({"public.docs"}), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  require_equal(p, target.get(), {"public.docs"});
  p.stop();
}

BOOST_AUTO_TEST_CASE(truncate_is_applied_in_stream_order) {
  fresh_database("pgs_trunc");
  fresh_database("pgs_trunc_target");
  live_pipeline p("pgstrunc", cluster().port, "pgs_trunc", sink_toml("pgs_trunc_target"));
  exec(p.sql(), "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text)");
  p.start();
  exec(p.sql(), "INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 100) g; "
                "INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 100) g");
  BOOST_REQUIRE(p.wait_for_sentinel(1));
  exec(p.sql(), "TRUNCATE a; INSERT INTO a VALUES (1000, 'after truncate')");
  exec(p.sql(), "TRUNCATE a, b; INSERT INTO b VALUES (7, 'b again')");
  exec(p.sql(), "BEGIN; INSERT INTO a VALUES (1, 'gone'); TRUNCATE a; INSERT INTO a VALUES (2, 'kept'); COMMIT");
  BOOST_REQUIRE(p.wait_for_sentinel(2));
  auto target = connect(cluster().conninfo("pgs_trunc_target"));
  require_equal(p, target.get(), {"public.a", "public.b"});
  BOOST_TEST(query(target.get(), "SELECT string_agg(id::text, ',' ORDER BY id) FROM a")[0][0] == "2");
  p.stop();
}

// A target-side trigger logs every row the loader writes: a change applied twice (a replay
// upserting a row it had already inserted) shows up as an UPDATE or a second INSERT.
BOOST_AUTO_TEST_CASE(after_kill_9_mid_stream_no_change_is_applied_twice) {
  fresh_database("pgs_once");
  fresh_database("pgs_once_target");
  live_pipeline p("pgsonce", cluster().port, "pgs_once", sink_toml("pgs_once_target"));
  exec(p.sql(), "CREATE TABLE events (id bigint PRIMARY KEY, v text); "
                "CREATE TABLE ledger (account int, amount int, note text); ALTER TABLE ledger REPLICA IDENTITY FULL");
  p.start();
  auto target = connect(cluster().conninfo("pgs_once_target"));
  exec(target.get(), "CREATE TABLE audit (id bigint, op text); "
                     "CREATE FUNCTION log_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "INSERT INTO audit VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP); "
                     "RETURN NULL; END $$; "
                     "CREATE TRIGGER log_event AFTER INSERT OR UPDATE OR DELETE ON events "
                     "FOR EACH ROW EXECUTE FUNCTION log_event()");
  // A jthread: whatever a round throws, the writer is stopped and joined before the stack unwinds.
  std::jthread writer([&](std::stop_token stop) {
    auto conn = connect(cluster().conninfo("pgs_once"));
    for (int i = 1; !stop.stop_requested(); ++i) {
      std::string n = std::to_string(i);
      exec(conn.get(), "INSERT INTO events VALUES (" + n + ", 'v" + n + "')");
      if (i % 3 == 0) exec(conn.get(), "INSERT INTO ledger VALUES (" + std::to_string(i % 10) + ", " + n + ", 'n')");
      if (i % 5 == 0) exec(conn.get(), "DELETE FROM ledger WHERE amount = " + std::to_string(i - 15));
      if (i % 7 == 0) exec(conn.get(), "UPDATE ledger SET note = 'u' || amount WHERE amount = " + std::to_string(i - 12));
    }
  });
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> delay_ms(300, 900);
  int kills_ahead_of_checkpoint = 0;
  for (int round = 0; round < 8 && kills_ahead_of_checkpoint < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    p.kill9();
    // Applied in the target beyond the durable LSN: the restart replays those changes.
    auto applied = query(target.get(), "SELECT coalesce(max(commit_lsn), '0/0') FROM pg2sr.applied "
                                       "WHERE pipeline = 'pgsonce'")[0][0];
    if (codecs::parse_lsn(applied).value() > checkpoint_lsn(p)) ++kills_ahead_of_checkpoint;
    p.start();
  }
  writer.request_stop();
  writer.join();
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  BOOST_TEST_MESSAGE(kills_ahead_of_checkpoint << " kill(s) left the target ahead of the checkpoint");
  BOOST_REQUIRE_MESSAGE(kills_ahead_of_checkpoint > 0, "no kill left applied changes to replay: the test proved nothing");
  BOOST_TEST(p.log().find("applied before the restart skipped") != std::string::npos, p.log());
  require_equal(p, target.get(), {"public.events", "public.ledger"});
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM audit WHERE op <> 'INSERT'")[0][0] == "0");
  BOOST_TEST(query(target.get(), "SELECT count(*) - count(DISTINCT id) FROM audit")[0][0] == "0");
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM audit")[0][0] == query(p.sql(), "SELECT count(*) FROM events")[0][0]);
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM (SELECT 1 FROM ledger GROUP BY account, amount, note "
                                 "HAVING count(*) > 1) d")[0][0] == "0");
  p.stop();
}

BOOST_AUTO_TEST_CASE(a_column_the_target_lacks_stops_with_the_alter_table_to_run) {
  fresh_database("pgs_alter");
  fresh_database("pgs_alter_target");
  live_pipeline p("pgsalter", cluster().port, "pgs_alter", sink_toml("pgs_alter_target"));
  exec(p.sql(), "CREATE TABLE t (id int PRIMARY KEY, v text)");
  p.start();
  exec(p.sql(), "ALTER TABLE t ADD COLUMN price numeric(10,2); INSERT INTO t VALUES (1, 'a', 9.99)");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("ADD COLUMN", std::chrono::seconds(60)), p.log());
  BOOST_TEST(p.log().find("ALTER TABLE \"public\".\"t\" ADD COLUMN \"price\" numeric(10,2);") != std::string::npos,
             p.log());
}

BOOST_AUTO_TEST_CASE(with_add_columns_a_new_source_column_is_added_and_loaded) {
  fresh_database("pgs_add");
  fresh_database("pgs_add_target");
  live_pipeline p("pgsadd", cluster().port, "pgs_add", sink_toml("pgs_add_target", "add_columns = true\n"));
  exec(p.sql(), "CREATE TABLE t (id int PRIMARY KEY, v text)");
  p.start();
  exec(p.sql(), "INSERT INTO t VALUES (1, 'a'); ALTER TABLE t ADD COLUMN price numeric(10,2); "
                "INSERT INTO t VALUES (2, 'b', 9.99); UPDATE t SET price = 1.5 WHERE id = 1");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  auto target = connect(cluster().conninfo("pgs_add_target"));
  require_equal(p, target.get(), {"public.t"});
  p.stop();
}


// Issue 19.2: the sink's state (pg2sr.applied, pg2sr.deferred_keys) was keyed by schema.table
// unquoted, which "a.b".c and a."b.c" share: rows of one were skipped as "applied before the
// restart" because of the other's position, and one of them never got its primary key.
BOOST_AUTO_TEST_CASE(tables_whose_dotted_names_read_alike_keep_their_own_state) {
  fresh_database("pgs_dots");
  fresh_database("pgs_dots_target");
  live_pipeline p("pgsdots", cluster().port, "pgs_dots",
                  "[snapshot]\nmode = \"initial\"\n[tables]\n"  // a\.b\.c selects both
                  "include = [\"a\\\\.b\\\\.c\", \"public\\\\.pg2sr_sentinel\"]\n" + sink_toml("pgs_dots_target"));
  exec(p.sql(), "CREATE SCHEMA \"a.b\"; CREATE SCHEMA a; "
                "CREATE TABLE \"a.b\".c (id int PRIMARY KEY, v text); CREATE TABLE a.\"b.c\" (id int PRIMARY KEY, v text); "
                "INSERT INTO \"a.b\".c SELECT g, 'first ' || g FROM generate_series(1, 30) g; "
                "INSERT INTO a.\"b.c\" SELECT g, 'second ' || g FROM generate_series(1, 31) g");
  p.start();
  auto snapshots_done = [&] {  // both tables print as a.b.c
    std::string log = p.log();
    int n = 0;
    for (auto at = log.find("snapshot of a.b.c done"); at != std::string::npos; at = log.find("snapshot of a.b.c done", at + 1)) ++n;
    return n;
  };
  for (int i = 0; i < 600 && snapshots_done() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BOOST_REQUIRE_MESSAGE(snapshots_done() == 2, p.log());
  // Stream: the second table's changes come after the first's, in separate transactions.
  exec(p.sql(), "INSERT INTO \"a.b\".c SELECT g, 'first ' || g FROM generate_series(31, 40) g");
  exec(p.sql(), "UPDATE a.\"b.c\" SET v = v || ' changed' WHERE id % 3 = 0; "
                "INSERT INTO a.\"b.c\" SELECT g, 'second ' || g FROM generate_series(32, 41) g");
  exec(p.sql(), "UPDATE \"a.b\".c SET v = v || ' changed' WHERE id % 4 = 0");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  auto target = connect(cluster().conninfo("pgs_dots_target"));
  require_equal(p, target.get(), {"\"a.b\".c", "a.\"b.c\""});
  for (const char* table : {"'\"a.b\".c'", "'a.\"b.c\"'"})
    BOOST_TEST(query(target.get(), std::string("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND conrelid = ") +
                                       table + "::regclass")[0][0] == "1", table);
  BOOST_TEST(p.log().find("applied before the restart skipped") == std::string::npos, p.log());
  p.stop();
}

// State tables of an older pg2sr keyed a table by schema.table unquoted: start-up rekeys each
// row by the table it names, and refuses a row that names two.
BOOST_AUTO_TEST_CASE(state_of_an_older_version_is_rekeyed_or_refused_when_ambiguous) {
  auto target_db = fresh_database("pgs_old_state");
  auto target = connect(target_db);
  exec(target.get(), "CREATE SCHEMA pg2sr; "
                     "CREATE TABLE pg2sr.applied (pipeline text NOT NULL, table_name text NOT NULL, commit_lsn pg_lsn "
                     "NOT NULL, lsn pg_lsn NOT NULL, tie_keys bigint[] NOT NULL, applied_at timestamptz NOT NULL "
                     "DEFAULT now(), PRIMARY KEY (pipeline, table_name)); "
                     "CREATE TABLE pg2sr.deferred_keys (pipeline text NOT NULL, table_name text NOT NULL, key_columns "
                     "text NOT NULL, PRIMARY KEY (pipeline, table_name)); "
                     "CREATE TABLE public.t (id int); CREATE SCHEMA \"x.y\"; CREATE TABLE \"x.y\".z (id int); "
                     "CREATE SCHEMA x; CREATE TABLE x.\"y.z\" (id int); "
                     "INSERT INTO pg2sr.applied VALUES ('p', 'public.t', '0/10', '0/10', '{}'), "
                     "('p', 'gone.table', '0/10', '0/10', '{}'); "
                     "INSERT INTO pg2sr.deferred_keys VALUES ('p', 'public.t', '\"id\"')");
  {
    actors::pg_connection conn(cluster().conninfo("pgs_old_state"));
    engine::create_state_tables(conn);
    engine::create_state_tables(conn);  // once migrated, nothing more
  }
  BOOST_TEST(query(target.get(), "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM pg2sr.applied")[0][0] ==
             "\"public\".\"t\" gone.table");
  BOOST_TEST(query(target.get(), "SELECT table_name FROM pg2sr.deferred_keys")[0][0] == "\"public\".\"t\"");
  // The same older state naming x.y.z, which two tables read as.
  exec(target.get(), "COMMENT ON TABLE pg2sr.applied IS NULL; INSERT INTO pg2sr.applied VALUES ('p', 'x.y.z', '0/10', "
                     "'0/10', '{}')");
  actors::pg_connection conn(cluster().conninfo("pgs_old_state"));
  try {
    engine::create_state_tables(conn);
    BOOST_FAIL("an ambiguous row was rekeyed");
  } catch (const std::exception& e) {
    BOOST_TEST(std::string(e.what()).find("names both \"x\".\"y.z\" and \"x.y\".\"z\"") != std::string::npos, e.what());
  }
  BOOST_TEST(query(target.get(), "SELECT count(*) FROM pg2sr.applied WHERE table_name = 'x.y.z'")[0][0] == "1");
}

BOOST_AUTO_TEST_SUITE_END()
