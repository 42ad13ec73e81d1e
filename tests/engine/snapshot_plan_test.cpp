// Snapshot chunk planning against the real PostgreSQL: for every kind of key the planned
// chunks, read back with `SELECT count(*) ... WHERE <predicate>`, cover every row exactly
// once with sizes near chunk_rows, and stay complete when rows arrive after planning.
// relation_from_catalog is checked against a Relation message that pgoutput really sent.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>

#include "actors/snapshot/listed_rows.hpp"
#include "codecs/pgoutput/pgoutput.hpp"
#include "engine/snapshot/snapshot_plan.hpp"
#include "engine/source/slot_commands.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/scoped_cluster.hpp"

using namespace pg2sr;
using namespace pg2sr::test;
using engine::plan_table;
using engine::snapshot_table_plan;

namespace {

// A fresh database of the suite with a planning connection.
struct database {
  explicit database(const std::string& name) : conninfo(fresh_database("plan_" + name)), conn(conninfo) {}
  std::string conninfo;
  actors::pg_connection conn;

  engine::source_table table(const std::string& name) {
    auto r = conn.query("SELECT oid::int8::text FROM pg_class WHERE relname = $1", {name});
    return {"public", name, static_cast<std::uint32_t>(std::stoul(*r.at(0)[0]))};
  }
  std::uint64_t count(const std::string& table, const std::string& predicate = "TRUE") {
    return std::stoull(*conn.query("SELECT count(*) FROM " + table + " WHERE " + predicate)[0][0]);
  }
  // Rows that no chunk or more than one chunk reads (must be 0).
  std::uint64_t not_read_once(const std::string& table, const snapshot_table_plan& plan) {
    std::string sum = "0";
    for (const auto& c : plan.chunks) sum += " + coalesce((" + c.predicate + ")::int, 0)";
    return count(table, sum + " <> 1");
  }
};

std::string dump(const snapshot_table_plan& plan) {
  std::string out = plan.key_source + ", " + std::to_string(plan.estimated_rows) + " rows:";
  for (const auto& c : plan.chunks)
    out += "\n  " + std::to_string(c.index) + " " + c.description + " " + c.predicate + " ~" +
           std::to_string(c.estimated_rows);
  return out;
}

// Every row read once; every chunk's real size within [min_rows, max_rows].
void check_chunks(database& db, const std::string& table, const snapshot_table_plan& plan, std::uint64_t min_rows,
                  std::uint64_t max_rows) {
  BOOST_TEST(db.not_read_once(table, plan) == 0u, dump(plan));
  for (std::size_t i = 0; i < plan.chunks.size(); ++i) {
    BOOST_TEST(plan.chunks[i].index == i);
    auto n = db.count(table, plan.chunks[i].predicate);
    BOOST_TEST((n >= min_rows && n <= max_rows), "chunk " << i << " has " << n << " rows\n" << dump(plan));
  }
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_plan)

BOOST_AUTO_TEST_CASE(even_integer_keys_split_by_arithmetic) {
  database db("even");
  db.conn.exec("CREATE TABLE t (id int8 PRIMARY KEY, v text); INSERT INTO t SELECT g, 'x' FROM generate_series(1, 10000) g");
  auto plan = plan_table(db.conn, db.table("t"), "", 3000);
  BOOST_TEST(plan.key_source == "primary key");
  BOOST_TEST(plan.key_columns == std::vector<std::string>{"id"});
  BOOST_TEST(plan.select_list == "\"id\", \"v\"");
  BOOST_TEST(plan.estimated_rows == 10000u);
  // ceil(10000 / 3000) = 4 ranges of 2500 keys (boundary queries would cut at 3001, 6001...).
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 4u, dump(plan));
  BOOST_TEST(plan.chunks[0].predicate == "(\"id\" < '2501')");
  BOOST_TEST(plan.chunks[1].predicate == "(\"id\" >= '2501' AND \"id\" < '5001')");
  BOOST_TEST(plan.chunks[3].predicate == "(\"id\" >= '7501')");
  BOOST_TEST(plan.chunks[1].description == "[2501, 5001)");
  BOOST_TEST(plan.chunks[0].description == "(-inf, 2501)");
  BOOST_TEST(plan.chunks[3].description == "[7501, +inf)");
  BOOST_TEST(plan.chunks[2].estimated_rows == 2500u);
  check_chunks(db, "t", plan, 2500, 2500);
}

