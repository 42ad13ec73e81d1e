// A slot PostgreSQL invalidates while pg2sr is stopped (max_slot_wal_keep_size = 32MB, then
// far more WAL than that): `pg2sr check` and the next start name the cause and how to start
// over, instead of PostgreSQL's bare "cannot read from logical replication slot". (The
// recovery itself, `on_lost_slot = "resync"`, is not built yet.)
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdio>

#include "tests/engine/live_pipeline.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/scoped_cluster.hpp"

using namespace pg2sr;
using namespace pg2sr::test;

namespace {

// `pg2sr check -c FILE`: exit code and output.
std::pair<int, std::string> check(const live_pipeline& p) {
  std::string cmd = "PG2SR_LIVE_TEST_PASSWORD=" + std::string(live_test_password) + " " + std::getenv("PG2SR_BINARY") +
                    " check -c " + (p.dir() / "p.toml").string() + " 2>&1";
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string wal_status(PGconn* conn, const std::string& slot) {
  return query(conn, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + slot + "'").at(0).at(0);
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
  auto [code, out] = check(p);
  BOOST_TEST(out.find("wal_status reserved") != std::string::npos, out);

  // While it is stopped: inserts, updates and deletes, and WAL past what the slot may keep.
  exec(p.sql(), "INSERT INTO t SELECT g, 'gap' FROM generate_series(2, 1000) g; DELETE FROM t WHERE id = 1");
  for (int round = 0; round < 12 && wal_status(p.sql(), p.slot()) != "lost"; ++round) {
    exec(p.sql(), "CREATE TABLE IF NOT EXISTS filler (pad text); "
                  "INSERT INTO filler SELECT repeat(md5(g::text), 8) FROM generate_series(1, 60000) g; "
                  "DELETE FROM filler");
    exec(p.sql(), "CHECKPOINT");
  }
  BOOST_TEST_REQUIRE(wal_status(p.sql(), p.slot()) == "lost");

  std::tie(code, out) = check(p);
  BOOST_TEST(code != 0);
  BOOST_TEST(out.find("is INVALIDATED (wal_status lost)") != std::string::npos, out);
  BOOST_TEST(out.find("pg2sr slot drop -c FILE") != std::string::npos, out);
  BOOST_TEST(out.find("max_slot_wal_keep_size") != std::string::npos, out);

  p.start_nowait();
  BOOST_TEST(p.wait_for_log("is INVALIDATED (wal_status lost)"), p.log());
  BOOST_TEST(p.wait_for_log("empty the target tables"), p.log());
  BOOST_TEST(p.log().find("cannot read from logical replication slot") == std::string::npos, p.log());
}

BOOST_AUTO_TEST_SUITE_END()
