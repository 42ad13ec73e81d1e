// Unchanged-TOAST updates while a snapshot runs.
#include "tests/engine/toast_window_workload.hpp"

#include <chrono>
#include <random>

#include "tests/support/pg_harness.hpp"

namespace pg2sr::test {

void make_toast_docs(const std::string& db, int rows) {
  auto conn = connect(cluster().conninfo(db));
  exec(conn.get(), "CREATE TABLE docs (id bigint PRIMARY KEY, n int NOT NULL, big text); "
                   "ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL; "
                   "INSERT INTO docs SELECT g, 0, (SELECT string_agg(md5(g::text || '/' || i::text), '') "
                   "FROM generate_series(1, 100) i) FROM generate_series(1, " + std::to_string(rows) + ") g; "
                   "ANALYZE docs");
}

toast_updates::toast_updates(const std::string& db, int rows, int per_round, int every_ms, unsigned seed) {
  worker = std::thread([=, this] {
    auto conn = connect(cluster().conninfo(db));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> id(1, rows);
    while (!stop.load()) {
      std::string ids;
      for (int i = 0; i < per_round; ++i) ids += (i ? "," : "") + std::to_string(id(rng));
      exec(conn.get(), "UPDATE docs SET n = n + 1 WHERE id IN (" + ids + ")");
      rounds.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
    }
  });
}

void toast_updates::finish() {
  stop.store(true);
  if (worker.joinable()) worker.join();
}

toast_updates::~toast_updates() { finish(); }

}  // namespace pg2sr::test