// A large table is not counted before its first chunk: its statistics give the row count,
// its index min and max the ranges (here the statistics are behind a delete).
BOOST_AUTO_TEST_CASE(a_large_integer_keyed_table_is_planned_from_its_statistics) {
  database db("estimated");
  db.conn.exec("CREATE TABLE t (id int4 PRIMARY KEY); INSERT INTO t SELECT g FROM generate_series(1, 20000) g; "
               "ANALYZE t; DELETE FROM t WHERE id > 15000");
  auto plan = plan_table(db.conn, db.table("t"), "", 1000);
  BOOST_TEST(plan.estimated_rows == 20000u);  // as ANALYZE saw it: no count(*)
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 20u, dump(plan));  // 20000 / 1000 ranges over [1, 15000]
  check_chunks(db, "t", plan, 750, 750);
}

BOOST_AUTO_TEST_CASE(negative_integer_keys_split_by_arithmetic) {
  database db("negative");
  db.conn.exec("CREATE TABLE t (id int4 PRIMARY KEY); INSERT INTO t SELECT g FROM generate_series(-5000, -1) g");
  auto plan = plan_table(db.conn, db.table("t"), "", 1000);
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 5u, dump(plan));
  BOOST_TEST(plan.chunks[1].predicate == "(\"id\" >= '-4000' AND \"id\" < '-3000')");
  check_chunks(db, "t", plan, 1000, 1000);
}

BOOST_AUTO_TEST_CASE(skewed_integer_keys_split_by_boundary_queries) {
  database db("skewed");
  db.conn.exec("CREATE TABLE t (id int8 PRIMARY KEY); INSERT INTO t SELECT g FROM generate_series(1, 1000) g; "
               "INSERT INTO t VALUES (1000000000000)");
  auto plan = plan_table(db.conn, db.table("t"), "", 100);
  // Arithmetic would put all 1000 small keys into the first of ~11 ranges of 10^11.
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 11u, dump(plan));
  BOOST_TEST(plan.chunks[0].predicate == "(\"id\" < '101')");
  BOOST_TEST(plan.chunks[10].predicate == "(\"id\" >= '1000000000000')");
  check_chunks(db, "t", plan, 1, 100);
}

BOOST_AUTO_TEST_CASE(extreme_int8_keys_do_not_overflow) {
  database db("extreme");
  db.conn.exec("CREATE TABLE t (id int8 PRIMARY KEY); INSERT INTO t SELECT g FROM generate_series(1, 300) g; "
               "INSERT INTO t VALUES (-9223372036854775808), (9223372036854775807)");
  auto plan = plan_table(db.conn, db.table("t"), "", 100);
  BOOST_TEST(plan.chunks.size() == 4u, dump(plan));
  check_chunks(db, "t", plan, 1, 100);
}

BOOST_AUTO_TEST_CASE(text_keys_with_quotes_split_by_boundary_queries) {
  database db("text");
  db.conn.exec("CREATE TABLE t (k text PRIMARY KEY); INSERT INTO t SELECT md5(g::text) || "
               "CASE WHEN g % 7 = 0 THEN 'it''s' ELSE '' END FROM generate_series(1, 5000) g");
  auto plan = plan_table(db.conn, db.table("t"), "", 1000);
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 5u, dump(plan));
  check_chunks(db, "t", plan, 1000, 1000);
}

