// The write load of the unchanged-TOAST tests: public.docs (id bigint key, n int, big text
// stored out of line) and a session that, while it runs, updates only `n` of random rows,
// so every such update streams `big` as unchanged TOAST ('u'), also inside snapshot windows.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace pg2sr::test {

/// Creates public.docs in `db` with `rows` rows, each `big` of about 3 kB (incompressible,
/// STORAGE EXTERNAL: out of line).
void make_toast_docs(const std::string& db, int rows);

/// Every `every_ms`, one transaction updating `n` of `per_round` random ids of public.docs;
/// from construction until finish().
struct toast_updates {
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread worker;

  toast_updates(const std::string& db, int rows, int per_round = 40, int every_ms = 150, unsigned seed = 1);
  void finish();
  ~toast_updates();
};

}  // namespace pg2sr::test
