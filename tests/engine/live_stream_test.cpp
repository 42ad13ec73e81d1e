// The live PostgreSQL source against real servers: changes on many tables arrive in commit
// order with the right values; 300 tables through one walsender; an idle slot keeps
// advancing; PostgreSQL restarts and kill -9 of pg2sr lose nothing.
#include <boost/test/unit_test.hpp>

#include <thread>

#include "codecs/pgoutput/lsn.hpp"
#include "tests/engine/live_pipeline.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/scoped_cluster.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

void require_equal_tables(live_pipeline& p, const std::string& table, const std::string& key) {
  auto expected = p.source_table(table, key);
  auto got = p.replay()[table];
  std::string diff = compare_tables(expected, got);
  BOOST_TEST(diff.empty(), table << ":\n" << diff);
}

std::uint64_t lsn_of(PGconn* conn, const std::string& sql) {
  auto v = query(conn, sql)[0][0];
  return v == "\\N" ? 0 : codecs::parse_lsn(v).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(live_stream)

BOOST_AUTO_TEST_CASE(changes_on_many_tables_arrive_in_commit_order_with_the_right_values) {
  fresh_database("live_values");
  live_pipeline p("values", cluster().port, "live_values", "[tables]\nexclude = [\"public\\\\.unrelated\"]\n");
  PGconn* c = p.sql();
  exec(c, R"(
    CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2), tags text[], meta jsonb,
                           created timestamptz, flag boolean, ratio float8);
    CREATE TABLE events (id bigint PRIMARY KEY, kind text, payload text);
    CREATE TABLE notes (k text PRIMARY KEY, body text);
    CREATE TABLE docs (id int PRIMARY KEY, title text, big text);
    ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL;
    CREATE TABLE unrelated (id int);
  )");
  p.start();
  exec(c, R"(
    INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.5, ARRAY['a', NULL, 'q"x'], jsonb_build_object('g', g),
                                '2024-01-02 03:04:05.123456+00', g % 2 = 0, 'NaN'
      FROM generate_series(1, 200) g;
    UPDATE accounts SET balance = balance + 1, owner = E'it''s \\ new\nline' WHERE id % 3 = 0;
    DELETE FROM accounts WHERE id % 7 = 0;
    UPDATE accounts SET id = id + 1000 WHERE id < 5;
    INSERT INTO events SELECT g, 'k' || (g % 5), repeat('x', g % 50) FROM generate_series(1, 500) g;
    TRUNCATE events;
    INSERT INTO events SELECT g, 'after', 'truncate' FROM generate_series(1, 10) g;
    INSERT INTO notes VALUES ('ключ', 'unicode ✓'), ('tab	key', E'a\tb'), ('quote"key', NULL);
    INSERT INTO docs SELECT g, 'doc', (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 200))
      FROM generate_series(1, 5) g;
    UPDATE docs SET title = 'renamed' WHERE id <= 3;
    INSERT INTO unrelated SELECT generate_series(1, 100);
  )");
  exec(c, "BEGIN; UPDATE accounts SET balance = 0 WHERE id = 10; UPDATE accounts SET balance = 2 WHERE id = 10; COMMIT");
  exec(c, "ALTER TABLE accounts ADD COLUMN extra int DEFAULT 7");
  exec(c, "UPDATE accounts SET balance = balance");  // every row now carries the new column
  exec(c, "INSERT INTO accounts (id, owner) VALUES (5000, 'after alter')");
  exec(c, "ALTER TABLE notes DROP COLUMN body");
  exec(c, "UPDATE notes SET k = k");  // every row now without the dropped column
  exec(c, "ALTER TABLE events ALTER COLUMN kind TYPE varchar(20)");
  exec(c, "UPDATE events SET kind = kind || '!'");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());

  for (auto [table, key] : {std::pair{"public.accounts", "id"}, {"public.events", "id"}, {"public.notes", "k"},
                            {"public.docs", "id"}})
    require_equal_tables(p, table, key);
  BOOST_TEST(p.replay().count("public.unrelated") == 0u);  // excluded table never streamed
  // Per table, commits arrive in commit order.
  std::map<std::string, std::uint64_t> last;
  for (const auto& [table, lsn] : p.commit_lsns()) {
    BOOST_TEST(lsn >= last[table], table);
    last[table] = lsn;
  }
  BOOST_TEST(p.log().find("unchanged") == std::string::npos);  // no complaint about TOAST
  p.stop();
  BOOST_TEST(p.log().find(live_test_password) == std::string::npos);  // secrets never logged
  BOOST_TEST(p.log().find("password=") == std::string::npos);         // nor connection strings
}