BOOST_AUTO_TEST_CASE(uuid_timestamp_numeric_keys_read_back_in_any_datestyle) {
  database db("types");
  db.conn.exec(
      "CREATE TABLE u (k uuid PRIMARY KEY); INSERT INTO u SELECT md5(g::text)::uuid FROM generate_series(1, 3000) g;"
      "CREATE TABLE ts (k timestamp PRIMARY KEY); "
      "INSERT INTO ts SELECT '2024-01-01'::timestamp + g * interval '17 minutes 3.25 seconds' FROM generate_series(1, 3000) g;"
      "CREATE TABLE tz (k timestamptz PRIMARY KEY); "
      "INSERT INTO tz SELECT '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour' FROM generate_series(1, 3000) g;"
      "CREATE TABLE n (k numeric PRIMARY KEY); INSERT INTO n SELECT g / 7.0 FROM generate_series(1, 3000) g;"
      // The planning session's own settings must not leak into the literals.
      "SET DateStyle = 'German, DMY'; SET TimeZone = 'Asia/Kolkata'");
  for (const std::string t : {"u", "ts", "tz", "n"}) {
    auto plan = plan_table(db.conn, db.table(t), "", 1000);
    BOOST_TEST(plan.chunks.size() == 3u, t << ": " << dump(plan));
    actors::pg_connection reader(db.conninfo);  // a chunk reader with other settings
    reader.exec("SET DateStyle = 'SQL, DMY'; SET TimeZone = 'America/St_Johns'");
    for (const auto& c : plan.chunks)
      BOOST_TEST(std::stoull(*reader.query("SELECT count(*) FROM " + t + " WHERE " + c.predicate)[0][0]) == 1000u,
                 t << ": " << c.predicate);
    BOOST_TEST(db.not_read_once(t, plan) == 0u, t << ": " << dump(plan));
  }
}

BOOST_AUTO_TEST_CASE(composite_keys_compare_as_row_values) {
  database db("composite");
  db.conn.exec("CREATE TABLE t (a int, b text, v int, PRIMARY KEY (a, b)); "
               "INSERT INTO t SELECT a, 'b' || b, 0 FROM generate_series(1, 50) a, generate_series(1, 100) b");
  auto plan = plan_table(db.conn, db.table("t"), "", 700);
  BOOST_TEST(plan.key_columns == (std::vector<std::string>{"a", "b"}));
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 8u, dump(plan));
  BOOST_TEST(plan.chunks[0].predicate.find("(\"a\", \"b\") < ('") == 1u, dump(plan));
  check_chunks(db, "t", plan, 100, 700);
}

BOOST_AUTO_TEST_CASE(nullable_key_column_gets_a_chunk_for_null_keys) {
  database db("nullable");
  // Duplicated keys (7 rows each) too: a key's rows never straddle two chunks.
  db.conn.exec("CREATE TABLE t (id int PRIMARY KEY, k text); "
               "INSERT INTO t SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE (g / 7)::text END "
               "FROM generate_series(1, 5000) g");
  auto plan = plan_table(db.conn, db.table("t"), "k", 1000);
  BOOST_TEST(plan.key_source == "key_column");
  BOOST_TEST(plan.key_columns == std::vector<std::string>{"k"});
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 6u, dump(plan));
  BOOST_TEST(plan.chunks.back().predicate == "(\"k\" IS NULL)");
  BOOST_TEST(plan.chunks.back().estimated_rows == 500u);
  BOOST_TEST(db.count("t", plan.chunks.back().predicate) == 500u);
  check_chunks(db, "t", plan, 500, 1007);
}

BOOST_AUTO_TEST_CASE(nullable_integer_key_column_in_one_chunk_excludes_nulls) {
  database db("nullable_small");
  db.conn.exec("CREATE TABLE t (id int PRIMARY KEY, k int); "
               "INSERT INTO t SELECT g, NULLIF(g % 4, 0) FROM generate_series(1, 100) g");
  auto plan = plan_table(db.conn, db.table("t"), "k", 1000);
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 2u, dump(plan));
  BOOST_TEST(plan.chunks[0].predicate == "(\"k\" IS NOT NULL)");
  check_chunks(db, "t", plan, 25, 75);
}

BOOST_AUTO_TEST_CASE(empty_table_is_one_unbounded_chunk) {
  database db("empty");
  db.conn.exec("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE nokey (v text)");
  for (const std::string t : {"t", "nokey"}) {
    auto plan = plan_table(db.conn, db.table(t), "", 1000);
    BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 1u, dump(plan));
    BOOST_TEST(plan.chunks[0].predicate == "(TRUE)");
    BOOST_TEST(plan.estimated_rows == 0u);
  }
}

BOOST_AUTO_TEST_CASE(one_row_table_is_one_chunk) {
  database db("one_row");
  db.conn.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (42)");
  auto plan = plan_table(db.conn, db.table("t"), "", 1000);
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() == 1u, dump(plan));
  BOOST_TEST(plan.chunks[0].predicate == "(TRUE)");
  check_chunks(db, "t", plan, 1, 1);
}

