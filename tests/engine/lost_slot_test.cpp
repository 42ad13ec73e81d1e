// A slot PostgreSQL invalidates while pg2sr is stopped (max_slot_wal_keep_size = 32MB, then
// far more WAL than that): `pg2sr check` and the next start name the cause and how to start
// over, instead of PostgreSQL's bare "cannot read from logical replication slot"; and the
// recovery, `pg2sr resync` or `on_lost_slot = "resync"`, leaves the target equal to the
// source although the gap's deletes were never streamed.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <thread>

#include "tests/emulator/pg2sr_tables.hpp"
#include "tests/emulator/starrocks_emulator.hpp"
#include "tests/engine/live_pipeline.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/scoped_cluster.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

std::string wal_status(PGconn* conn, const std::string& slot) {
  return query(conn, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + slot + "'").at(0).at(0);
}

// Writes WAL (and checkpoints) until PostgreSQL invalidates the stopped pipeline's slot.
void lose_slot(const live_pipeline& p) {
  for (int round = 0; round < 12 && wal_status(p.sql(), p.slot()) != "lost"; ++round) {
    exec(p.sql(), "CREATE TABLE IF NOT EXISTS filler (pad text); "
                  "INSERT INTO filler SELECT repeat(md5(g::text), 8) FROM generate_series(1, 60000) g; "
                  "TRUNCATE filler");
    exec(p.sql(), "CHECKPOINT");
  }
  BOOST_TEST_REQUIRE(wal_status(p.sql(), p.slot()) == "lost");
}

// `pg2sr <args>` with the live tests' password: exit code and output.
std::pair<int, std::string> run_pg2sr(const std::string& args) {
  std::string out;
  FILE* pipe = popen(("PG2SR_LIVE_TEST_PASSWORD=" + std::string(live_test_password) + " " +
                      std::getenv("PG2SR_BINARY") + " " + args + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Waits until the log holds `text` `times` times (the log spans every start).
bool wait_for_times(const live_pipeline& p, const std::string& text, std::size_t times) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (std::chrono::steady_clock::now() < until) {
    auto log = p.log();
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    if (n >= times) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

const std::vector<std::string> resync_tables{"public.items", "public.names", "public.notes"};

// Every row of each table, as record text, sorted; "" when source and target agree. A
// PostgreSQL target keeps a keyless table's identical rows as one (README): notes as a set.
std::string differences(PGconn* source, PGconn* target) {
  std::string out;
  for (const auto& t : resync_tables) {
    std::string sql = std::string("SELECT ") + (t == "public.notes" ? "DISTINCT " : "") + "x::text FROM " + t + " x ORDER BY 1";
    auto a = query(source, sql), b = query(target, sql);
    if (a == b) continue;
    std::vector<std::vector<std::string>> missing, extra;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(missing));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(extra));
    out += t + ": source " + std::to_string(a.size()) + " rows, target " + std::to_string(b.size()) + "; " +
           std::to_string(missing.size()) + " missing, " + std::to_string(extra.size()) + " extra";
    if (!missing.empty()) out += "; missing e.g. " + missing[0][0];
    if (!extra.empty()) out += "; extra e.g. " + extra[0][0];
    out += "\n";
  }
  return out;
}

// The same tables in the StarRocks emulator: rows as "v1|v2" (NULL as NULL), sorted; a
// Duplicate Key table (notes) keeps every copy, so all three compare as multisets.
std::string starrocks_differences(PGconn* source, pg2sr::test::starrocks::starrocks_emulator& emulator) {
  const std::vector<std::pair<std::string, std::string>> tables{
      {"items", "SELECT id::text || '|' || coalesce(pad, 'NULL') FROM items ORDER BY 1"},
      {"names", "SELECT name || '|' || coalesce(n::text, 'NULL') || '|' || coalesce(big, 'NULL') FROM names ORDER BY 1"},
      {"notes", "SELECT coalesce(body, 'NULL') FROM notes ORDER BY 1"}};
  std::string out;
  for (const auto& [table, sql] : tables) {
    std::vector<std::string> a, b;
    for (const auto& r : query(source, sql)) a.push_back(r.at(0));
    for (const auto& row : emulator.dump("resync_sr", table).rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "|" : "") + row[i].value_or("NULL");
      b.push_back(line);
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a == b) continue;
    std::vector<std::string> missing, extra;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(missing));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(extra));
    out += table + ": source " + std::to_string(a.size()) + " rows, target " + std::to_string(b.size()) + "; " +
           std::to_string(missing.size()) + " missing, " + std::to_string(extra.size()) + " extra" +
           (missing.empty() ? "" : "; missing e.g. " + missing[0]) + (extra.empty() ? "" : "; extra e.g. " + extra[0]) +
           "\n";
  }
  return out;
}

