#include "engine/stop_signals.hpp"

#include <signal.h>

#include <ctime>

namespace pg2sr::engine {

namespace {
sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

signal_watcher::signal_watcher(std::function<void(int)> on_signal) {
  thread_ = std::thread([this, cb = std::move(on_signal)] {
    sigset_t set = stop_signal_set();
    timespec timeout{0, 100'000'000};
    while (!done_.load()) {
      int sig = sigtimedwait(&set, nullptr, &timeout);
      if (sig > 0) cb(sig);
    }
  });
}

signal_watcher::~signal_watcher() {
  done_.store(true);
  thread_.join();
}

void block_stop_signals() {
  sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void stop_if_signalled() {
  sigset_t set = stop_signal_set();
  timespec now{0, 0};
  int sig = sigtimedwait(&set, nullptr, &now);
  if (sig > 0) throw stopped_during_start_up{sig};
}

}  // namespace pg2sr::engine