BOOST_AUTO_TEST_CASE(rows_added_after_planning_are_read_by_the_open_first_and_last_chunks) {
  database db("grows");
  db.conn.exec("CREATE TABLE t (id int PRIMARY KEY, s text UNIQUE); "
               "INSERT INTO t SELECT g, lpad(g::text, 6, '0') FROM generate_series(1, 10000) g");
  auto by_id = plan_table(db.conn, db.table("t"), "", 1000);
  auto by_text = plan_table(db.conn, db.table("t"), "s", 1000);
  db.conn.exec("INSERT INTO t SELECT g, lpad(g::text, 6, '0') FROM generate_series(-100, 0) g; "
               "INSERT INTO t SELECT g, lpad(g::text, 6, '0') FROM generate_series(10001, 10500) g; "
               "DELETE FROM t WHERE id BETWEEN 4000 AND 4100");
  BOOST_TEST(db.not_read_once("t", by_id) == 0u, dump(by_id));
  BOOST_TEST(db.count("t", by_id.chunks.front().predicate) == 1101u);
  BOOST_TEST(db.count("t", by_id.chunks.back().predicate) == 1500u);
  BOOST_TEST(db.not_read_once("t", by_text) == 0u, dump(by_text));
}

BOOST_AUTO_TEST_CASE(keyless_table_splits_by_ctid_block_ranges) {
  database db("ctid");
  db.conn.exec("CREATE TABLE t (v text); INSERT INTO t SELECT repeat('x', 50) FROM generate_series(1, 20000) g");
  auto plan = plan_table(db.conn, db.table("t"), "", 2000);
  BOOST_TEST(plan.key_source == "ctid");
  BOOST_TEST(plan.key_columns.empty());
  BOOST_REQUIRE_MESSAGE(plan.chunks.size() >= 9u, dump(plan));
  BOOST_TEST(plan.chunks.size() <= 11u, dump(plan));
  BOOST_TEST(plan.chunks[0].predicate.find("(ctid < '(") == 0u, dump(plan));
  BOOST_TEST(plan.chunks.back().predicate.find("(ctid >= '(") == 0u, dump(plan));
  check_chunks(db, "t", plan, 1500, 2500);
  // Appended rows land beyond the last planned block: the open last chunk reads them.
  db.conn.exec("INSERT INTO t SELECT 'new' FROM generate_series(1, 5000) g; DELETE FROM t WHERE random() < 0.1");
  BOOST_TEST(db.not_read_once("t", plan) == 0u, dump(plan));
}

BOOST_AUTO_TEST_CASE(keyless_partitioned_table_reads_every_partition_once) {
  database db("ctid_parts");
  db.conn.exec("CREATE TABLE p (a int, v text) PARTITION BY RANGE (a); "
               "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (1000); "
               "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (1000) TO (100000); "
               "INSERT INTO p SELECT g, repeat('x', 50) FROM generate_series(1, 20000) g");
  auto plan = plan_table(db.conn, db.table("p"), "", 2000);
  BOOST_TEST(plan.key_source == "ctid");
  BOOST_TEST(plan.chunks.size() > 5u, dump(plan));
  BOOST_TEST(db.not_read_once("p", plan) == 0u, dump(plan));
}

// How many rows of `table` the chunks of `plan` read, each with its list of rows.
std::uint64_t rows_read_with_lists(actors::pg_connection& conn, const std::string& table,
                                   const snapshot_table_plan& plan, const std::filesystem::path& dir) {
  std::uint64_t read = 0;
  for (const auto& c : plan.chunks) {
    auto listed =
        actors::listed_rows_condition(conn, actors::read_listed_rows(actors::listed_rows_file(dir, plan.relid, c.index)));
    read += std::stoull(*conn.query("SELECT count(*) FROM " + table + " WHERE " + c.predicate + " AND " + listed)
                             .at(0).at(0));
  }
  return read;
}