BOOST_AUTO_TEST_CASE(three_hundred_tables_stream_through_one_walsender) {
  scoped_cluster server("senders", {"max_wal_senders = 3", "max_replication_slots = 3"});
  {
    auto admin = connect(server.conninfo());
    exec(admin.get(), "CREATE DATABASE many");
  }
  live_pipeline p("many", server.port(), "many");
  std::string ddl;
  for (int i = 0; i < 300; ++i) ddl += "CREATE TABLE t" + std::to_string(i) + " (id int PRIMARY KEY, v text);";
  exec(p.sql(), ddl);
  p.start();
  std::string dml = "BEGIN;";
  for (int i = 0; i < 300; ++i) dml += "INSERT INTO t" + std::to_string(i) + " VALUES (1, 'row of " + std::to_string(i) + "');";
  exec(p.sql(), dml + "COMMIT;");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  auto state = p.replay();
  int tables_with_row = 0;
  for (int i = 0; i < 300; ++i) tables_with_row += state["public.t" + std::to_string(i)].size() == 1;
  BOOST_TEST(tables_with_row == 300);
  BOOST_TEST(query(p.sql(), "SELECT count(*) FROM pg_stat_replication")[0][0] == "1");
  BOOST_TEST(query(p.sql(), "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")[0][0] == "1");
  BOOST_TEST(query(p.sql(), "SELECT application_name FROM pg_stat_replication")[0][0] == "pg2sr");
  p.stop();
}

BOOST_AUTO_TEST_CASE(idle_slot_keeps_advancing_while_only_unpublished_tables_change) {
  fresh_database("live_idle");
  live_pipeline p("idle", cluster().port, "live_idle", "[tables]\ninclude = [\"public\\\\.watched\", \"public\\\\.pg2sr_sentinel\"]\n");
  exec(p.sql(), "CREATE TABLE watched (id int PRIMARY KEY); CREATE TABLE other (id int)");
  p.start();
  exec(p.sql(), "INSERT INTO watched VALUES (1)");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  std::string slot_lsn = "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + p.slot() + "'";
  std::uint64_t before = lsn_of(p.sql(), slot_lsn);
  for (int i = 0; i < 200; ++i) exec(p.sql(), "INSERT INTO other SELECT generate_series(1, 100)");
  std::uint64_t written = lsn_of(p.sql(), "SELECT pg_current_wal_insert_lsn()");
  std::uint64_t confirmed = before;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (confirmed < written && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    confirmed = lsn_of(p.sql(), slot_lsn);
  }
  BOOST_TEST_MESSAGE("slot moved from " << codecs::format_lsn(before) << " to " << codecs::format_lsn(confirmed)
                                        << " (unrelated writes up to " << codecs::format_lsn(written) << ")");
  BOOST_TEST(confirmed >= written, p.log());
  p.stop();
}

BOOST_AUTO_TEST_CASE(postgresql_restart_mid_stream_loses_nothing) {
  scoped_cluster server("restart");
  exec(connect(server.conninfo()).get(), "CREATE DATABASE restarts");
  live_pipeline p("restart", server.port(), "restarts");
  exec(p.sql(), "CREATE TABLE items (id int PRIMARY KEY, v int)");
  p.start();
  for (int i = 0; i < 100; ++i)
    exec(p.sql(), "INSERT INTO items SELECT g, 0 FROM generate_series(" + std::to_string(i * 50 + 1) + ", " +
                      std::to_string(i * 50 + 50) + ") g");
  server.restart();  // while pg2sr is still streaming what came before
  p.reconnect();
  for (int i = 0; i < 50; ++i) exec(p.sql(), "UPDATE items SET v = v + 1 WHERE id % 50 = " + std::to_string(i));
  exec(p.sql(), "DELETE FROM items WHERE id % 10 = 0");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  require_equal_tables(p, "public.items", "id");
  BOOST_TEST(p.log().find("retrying in") != std::string::npos, p.log());  // it did lose the connection
  p.stop();
}

