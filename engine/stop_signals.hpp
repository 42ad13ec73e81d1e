// SIGINT/SIGTERM for `pg2sr run`: blocked in every thread from the first step, checked
// between the steps of start-up, and collected by one watcher thread while streaming.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace pg2sr::engine {

/// Blocks SIGINT and SIGTERM in this thread and every thread it starts later.
void block_stop_signals();

/// A stop signal that came during start-up (blocked from its first step, so that it cannot
/// end the process without a word): the start ends between two steps, before the next
/// thing it would create on the source or the target.
struct stopped_during_start_up {
  int signal = 0;
};

/// Throws stopped_during_start_up when a stop signal is pending.
void stop_if_signalled();

/// Collects the blocked stop signals on a thread of its own and calls `on_signal` with each.
class signal_watcher {
 public:
  explicit signal_watcher(std::function<void(int)> on_signal);
  ~signal_watcher();
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace pg2sr::engine
