// pgbench plus churn on the harness's PostgreSQL.
#include "tests/engine/pgbench_workload.hpp"

#include <boost/test/unit_test.hpp>

#include <random>

#include "tests/support/pg_harness.hpp"

namespace pg2sr::test {

void make_pgbench(const std::string& db, int scale) {
  auto c = cluster();
  std::string cmd = std::string(pgbench_binary) + " -i -s " + std::to_string(scale) + " -q \"" + c.conninfo(db) +
                    "\" > /dev/null 2>&1";
  BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
  auto conn = connect(c.conninfo(db));
  exec(conn.get(), "ALTER TABLE pgbench_history ADD COLUMN hid bigserial PRIMARY KEY");
}

pgbench_workload::pgbench_workload(const std::string& db, int seconds, int scale) {
  auto c = cluster();
  bench = std::thread([this, c, db, seconds] {
    std::string cmd = std::string(pgbench_binary) + " -c 4 -j 2 -T " + std::to_string(seconds) + " -n \"" +
                      c.conninfo(db) + "\" > /dev/null 2>&1";
    pgbench_status = std::system(cmd.c_str());
  });
  churn = std::thread([this, c, db, scale] {
    auto conn = connect(c.conninfo(db));
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> aid(1, scale * 100'000);
    int moved = 0;
    while (!stop.load()) {
      int a = aid(rng), b = aid(rng);
      exec(conn.get(), "BEGIN; DELETE FROM pgbench_accounts WHERE aid = " + std::to_string(a) +
                           "; INSERT INTO pgbench_accounts VALUES (" + std::to_string(a) + ", 1, 42, 're-inserted') " +
                           "ON CONFLICT DO NOTHING; COMMIT");
      exec(conn.get(), "UPDATE pgbench_accounts SET aid = " + std::to_string(2'000'000 + ++moved) +
                           " WHERE aid = " + std::to_string(b));  // key change
      exec(conn.get(), "DELETE FROM pgbench_accounts WHERE aid = " + std::to_string(aid(rng)));
    }
  });
}

void pgbench_workload::finish() {
  if (bench.joinable()) bench.join();
  stop = true;
  if (churn.joinable()) churn.join();
}

// A test that throws before finish() (a start that timed out) must fail with its message,
// not abort the whole suite on a joinable thread.
pgbench_workload::~pgbench_workload() { finish(); }

}  // namespace pg2sr::test
