// The incremental snapshot under load: pgbench tables (scale 10, hundreds of chunks) are
// snapshotted while `pgbench -c 4` writes and a second workload deletes, re-inserts and
// changes keys; once the pipeline has passed the source's final LSN, the target (the
// jsonl replayed by key) equals SELECT * of every table. Then again with kill -9 at random
// points of the snapshot and restarts. One slot, one walsender, no lock, no long
// transaction throughout.
#include <boost/test/unit_test.hpp>

#include <random>
#include <thread>

#include "tests/engine/live_pipeline.hpp"
#include "tests/engine/pgbench_workload.hpp"
#include "tests/support/pg_harness.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

void require_all_equal(live_pipeline& p) {
  auto state = p.replay();
  for (auto [table, key] : {std::pair{"public.pgbench_accounts", "aid"}, {"public.pgbench_branches", "bid"},
                            {"public.pgbench_tellers", "tid"}, {"public.pgbench_history", "hid"}}) {
    auto expected = p.source_table(table, key);
    std::string diff = compare_tables(expected, state[table]);
    BOOST_TEST(diff.empty(), table << ": " << diff);
  }
}

const std::string snapshot_toml =
    "[snapshot]\nmode = \"initial\"\nchunk_rows = 5000\nparallelism = 2\n[tables]\n"
    "include = [\"public\\\\.pgbench_.*\", \"public\\\\.pg2sr_sentinel\"]\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_consistency)

BOOST_AUTO_TEST_CASE(snapshot_under_load_equals_the_source) {
  fresh_database("snap_load");
  make_pgbench("snap_load", 10);
  live_pipeline p("snapload", cluster().port, "snap_load", snapshot_toml);
  pgbench_workload work("snap_load", 15);
  p.start();
  BOOST_TEST(query(p.sql(), "SELECT count(*) FROM pg_stat_replication")[0][0] == "1");
  BOOST_TEST(query(p.sql(), "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")[0][0] == "1");
  work.finish();
  BOOST_TEST(work.pgbench_status == 0);
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots(pgbench_tables), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  require_all_equal(p);
  p.stop();
}

BOOST_AUTO_TEST_CASE(kill_9_during_the_snapshot_then_restart_equals_the_source) {
  fresh_database("snap_kill");
  make_pgbench("snap_kill", 10);
  live_pipeline p("snapkill", cluster().port, "snap_kill", snapshot_toml);
  pgbench_workload work("snap_kill", 20);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(300, 1500);
  p.start();
  for (int round = 0; round < 4; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    p.kill9();
    p.start();
  }
  work.finish();
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots(pgbench_tables), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(120)), p.log());
  require_all_equal(p);
  BOOST_TEST(p.log().find("resuming after durable LSN") != std::string::npos);
  p.stop();
}

BOOST_AUTO_TEST_CASE(throttled_snapshot_takes_no_lock_and_holds_no_long_transaction) {
  fresh_database("snap_locks");
  {
    auto c = cluster();
    std::string cmd = std::string(pgbench_binary) + " -i -s 2 -q \"" + c.conninfo("snap_locks") + "\" > /dev/null 2>&1";
    BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
  }
  live_pipeline p("snaplocks", cluster().port, "snap_locks",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 5000\nparallelism = 1\nmax_rows_per_sec = 40000\n"
                  "chunk_pause = \"50ms\"\n[tables]\ninclude = [\"public\\\\.pgbench_accounts\", "
                  "\"public\\\\.pg2sr_sentinel\"]\n");
  p.start();
  auto other = connect(cluster().conninfo("snap_locks"));
  exec(other.get(), "SET lock_timeout = '300ms'");
  int locked = 0, attempts = 0, max_walsenders = 0;
  double longest_xact = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < until) {
    ++attempts;
    PQclear(PQexec(other.get(), "BEGIN"));
    PGresult* r = PQexec(other.get(), "LOCK TABLE pgbench_accounts IN ACCESS EXCLUSIVE MODE");
    locked += PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQclear(PQexec(other.get(), "ROLLBACK"));
    auto age = query(other.get(),
                     "SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity "
                     "WHERE application_name = 'pg2sr' AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
    longest_xact = std::max(longest_xact, std::stod(age[0][0]));
    max_walsenders = std::max(max_walsenders, std::stoi(query(other.get(), "SELECT count(*) FROM pg_stat_replication")[0][0]));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST_MESSAGE("ACCESS EXCLUSIVE locks taken: " << locked << " of " << attempts
                                                     << "; longest pg2sr transaction " << longest_xact << " s");
  BOOST_TEST(p.log().find("snapshot of public.pgbench_accounts done") == std::string::npos);  // still snapshotting
  BOOST_TEST(locked * 2 >= attempts);      // the table is free between chunks
  BOOST_TEST(longest_xact < 1.0);          // each chunk is one short statement, nothing held open
  BOOST_TEST(max_walsenders == 1);         // one replication connection throughout
  BOOST_TEST(query(other.get(), "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")[0][0] == "1");
  p.stop();
}

BOOST_AUTO_TEST_CASE(adhoc_snapshot_request_on_a_running_pipeline_fills_in_old_rows) {
  fresh_database("snap_adhoc");
  live_pipeline p("snapadhoc", cluster().port, "snap_adhoc");  // mode never: old rows are not copied
  exec(p.sql(), "CREATE TABLE items (id int PRIMARY KEY, v text); "
                "INSERT INTO items SELECT g, 'old ' || g FROM generate_series(1, 20000) g");
  p.start();
  exec(p.sql(), "UPDATE items SET v = 'changed' WHERE id % 100 = 0");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  BOOST_TEST(p.replay()["public.items"].size() == 200u);  // only what changed since the slot
  auto request = test::run_command({std::getenv("PG2SR_BINARY"), "snapshot", "-c", (p.dir() / "p.toml").string(),
                                    "--table", "public.items"});
  BOOST_TEST(request.find("snapshot of public.items requested") != std::string::npos, request);
  exec(p.sql(), "DELETE FROM items WHERE id % 7 = 0; UPDATE items SET v = 'during' WHERE id % 11 = 0");
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.items done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(2), p.log());
  std::string diff = compare_tables(p.source_table("public.items", "id"), p.replay()["public.items"]);
  BOOST_TEST(diff.empty(), diff);
  p.stop();
}

