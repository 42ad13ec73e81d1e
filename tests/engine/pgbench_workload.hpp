// The write load of the live consistency tests: pgbench tables, `pgbench -c 4` for a while
// and, beside it, deletes, re-inserts and primary-key changes on pgbench_accounts.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace pg2sr::test {

inline constexpr const char* pgbench_binary = "/usr/lib/postgresql/15/bin/pgbench";

/// The tables make_pgbench creates, as "schema.table".
inline const std::vector<std::string> pgbench_tables = {"public.pgbench_accounts", "public.pgbench_branches",
                                                        "public.pgbench_tellers", "public.pgbench_history"};

/// pgbench -i at `scale` (100,000 accounts per unit) into `db`; pgbench_history gets a
/// bigserial key `hid` so that it can be compared too.
void make_pgbench(const std::string& db, int scale);

/// Runs from construction until finish().
struct pgbench_workload {
  std::atomic<bool> stop{false};
  std::thread churn;
  int pgbench_status = -1;
  std::thread bench;

  pgbench_workload(const std::string& db, int seconds, int scale = 10);
  ~pgbench_workload();
  pgbench_workload(const pgbench_workload&) = delete;
  pgbench_workload& operator=(const pgbench_workload&) = delete;
  /// Waits for pgbench's end, then stops the churn.
  void finish();
};

}  // namespace pg2sr::test