// The emulator's tables have no sentinel to wait for: equal within a minute, or not.
bool eventually_equal(PGconn* source, pg2sr::test::starrocks::starrocks_emulator& emulator) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!starrocks_differences(source, emulator).empty()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

void create_resync_tables(PGconn* conn) {
  exec(conn, "CREATE TABLE items (id int PRIMARY KEY, pad text);"
             "INSERT INTO items SELECT g, 'first' FROM generate_series(1, 2000) g;"
             "CREATE TABLE names (name text PRIMARY KEY, n int, big text);"
             "ALTER TABLE names ALTER COLUMN big SET STORAGE EXTERNAL;"
             "INSERT INTO names SELECT 'name ' || g, g, CASE WHEN g > 590 THEN repeat(md5(g::text), 200) END "
             "FROM generate_series(1, 600) g;"
             "INSERT INTO names VALUES (E'o''brien\\\\', 4), (E'tab\\there', 8), ('`tick`', 12);"
             "CREATE TABLE notes (body text); ALTER TABLE notes REPLICA IDENTITY FULL;"
             "INSERT INTO notes SELECT 'note ' || (g % 50) FROM generate_series(1, 400) g");
}

// While the pipeline is stopped: inserts, updates and deletes in every table, keys with a
// quote and a backslash among the deleted ones.
void write_gap(PGconn* conn, int round) {
  auto r = std::to_string(round);
  exec(conn, "DELETE FROM items WHERE id % 3 = " + r + "; UPDATE items SET pad = 'gap " + r + "' WHERE id % 5 = 0; "
             "INSERT INTO items SELECT g, 'gap insert' FROM generate_series(" + std::to_string(2001 + round * 1000) +
             ", " + std::to_string(2500 + round * 1000) + ") g;"
             "DELETE FROM names WHERE n % 4 = " + r + "; INSERT INTO names SELECT 'gap ' || " + r + " || E'\\\\' || g, g "
             "FROM generate_series(1, 300) g;"
             "DELETE FROM notes WHERE ctid IN (SELECT ctid FROM notes WHERE body LIKE '%7%' LIMIT 40); "
             "INSERT INTO notes SELECT 'gap note ' || (g % 10) FROM generate_series(1, 50) g");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lost_slot)

BOOST_AUTO_TEST_CASE(a_slot_lost_while_stopped_is_explained_with_how_to_start_over) {
  scoped_cluster server("lost_slot", {"max_slot_wal_keep_size = 32MB", "max_wal_size = 64MB", "min_wal_size = 32MB"});
  exec(connect(server.conninfo()).get(), "CREATE DATABASE lost");
  live_pipeline p("lost", server.port(), "lost");
  exec(p.sql(), "CREATE TABLE t (id int PRIMARY KEY, pad text)");
  p.start();
  exec(p.sql(), "INSERT INTO t VALUES (1, 'before')");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  p.stop();
  auto [code, out] = run_pg2sr("check -c " + (p.dir() / "p.toml").string());
  BOOST_TEST(out.find("wal_status reserved") != std::string::npos, out);

  // While it is stopped: inserts, updates and deletes, and WAL past what the slot may keep.
  exec(p.sql(), "INSERT INTO t SELECT g, 'gap' FROM generate_series(2, 1000) g; DELETE FROM t WHERE id = 1");
  lose_slot(p);

  std::tie(code, out) = run_pg2sr("check -c " + (p.dir() / "p.toml").string());
  BOOST_TEST(code != 0);
  BOOST_TEST(out.find("is INVALIDATED (wal_status lost)") != std::string::npos, out);
  BOOST_TEST(out.find("pg2sr resync -c FILE") != std::string::npos, out);
  BOOST_TEST(out.find("max_slot_wal_keep_size") != std::string::npos, out);

  p.start_nowait();
  BOOST_TEST(p.wait_for_log("is INVALIDATED (wal_status lost)"), p.log());
  BOOST_TEST(p.wait_for_log("on_lost_slot = \"resync\""), p.log());
  BOOST_TEST(p.log().find("cannot read from logical replication slot") == std::string::npos, p.log());
}

