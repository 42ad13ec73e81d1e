// Large transactions end to end into a PostgreSQL target: a 1,000,000-row transaction that
// aborts leaves nothing there, with the walsender spilling it (streaming off, the default)
// and with it streamed to pg2sr before its end (streaming on: held, then dropped at the
// abort); a committed one arrives whole. Memory and speed are measured in
// perf/big_transaction.sh, not here.
#include <boost/test/unit_test.hpp>

#include "tests/engine/live_pipeline.hpp"
#include "tests/support/pg_harness.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

std::string sink_toml(const std::string& target_db) {
  return "[snapshot]\nmode = \"never\"\n[tables]\ninclude = [\"public\\\\.big\", \"public\\\\.pg2sr_sentinel\"]\n"
         "[sink]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(cluster().port) +
         "\ndbname = \"" + target_db + "\"\nuser = \"postgres\"\npassword_env = \"PG2SR_LIVE_TEST_PASSWORD\"\n"
         "create_tables = true\n";
}

void aborted_then_committed(const std::string& name, const std::string& streaming) {
  fresh_database(name);
  fresh_database(name + "_target");
  live_pipeline p(name, cluster().port, name, sink_toml(name + "_target"), "streaming = " + streaming);
  exec(p.sql(), "CREATE TABLE big (id bigint PRIMARY KEY, v int NOT NULL, pad text NOT NULL)");
  p.start();
  // Over logical_decoding_work_mem (64 MB): spilled, or streamed in pieces before the abort.
  exec(p.sql(), "BEGIN; INSERT INTO big SELECT g, 1, repeat('x', 40) FROM generate_series(1, 1000000) g; ROLLBACK");
  exec(p.sql(), "INSERT INTO big SELECT g, 2, 'kept' FROM generate_series(1000001, 1000100) g");
  exec(p.sql(), "BEGIN; INSERT INTO big SELECT g, 3, 'half' FROM generate_series(2000001, 2300000) g;"
                "SAVEPOINT s; INSERT INTO big SELECT g, 4, 'rolled back' FROM generate_series(3000001, 3300000) g;"
                "ROLLBACK TO SAVEPOINT s; COMMIT");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1, std::chrono::seconds(240)), p.log());
  auto target = connect(cluster().conninfo(name + "_target"));
  auto counts = query(target.get(), "SELECT v, count(*), min(id), max(id) FROM big GROUP BY v ORDER BY v");
  BOOST_TEST_REQUIRE(counts.size() == 2u, counts.size() << " groups of rows in the target; 2 expected (v = 2, 3)");
  BOOST_TEST(counts[0][0] == "2");
  BOOST_TEST(counts[0][1] == "100");
  BOOST_TEST(counts[1][0] == "3");
  BOOST_TEST(counts[1][1] == "300000");
  BOOST_TEST(counts[1][3] == "2300000");
  p.stop();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(big_transaction)

BOOST_AUTO_TEST_CASE(an_aborted_million_row_transaction_spilled_by_the_walsender_leaves_nothing) {
  aborted_then_committed("bigtxn_spilled", "false");
}

BOOST_AUTO_TEST_CASE(an_aborted_million_row_transaction_streamed_before_its_end_leaves_nothing) {
  aborted_then_committed("bigtxn_streamed", "true");
}

BOOST_AUTO_TEST_SUITE_END()
