// The acknowledgement rule as a pure class: which LSN may be reported durable.
//
// Every event that enters the pipeline has a position (a counter in stream order). Commits
// and idle keepalives are registered in stream order with their position; the batcher
// reports a frontier: every event whose position is below it has been durably accepted by
// the target. A commit is durable once the frontier has passed its position (all events of
// its transaction and of every earlier one come before it), and the durable LSN is the
// end_lsn of the last durable commit (or an idle keepalive's walEnd). It never moves back.
#pragma once

#include <cstdint>
#include <deque>

namespace pg2sr::actors {

class ack_tracker {
 public:
  /// A transaction's Commit at `position`, acknowledgeable as `end_lsn`.
  void on_commit(std::uint64_t position, std::uint64_t end_lsn) { marks_.push_back({position, end_lsn}); }

  /// An idle keepalive (no transaction open) at `position` with `wal_end`.
  void on_idle(std::uint64_t position, std::uint64_t wal_end) { marks_.push_back({position, wal_end}); }

  /// Everything before `frontier` is durable. Frontiers only grow; a smaller one is ignored.
  /// Returns true when the durable LSN moved.
  bool advance(std::uint64_t frontier);

  /// The LSN that may be sent to PostgreSQL as `flush` (0 until something is durable).
  std::uint64_t durable_lsn() const { return durable_lsn_; }
  std::uint64_t frontier() const { return frontier_; }
  /// Commits and keepalives not yet durable.
  std::size_t pending() const { return marks_.size(); }
  /// Whether a commit or keepalive not yet durable lies strictly between the two positions:
  /// one after an event's position is the end of that event's transaction.
  bool pending_mark_between(std::uint64_t after, std::uint64_t before) const;

  /// Starts from a durable LSN persisted earlier.
  void restore(std::uint64_t durable_lsn) { durable_lsn_ = durable_lsn; }

 private:
  struct mark {
    std::uint64_t position;
    std::uint64_t lsn;
  };
  std::deque<mark> marks_;
  std::uint64_t frontier_ = 0;
  std::uint64_t durable_lsn_ = 0;
};

}  // namespace pg2sr::actors