BOOST_AUTO_TEST_CASE(a_resync_after_a_lost_slot_leaves_the_postgres_target_equal_to_the_source) {
  scoped_cluster server("resync", {"max_slot_wal_keep_size = 32MB", "max_wal_size = 64MB", "min_wal_size = 32MB"});
  auto admin = connect(server.conninfo());
  exec(admin.get(), "CREATE DATABASE resync_src");
  exec(admin.get(), "CREATE DATABASE resync_dst");
  live_pipeline p("resync", server.port(), "resync_src",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 100\n[sink]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\n"
                  "port = " + std::to_string(server.port()) +
                      "\ndbname = \"resync_dst\"\nuser = \"postgres\"\npassword_env = \"PG2SR_LIVE_TEST_PASSWORD\"\n"
                      "create_tables = true\n");
  create_resync_tables(p.sql());
  auto target = connect(server.conninfo("resync_dst"));
  int sentinel = 0;
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots(resync_tables), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel), p.log());
  BOOST_TEST_REQUIRE(differences(p.sql(), target.get()).empty(), differences(p.sql(), target.get()));
  p.stop();

  // on_lost_slot = "fail" (the default): the cause and the command, nothing loaded.
  write_gap(p.sql(), 0);
  lose_slot(p);
  p.start_nowait();
  BOOST_TEST(p.wait_for_log("is INVALIDATED (wal_status lost)"), p.log());
  BOOST_TEST(p.wait_for_log("pg2sr resync -c FILE"), p.log());
  p.kill9();
  BOOST_TEST(!differences(p.sql(), target.get()).empty(), "the gap was loaded without its WAL?");

  auto [code, out] = run_pg2sr("resync -c " + (p.dir() / "p.toml").string());
  BOOST_TEST_REQUIRE(code == 0, out);
  BOOST_TEST(out.find("resync requested") != std::string::npos, out);
  p.start();
  // Streamed while the tables are read again: the windows keep these out of the deletes.
  // Key changes into keys the gap deleted: the target holds them until their key chunk.
  exec(p.sql(), "DELETE FROM items WHERE id BETWEEN 100 AND 160; INSERT INTO items SELECT g, 'during' FROM "
                "generate_series(5001, 5100) g; UPDATE names SET n = n + 1000 WHERE n % 7 = 0;"
                "INSERT INTO notes VALUES ('during'), ('during');"
                "UPDATE items SET id = 1998 WHERE id = 1999; UPDATE names SET name = 'name 596' WHERE n = 597;"
                "UPDATE names SET name = 'name 592', n = 0 WHERE n = 593");  // big unchanged: a moved row
  for (const auto& t : resync_tables) BOOST_REQUIRE_MESSAGE(wait_for_times(p, "snapshot of " + t + " done", 2), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel), p.log());
  BOOST_TEST(differences(p.sql(), target.get()).empty(), differences(p.sql(), target.get()));
  p.stop();

  // on_lost_slot = "resync": the start resyncs by itself, snapshot mode "never" too (a
  // resync snapshots whatever the mode, and a restart goes on with its plan).
  p.rewrite_config("[snapshot]\nmode = \"never\"\nchunk_rows = 100\n[sink]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\n"
                   "port = " + std::to_string(server.port()) +
                       "\ndbname = \"resync_dst\"\nuser = \"postgres\"\npassword_env = \"PG2SR_LIVE_TEST_PASSWORD\"\n"
                       "create_tables = true\n",
                   "on_lost_slot = \"resync\"\n");
  write_gap(p.sql(), 1);
  lose_slot(p);
  // Killed as soon as the resync is planned: the next start goes on with the plan.
  p.start_nowait();
  BOOST_REQUIRE_MESSAGE(wait_for_times(p, "target key(s) in", 2), p.log());
  p.kill9();
  BOOST_TEST(p.log().find("on_lost_slot = \"resync\": resyncing now") != std::string::npos, p.log());
  p.start();
  exec(p.sql(), "DELETE FROM names WHERE n % 9 = 0; INSERT INTO items SELECT g, 'during 2' FROM "
                "generate_series(6001, 6050) g");
  for (const auto& t : resync_tables) BOOST_REQUIRE_MESSAGE(wait_for_times(p, "snapshot of " + t + " done", 3), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel), p.log());
  BOOST_TEST(differences(p.sql(), target.get()).empty(), differences(p.sql(), target.get()));
  p.stop();
}