BOOST_AUTO_TEST_CASE(keyless_rows_written_after_the_slot_are_left_to_its_stream) {
  database db("written_before");
  db.conn.exec("CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, 'old' FROM generate_series(1, 1000) g");
  auto slot = engine::create_slot(db.conninfo, "plan_written_before");
  BOOST_REQUIRE(slot.exported);
  // After the slot, before the plan: inserts, and an update of an old row (its new version).
  db.conn.exec("INSERT INTO t SELECT g, 'new' FROM generate_series(1001, 1500) g");
  db.conn.exec("UPDATE t SET v = 'updated' WHERE id <= 10");
  auto plan = plan_table(db.conn, db.table("t"), "", 300);
  BOOST_TEST(plan.chunks.size() > 2u, dump(plan));
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_written_before";
  std::filesystem::remove_all(dir);
  BOOST_TEST(engine::list_rows_before_slot(*slot.exported, plan, dir) == 1000u);
  // An earlier pg2sr's checkpoint kept the snapshot's text instead.
  std::string older = engine::written_before_predicate(*slot.exported->query("SELECT pg_current_snapshot()::text")[0][0]);
  slot.exported.reset();
  // After the listing: more updates, a delete and a freeze, which keeps xmin readable.
  db.conn.exec("UPDATE t SET v = 'updated' WHERE id BETWEEN 11 AND 15");
  db.conn.exec("DELETE FROM t WHERE id BETWEEN 16 AND 20");
  db.conn.exec("VACUUM FREEZE t");
  db.conn.exec("INSERT INTO t SELECT g, 'new' FROM generate_series(1501, 1600) g");  // may take freed places
  // The old rows the slot's snapshot saw and that still exist, each once.
  BOOST_TEST(rows_read_with_lists(db.conn, "t", plan, dir) == 980u);
  // A rewrite moves every row: the lists no longer apply, and xmin (which it keeps) tells
  // the same rows.
  auto in_place = [&] {
    db.conn.exec("BEGIN");
    bool all = true;
    for (const auto& c : plan.chunks)
      all = all && actors::listed_rows_in_place(db.conn, "t", actors::read_listed_rows(actors::listed_rows_file(dir, plan.relid, c.index)));
    db.conn.exec("COMMIT");
    return all;
  };
  BOOST_TEST(in_place());
  db.conn.exec("VACUUM FULL t");
  BOOST_TEST(!in_place());
  std::uint64_t read = 0;
  for (const auto& c : plan.chunks) read += db.count("t", "(" + c.predicate + " AND " + older + ")");
  BOOST_TEST(read == 980u);
  BOOST_TEST(db.count("t", older + " AND v <> 'old'") == 0u);
  db.conn.exec("SELECT pg_drop_replication_slot('plan_written_before')");
  std::filesystem::remove_all(dir);
}