BOOST_AUTO_TEST_CASE(table_added_to_the_selection_is_snapshotted_on_the_next_start) {
  fresh_database("snap_added");
  auto selection = [](const std::string& tables) {
    return "[snapshot]\nmode = \"initial\"\nchunk_rows = 1000\n[tables]\ninclude = [" + tables +
           ", \"public\\\\.pg2sr_sentinel\"]\n";
  };
  live_pipeline p("snapadded", cluster().port, "snap_added", selection("\"public\\\\.a\""));
  exec(p.sql(), "CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'a' FROM generate_series(1, 5000) g;"
                "CREATE TABLE b (id int PRIMARY KEY, v text); INSERT INTO b SELECT g, 'b' FROM generate_series(1, 3000) g");
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.a done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE(p.wait_for_sentinel(1));
  p.stop();
  BOOST_TEST(p.replay().count("public.b") == 0u);
  p.rewrite_config(selection("\"public\\\\.a\", \"public\\\\.b\""));
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.b done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE(p.wait_for_sentinel(2));
  for (auto table : {"public.a", "public.b"}) {
    std::string diff = compare_tables(p.source_table(table, "id"), p.replay()[table]);
    BOOST_TEST(diff.empty(), table << ": " << diff);
  }
  // public.a was planned (and read) once: the second start only planned public.b.
  std::string log = p.log();
  std::size_t plans_of_a = 0;
  for (auto at = log.find("snapshot of public.a: "); at != std::string::npos; at = log.find("snapshot of public.a: ", at + 1))
    ++plans_of_a;
  BOOST_TEST(plans_of_a == 1u);
  p.stop();
}

BOOST_AUTO_TEST_CASE(terminal_shows_a_live_per_table_progress_display) {
  fresh_database("snap_tty");
  live_pipeline p("snaptty", cluster().port, "snap_tty",
                  "[snapshot]\nmode = \"snapshot_only\"\nchunk_rows = 2000\nmax_rows_per_sec = 20000\n[tables]\n"
                  "include = [\"public\\\\.items\"]\n");
  exec(p.sql(), "CREATE TABLE items (id int PRIMARY KEY, v text); "
                "INSERT INTO items SELECT g, 'x' FROM generate_series(1, 60000) g");
  setenv("PG2SR_LIVE_TEST_PASSWORD", live_test_password, 1);
  // `script` gives pg2sr a pseudo-terminal, as a user's shell would.
  std::string out = test::run_command({"/usr/bin/script", "-qec",
                                       std::string(std::getenv("PG2SR_BINARY")) + " run -c " + (p.dir() / "p.toml").string(),
                                       "/dev/null"});
  BOOST_TEST(out.find("snapshot public.items") != std::string::npos, out);
  BOOST_TEST(out.find("[####") != std::string::npos, out);         // a progress bar
  BOOST_TEST(out.find("chunks, ") != std::string::npos, out);
  BOOST_TEST(out.find("ETA ") != std::string::npos, out);
  BOOST_TEST(out.find("\033[3A") != std::string::npos, out);      // redrawn in place
  BOOST_TEST(out.find("snapshot of public.items done") != std::string::npos, out);
}

// Issue 19.3: chunk boundaries read from the table went into the chunk reader's COPY through
// a quoting that doubled ' but not \; with standard_conforming_strings = off (the database's
// default here) a key ran as SQL in the replication role's session. It must be inert, and
// its row copied exactly.
BOOST_AUTO_TEST_CASE(a_key_that_reads_as_sql_without_standard_conforming_strings_is_inert) {
  fresh_database("snap_inject");
  live_pipeline p("snapinject", cluster().port, "snap_inject",
                  "[snapshot]\nmode = \"initial\"\nchunk_rows = 1\n[tables]\n"
                  "include = [\"public\\\\.hostile\", \"public\\\\.pg2sr_sentinel\"]\n");
  exec(p.sql(), "ALTER DATABASE snap_inject SET standard_conforming_strings = off; "
                "CREATE TABLE hostile (k text PRIMARY KEY, v int); "
                "INSERT INTO hostile VALUES ('', 0), ('a', 1), "
                "($h$\\') OR CAST(current_user AS int)=0) TO STDOUT --'$h$, 2), ($h$back\\slash$h$, 3), ('z''q', 4)");
  p.start();
  BOOST_REQUIRE_MESSAGE(p.wait_for_log("snapshot of public.hostile done", std::chrono::seconds(60)), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  auto state = p.replay();
  std::string diff = compare_tables(p.source_table("public.hostile", "k"), state["public.hostile"]);
  BOOST_TEST(diff.empty(), diff);
  BOOST_TEST(p.log().find("invalid input syntax") == std::string::npos, p.log());
  p.stop();
}

BOOST_AUTO_TEST_SUITE_END()