// Into the StarRocks emulator: the keys are read through the FE's HTTP SQL API. The keyless
// table is a Duplicate Key table, which pg2sr cannot empty over HTTP: the start says which
// TRUNCATE TABLE to run, and goes on once it is empty.
BOOST_AUTO_TEST_CASE(a_resync_after_a_lost_slot_leaves_the_starrocks_target_equal_to_the_source) {
  namespace emu = pg2sr::test::starrocks;
  scoped_cluster server("resync_sr", {"max_slot_wal_keep_size = 32MB", "max_wal_size = 64MB", "min_wal_size = 32MB"});
  exec(connect(server.conninfo()).get(), "CREATE DATABASE resync_sr_src");
  emu::starrocks_emulator emulator{{"127.0.0.1", 0, 0, "root", "sr-secret", false}};
  setenv("PG2SR_STARROCKS_TEST_PASSWORD", "sr-secret", 1);
  emulator.start();
  live_pipeline p("resync_sr", server.port(), "resync_sr_src",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 100\n[tables]\ninclude = ['public\\.(items|names|notes)']\n"
                  "[sink]\nkind = \"starrocks\"\nfe_url = \"" + emulator.fe_url() +
                      "\"\ndatabase = \"resync_sr\"\nuser = \"root\"\npassword_env = \"PG2SR_STARROCKS_TEST_PASSWORD\"\n");
  create_resync_tables(p.sql());
  setenv("PG2SR_LIVE_TEST_PASSWORD", live_test_password, 1);
  emu::create_pipeline_tables(emulator, p.dir() / "p.toml");
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots(resync_tables), p.log());
  exec(p.sql(), "INSERT INTO items VALUES (9999, 'streamed')");
  BOOST_TEST_REQUIRE(eventually_equal(p.sql(), emulator), starrocks_differences(p.sql(), emulator));
  p.stop();

  write_gap(p.sql(), 0);
  lose_slot(p);
  auto [code, out] = run_pg2sr("resync -c " + (p.dir() / "p.toml").string());
  BOOST_TEST_REQUIRE(code == 0, out);
  p.start_nowait();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("TRUNCATE TABLE `resync_sr`.`notes`;"), p.log());
  p.kill9();
  emu::create_pipeline_tables(emulator, p.dir() / "p.toml", "notes");  // as the TRUNCATE would
  p.start();
  exec(p.sql(), "DELETE FROM items WHERE id BETWEEN 100 AND 160; INSERT INTO items SELECT g, 'during' FROM "
                "generate_series(5001, 5100) g; UPDATE names SET n = n + 1000 WHERE n % 7 = 0;"
                "INSERT INTO notes VALUES ('during'), ('during')");
  for (const auto& t : resync_tables) BOOST_REQUIRE_MESSAGE(wait_for_times(p, "snapshot of " + t + " done", 2), p.log());
  exec(p.sql(), "INSERT INTO items VALUES (9998, 'last')");
  BOOST_TEST(eventually_equal(p.sql(), emulator), starrocks_differences(p.sql(), emulator));
  p.stop();
}

BOOST_AUTO_TEST_SUITE_END()