// A server past its first xid epoch: a frozen row keeps its raw 32-bit xmin, and widened
// into the current epoch that xmin can fall after the slot's snapshot, though the row is
// older than any snapshot. pg_resetwal puts the next xid just before the rows' raw xmin in
// epoch 1 (everything frozen first), so the transactions after the slot pass it.
BOOST_AUTO_TEST_CASE(keyless_frozen_rows_of_an_earlier_xid_epoch_are_read) {
  scoped_cluster server("xid_epoch", {"autovacuum = off"});
  std::uint64_t raw_xmin = 0;
  {
    actors::pg_connection conn(server.conninfo());
    conn.exec("CREATE TABLE t (id int, v text); "
              "INSERT INTO t SELECT g, repeat('x', 500) FROM generate_series(1, 100) g");
    raw_xmin = std::stoull(*conn.query("SELECT xmin::text FROM t LIMIT 1").at(0).at(0));
    conn.exec("VACUUM FREEZE");
    actors::pg_connection(server.conninfo("template1")).exec("VACUUM FREEZE");
  }
  server.reset_wal({"-e", "1", "-x", std::to_string(raw_xmin - 5)});
  actors::pg_connection conn(server.conninfo());
  BOOST_TEST(std::stoull(*conn.query("SELECT pg_current_xact_id()::text").at(0).at(0)) < (1ull << 32) + raw_xmin);
  auto slot = engine::create_slot(server.conninfo(), "epoch_slot");
  BOOST_REQUIRE(slot.exported);
  for (int i = 0; i < 20; ++i) conn.exec("SELECT pg_current_xact_id()");  // past the rows' raw xmin
  conn.exec("INSERT INTO t VALUES (101, 'new')");                         // the stream's, not the chunks'
  auto oid = std::stoul(*conn.query("SELECT 't'::regclass::oid::int8::text").at(0).at(0));
  auto plan = plan_table(conn, {"public", "t", static_cast<std::uint32_t>(oid)}, "", 30);
  BOOST_TEST(plan.chunks.size() > 1u, dump(plan));
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_xid_epoch";
  std::filesystem::remove_all(dir);
  engine::list_rows_before_slot(*slot.exported, plan, dir);
  slot.exported.reset();
  BOOST_TEST(rows_read_with_lists(conn, "t", plan, dir) == 100u);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(unknown_or_generated_key_column_is_refused) {
  database db("bad_key");
  db.conn.exec("CREATE TABLE t (id int PRIMARY KEY, g int GENERATED ALWAYS AS (id * 2) STORED)");
  BOOST_CHECK_THROW(plan_table(db.conn, db.table("t"), "nope", 1000), std::invalid_argument);
  BOOST_CHECK_THROW(plan_table(db.conn, db.table("t"), "g", 1000), std::invalid_argument);
  // The failed plan left no transaction open.
  BOOST_TEST(PQtransactionStatus(db.conn.get()) == PQTRANS_IDLE);
  BOOST_TEST(plan_table(db.conn, db.table("t"), "", 1000).columns == std::vector<std::string>{"id"});
}

BOOST_AUTO_TEST_CASE(relation_from_catalog_matches_what_pgoutput_sends) {
  database db("relation");
  db.conn.exec("CREATE TABLE t (a int, gone text, b varchar(20), g int GENERATED ALWAYS AS (a + 1) STORED, "
               "c numeric(10,2), d text, PRIMARY KEY (d, a)); ALTER TABLE t DROP COLUMN gone; "
               "CREATE PUBLICATION plan_pub FOR TABLE t");
  auto oid = db.table("t").oid;
  auto ours = engine::relation_from_catalog(db.conn, oid, engine::primary_key_columns(db.conn, oid));
  BOOST_TEST(engine::primary_key_columns(db.conn, oid) == (std::vector<std::string>{"d", "a"}));
  BOOST_REQUIRE(ours->columns.size() == 4u);
  BOOST_TEST(ours->columns[1].name == "b");
  BOOST_TEST(ours->columns[1].type_oid == 1043u);  // varchar
  BOOST_TEST(ours->columns[1].typmod == 24);       // 20 + VARHDRSZ
  BOOST_TEST(ours->key_columns == (std::vector<std::uint16_t>{0, 3}));
  BOOST_TEST(ours->replica_identity == 'd');

  auto slot = "plan_slot_" + std::to_string(::getpid());
  db.conn.exec("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  // The harness's cluster commits asynchronously; decoding reads only flushed WAL.
  db.conn.exec("SET synchronous_commit = on");
  db.conn.exec("INSERT INTO t (a, b, c, d) VALUES (1, 'x', 1.5, 'k')");
  auto changes = db.conn.query("SELECT encode(data, 'hex') FROM pg_logical_slot_get_binary_changes($1, NULL, NULL, "
                               "'proto_version', '1', 'publication_names', 'plan_pub')",
                               {slot});
  db.conn.exec("SELECT pg_drop_replication_slot('" + slot + "')");
  codecs::pgoutput::decoder decoder;
  codecs::pgoutput::relation_cache cache;
  std::shared_ptr<const codecs::pgoutput::relation_schema> sent;
  for (const auto& row : changes) {
    auto payload = from_hex(*row[0]);
    auto decoded = decoder.decode(payload);
    BOOST_REQUIRE(std::holds_alternative<codecs::pgoutput::message>(decoded));
    if (auto* r = std::get_if<codecs::pgoutput::relation_msg>(&std::get<codecs::pgoutput::message>(decoded)))
      sent = cache.apply(*r);
  }
  BOOST_REQUIRE(sent);
  BOOST_TEST(ours->same_columns(*sent));
  BOOST_TEST(ours->relid == sent->relid);
  BOOST_TEST(ours->qualified_name() == sent->qualified_name());
  BOOST_TEST(ours->replica_identity == sent->replica_identity);
  BOOST_TEST(ours->key_columns == sent->key_columns);
}

BOOST_AUTO_TEST_SUITE_END()
