// The test harness's PostgreSQL is what the other suites rely on: version 15, logical WAL,
// and a walsender that accepts a replication connection and a logical slot.
#include <boost/test/unit_test.hpp>

#include "tests/support/pg_harness.hpp"

using namespace pg2sr::test;

BOOST_AUTO_TEST_SUITE(postgres_cluster)

BOOST_AUTO_TEST_CASE(server_is_postgresql_15_with_logical_wal) {
  auto conn = connect(cluster().conninfo());
  BOOST_TEST(PQserverVersion(conn.get()) / 10000 == 15);
  BOOST_TEST(query(conn.get(), "SHOW wal_level")[0][0] == "logical");
  BOOST_TEST(std::stoi(query(conn.get(), "SHOW max_wal_senders")[0][0]) >= 3);
  BOOST_TEST(std::stoi(query(conn.get(), "SHOW max_replication_slots")[0][0]) >= 3);
}

BOOST_AUTO_TEST_CASE(accepts_a_replication_connection_and_a_logical_slot) {
  auto conn = connect(cluster().conninfo() + " replication=database");
  auto ident = query(conn.get(), "IDENTIFY_SYSTEM");
  BOOST_REQUIRE_EQUAL(ident.size(), 1u);
  BOOST_TEST(ident[0][1] == "1");                                // timeline
  BOOST_TEST(ident[0][2].find('/') != std::string::npos);        // xlogpos X/X
  BOOST_TEST(ident[0][3] == "postgres");                         // dbname: a database connection
  auto slot = query(conn.get(), "CREATE_REPLICATION_SLOT harness_probe TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')");
  BOOST_REQUIRE_EQUAL(slot.size(), 1u);
  BOOST_TEST(slot[0][0] == "harness_probe");
  BOOST_TEST(slot[0][3] == "pgoutput");
}

BOOST_AUTO_TEST_SUITE_END()
