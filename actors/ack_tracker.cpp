// Durable LSN from the frontier of loaded events (see ack_tracker.hpp).
#include "actors/ack_tracker.hpp"

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

}  // namespace pg2sr::actors
