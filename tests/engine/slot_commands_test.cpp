// `pg2sr slot list` and `pg2sr slot drop` against the real PostgreSQL: lag and active state
// are shown, the pipeline's slot is dropped, an active or foreign slot is refused.
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "engine/source/slot_commands.hpp"
#include "tests/engine/source_fixtures.hpp"
#include "tests/support/process.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

void sql(const std::string& conninfo, const std::string& text) {
  auto c = connect(conninfo);
  exec(c.get(), text);
}

bool slot_exists(const std::string& conninfo, const std::string& slot) {
  auto c = connect(conninfo);
  return !query(c.get(), "SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "'").empty();
}

// A database with a table and a publication, and the configuration file naming `slot`.
std::unique_ptr<config_file> prepare(const std::string& db, const std::string& slot) {
  sql(fresh_source_database(db), "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION pf_slots FOR TABLE t");
  return std::make_unique<config_file>(slot, source_toml(cluster().port, db, slot, "pf_slots"));
}

// A pipeline of its own for `pg2sr run`: database pg2sr_slot_<name> set up by `setup_sql`,
// slot pf_<name>_<pid> dropped at the end, an empty state_dir, its configuration file.
struct own_pipeline {
  own_pipeline(const std::string& name, const std::string& setup_sql, const std::string& extra = "")
      : slot(unique_name("pf_" + name)),
        db(fresh_source_database("pg2sr_slot_" + name)),
        cleanup(db, slot),
        state_dir(std::filesystem::temp_directory_path() / unique_name("pg2sr_" + name + "_state")),
        file(name, with_state_dir(source_toml(cluster().port, "pg2sr_slot_" + name, slot, "pf_" + name, extra),
                                  state_dir.string())) {
    sql(db, setup_sql);
    std::filesystem::remove_all(state_dir);
  }
  ~own_pipeline() { std::filesystem::remove_all(state_dir); }

  std::string slot;
  std::string db;
  slot_cleanup cleanup;
  std::filesystem::path state_dir;
  config_file file;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(slot_commands)

// Issue 19.12: with the checkpoint lost and the slot still there, pg2sr took the snapshot
// again without a word; it now says so and why.
BOOST_AUTO_TEST_CASE(a_lost_checkpoint_with_the_slot_left_warns_that_the_snapshot_is_taken_again) {
  own_pipeline p("lost", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)",
                 "[snapshot]\nmode = \"snapshot_only\"");
  auto first = run_pg2sr("run -c " + p.file.path());
  BOOST_TEST_REQUIRE(first.exit_code == 0, first.output);
  BOOST_TEST(first.output.find("no checkpoint") == std::string::npos, first.output);
  BOOST_TEST_REQUIRE(slot_exists(p.db, p.slot));
  std::filesystem::remove(p.state_dir / "checkpoint.json");
  auto second = run_pg2sr("run -c " + p.file.path());
  BOOST_TEST(second.exit_code == 0, second.output);
  BOOST_TEST(second.output.find("replication slot " + p.slot + " exists but " + p.state_dir.string() +
                                " holds no checkpoint") != std::string::npos, second.output);
  BOOST_TEST(second.output.find("the snapshot is taken again") != std::string::npos, second.output);
}

// Issue 19.12: a SIGTERM while pg2sr starts (here: waiting for a lock the test holds on the
// table its publication is created for) killed it without a word. Now the start ends,
// saying so, before the slot is created.
BOOST_AUTO_TEST_CASE(sigterm_during_start_up_stops_with_a_message_before_the_slot) {
  namespace fs = std::filesystem;
  own_pipeline p("startup", "CREATE TABLE t (id int PRIMARY KEY)");
  auto holder = connect(p.db);
  exec(holder.get(), "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
  std::string log = (fs::temp_directory_path() / unique_name("pg2sr_startup_stop.log")).string();
  fs::remove(log);
  child_process run({std::getenv("PG2SR_BINARY"), "run", "-c", p.file.path()}, log);
  auto watcher = connect(p.db);
  bool waiting = false;
  for (int i = 0; i < 1500 && !waiting; ++i) {
    waiting = !query(watcher.get(), "SELECT 1 FROM pg_stat_activity WHERE application_name = 'pg2sr' AND "
                                    "wait_event_type = 'Lock'").empty();
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_REQUIRE_MESSAGE(waiting, read_text(log));
  run.kill(SIGTERM);
  exec(holder.get(), "COMMIT");
  auto r = run.wait();
  std::string text = read_text(log);
  BOOST_TEST(r.signal == 0, text);
  BOOST_TEST(r.exit_code == 0, text);
  BOOST_TEST(text.find("received SIGTERM during start-up") != std::string::npos, text);
  BOOST_TEST(!slot_exists(p.db, p.slot));
  fs::remove(log);
}

BOOST_AUTO_TEST_CASE(list_shows_ours_first_with_lag_then_others_marked_not_ours) {
  auto ours = unique_name("pf_list_ours");
  auto theirs = unique_name("pf_list_theirs");
  auto config = prepare("pg2sr_slot_list", ours);
  auto db = cluster().conninfo("pg2sr_slot_list");
  slot_cleanup clean_ours(db, ours), clean_theirs(db, theirs);
  sql(db, "SELECT pg_create_logical_replication_slot('" + ours + "', 'pgoutput')");
  sql(db, "SELECT pg_create_logical_replication_slot('" + theirs + "', 'test_decoding')");
  sql(db, "INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g");  // WAL the slots lag behind

  auto r = run_pg2sr("slot list -c " + config->path());
  BOOST_TEST(r.exit_code == 0, r.output);
  auto first = r.output.substr(0, r.output.find('\n'));
  BOOST_TEST(first.find("slot \"" + ours + "\" (ours): plugin pgoutput, inactive, confirmed_flush_lsn ") == 0u, first);
  auto lag_at = first.find(", lag ");
  BOOST_REQUIRE(lag_at != std::string::npos);
  long lag = std::stol(first.substr(lag_at + 6));
  BOOST_TEST(lag > 100000, first);  // 1000 rows of 100+ bytes
  BOOST_TEST(first.find(" bytes (") != std::string::npos, first);
  BOOST_TEST(first.find("KiB)") != std::string::npos, first);
  BOOST_TEST(r.output.find("slot \"" + theirs + "\" (not ours): plugin test_decoding, inactive") != std::string::npos,
             r.output);

  // Streaming from it makes it active, held by the walsender's pid.
  replication_holder holder(db, "pf_lister");
  holder.stream(ours, "pf_slots");
  actors::pg_connection conn(db);
  auto lines = engine::slot_list_lines(conn, ours);
  BOOST_REQUIRE(!lines.empty());
  BOOST_TEST(lines[0].find("(ours): plugin pgoutput, active, held by pid " + std::to_string(holder.pid()) +
                           " (application pf_lister") != std::string::npos,
             lines[0]);
}

BOOST_AUTO_TEST_CASE(list_says_when_our_slot_does_not_exist_yet) {
  auto ours = unique_name("pf_list_none");
  auto r = run_pg2sr("slot list -c " + prepare("pg2sr_slot_none", ours)->path());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("slot \"" + ours + "\" (ours): does not exist yet; pg2sr run creates it") == 0u, r.output);
}

BOOST_AUTO_TEST_CASE(drop_removes_the_slot_and_warns_that_the_position_is_lost) {
  auto ours = unique_name("pf_drop");
  auto config = prepare("pg2sr_slot_drop", ours);
  auto db = cluster().conninfo("pg2sr_slot_drop");
  slot_cleanup cleanup(db, ours);
  sql(db, "SELECT pg_create_logical_replication_slot('" + ours + "', 'pgoutput')");
  auto r = run_pg2sr("slot drop -c " + config->path());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("dropped slot \"" + ours + "\" (it was at confirmed_flush_lsn ") == 0u, r.output);
  BOOST_TEST(r.output.find("its position is lost") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("pg2sr resync -c FILE") != std::string::npos, r.output);
  BOOST_TEST(!slot_exists(db, ours));

  auto again = run_pg2sr("slot drop -c " + config->path());  // nothing left to drop
  BOOST_TEST(again.exit_code == 1, again.output);
  BOOST_TEST(again.output.find("slot \"" + ours + "\" does not exist; nothing dropped") != std::string::npos,
             again.output);
}

BOOST_AUTO_TEST_CASE(drop_refuses_an_active_slot_naming_its_holder) {
  auto ours = unique_name("pf_drop_active");
  auto config = prepare("pg2sr_slot_active", ours);
  auto db = cluster().conninfo("pg2sr_slot_active");
  slot_cleanup cleanup(db, ours);
  sql(db, "SELECT pg_create_logical_replication_slot('" + ours + "', 'pgoutput')");
  {
    replication_holder holder(db, "pf_busy");
    holder.stream(ours, "pf_slots");
    auto pid = std::to_string(holder.pid());
    auto r = run_pg2sr("slot drop -c " + config->path());
    BOOST_TEST(r.exit_code == 1, r.output);
    BOOST_TEST(r.output.find("is active, held by pid " + pid + " (application pf_busy") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("SELECT pg_terminate_backend(" + pid + ")") != std::string::npos, r.output);
    BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1, r.output);  // one line
    BOOST_TEST(slot_exists(db, ours));
  }
}

BOOST_AUTO_TEST_CASE(drop_refuses_a_slot_of_another_database) {
  auto ours = unique_name("pf_drop_foreign");
  auto config = prepare("pg2sr_slot_foreign", ours);
  auto other = fresh_source_database("pg2sr_slot_other");
  slot_cleanup cleanup(other, ours);
  sql(other, "SELECT pg_create_logical_replication_slot('" + ours + "', 'pgoutput')");
  auto r = run_pg2sr("slot drop -c " + config->path());
  BOOST_TEST(r.exit_code == 1, r.output);
  BOOST_TEST(r.output.find("is not a logical slot of database \"pg2sr_slot_foreign\"") != std::string::npos, r.output);
  BOOST_TEST(slot_exists(other, ours));
}

BOOST_AUTO_TEST_SUITE_END()
