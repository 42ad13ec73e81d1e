// Durable LSN from the frontier of loaded events (see ack_tracker.hpp).
#include "actors/core/ack_tracker.hpp"

#include <algorithm>

namespace pg2sr::actors {

bool ack_tracker::advance(std::uint64_t frontier) {
  if (frontier <= frontier_) return false;
  frontier_ = frontier;
  std::uint64_t before = durable_lsn_;
  while (!marks_.empty() && marks_.front().position < frontier_) {
    if (marks_.front().lsn > durable_lsn_) durable_lsn_ = marks_.front().lsn;
    marks_.pop_front();
  }
  return durable_lsn_ != before;
}

bool ack_tracker::pending_mark_between(std::uint64_t after, std::uint64_t before) const {
  auto it = std::upper_bound(marks_.begin(), marks_.end(), after,
                             [](std::uint64_t p, const mark& m) { return p < m.position; });
  return it != marks_.end() && it->position < before;
}

}  // namespace pg2sr::actors