BOOST_AUTO_TEST_CASE(kill_9_of_pg2sr_mid_stream_then_restart_loses_nothing) {
  fresh_database("live_kill");
  live_pipeline p("kill", cluster().port, "live_kill");
  exec(p.sql(), "CREATE TABLE items (id int PRIMARY KEY, v int, note text)");
  p.start();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i)
      exec(p.sql(), "INSERT INTO items SELECT g, " + std::to_string(round) + ", 'r' FROM generate_series(" +
                        std::to_string(round * 2000 + i * 50 + 1) + ", " + std::to_string(round * 2000 + i * 50 + 50) +
                        ") g; UPDATE items SET v = v + 1 WHERE id % 97 = " + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    p.kill9();  // mid-stream: rows are in flight or not yet read
    exec(p.sql(), "DELETE FROM items WHERE id % 13 = " + std::to_string(round));  // while it is down
    p.start();
  }
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  require_equal_tables(p, "public.items", "id");
  p.stop();
}

BOOST_AUTO_TEST_CASE(publication_modes_all_tables_and_disabled_stream_through_run) {
  fresh_database("live_pubmodes");
  {
    live_pipeline p("puball", cluster().port, "live_pubmodes", "", "publication_mode = \"all_tables\"");
    exec(p.sql(), "CREATE TABLE a (id int PRIMARY KEY)");
    p.start();
    BOOST_TEST(query(p.sql(), "SELECT puballtables FROM pg_publication WHERE pubname = 'pg2sr_puball'")[0][0] == "t");
    exec(p.sql(), "CREATE TABLE created_later (id int PRIMARY KEY); INSERT INTO created_later VALUES (1)");
    BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
    BOOST_TEST(p.replay()["public.created_later"].size() == 1u);  // FOR ALL TABLES covers new tables
    p.stop();
  }
  {
    live_pipeline p("pubdis", cluster().port, "live_pubmodes", "[tables]\ninclude = [\"public\\\\.a\", \"public\\\\.pg2sr_sentinel\"]\n",
                    "publication_mode = \"disabled\"\npublication = \"mine\"");
    exec(p.sql(), "CREATE PUBLICATION mine FOR TABLE a, pg2sr_sentinel");
    p.start();
    exec(p.sql(), "INSERT INTO a VALUES (7)");
    BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(2), p.log());
    BOOST_TEST(p.replay()["public.a"].size() == 1u);
    BOOST_TEST(query(p.sql(), "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'mine'")[0][0] == "2");
    p.stop();
    exec(p.sql(), "DROP PUBLICATION mine");
  }
}

BOOST_AUTO_TEST_CASE(slot_active_elsewhere_is_explained_and_retried) {
  fresh_database("live_busy");
  live_pipeline first("busy", cluster().port, "live_busy");
  exec(first.sql(), "CREATE TABLE a (id int PRIMARY KEY)");
  first.start();
  live_pipeline second("busy_too", cluster().port, "live_busy", "", "slot = \"pg2sr_busy\"");  // same slot
  second.start_nowait();
  BOOST_TEST(second.wait_for_log("is active for PID"), second.log());
  BOOST_TEST(second.wait_for_log("pg_terminate_backend"), second.log());
  BOOST_TEST(second.wait_for_log("retrying in"), second.log());
  first.stop();  // the slot is free now: the second one takes over
  exec(second.sql(), "INSERT INTO a VALUES (1)");
  BOOST_REQUIRE_MESSAGE(second.wait_for_sentinel(3, std::chrono::seconds(60)), second.log());
  second.stop();
}

BOOST_AUTO_TEST_CASE(max_wal_senders_exhausted_is_explained_and_retried) {
  scoped_cluster server("one_sender", {"max_wal_senders = 1"});
  exec(connect(server.conninfo()).get(), "CREATE DATABASE senders");
  live_pipeline p("senders", server.port(), "senders");
  exec(p.sql(), "CREATE TABLE a (id int PRIMARY KEY)");
  auto holder = connect(server.conninfo("senders") + " replication=database");  // takes the only walsender
  query(holder.get(), "IDENTIFY_SYSTEM");
  p.start_nowait();
  BOOST_TEST(p.wait_for_log("max_wal_senders"), p.log());
  BOOST_TEST(p.wait_for_log("pg2sr needs exactly one per pipeline"), p.log());
  BOOST_TEST(p.wait_for_log("retrying in"), p.log());
  holder.reset();  // the walsender is free again
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("streaming slot", std::chrono::seconds(60)), p.log());
  exec(p.sql(), "INSERT INTO a VALUES (1)");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(90)), p.log());
  BOOST_TEST(p.replay()["public.a"].size() == 1u);
  p.stop();
}

BOOST_AUTO_TEST_SUITE_END()
