// The acknowledgement rule: the durable LSN never passes a transaction that is not fully
// in the target, whatever order the loaders finish in.
#include <boost/test/unit_test.hpp>

#include "actors/core/ack_tracker.hpp"

using tracker = pg2sr::actors::ack_tracker;

BOOST_AUTO_TEST_SUITE(ack_tracker)

BOOST_AUTO_TEST_CASE(nothing_is_durable_before_the_frontier_passes_a_commit) {
  tracker t;
  t.on_commit(10, 0x100);  // events 1..9 belong to it
  BOOST_TEST(!t.advance(10));  // event 10 itself (the commit) not passed yet
  BOOST_TEST(t.durable_lsn() == 0u);
  BOOST_TEST(t.advance(11));
  BOOST_TEST(t.durable_lsn() == 0x100u);
}

BOOST_AUTO_TEST_CASE(durable_lsn_stops_at_the_first_unapplied_transaction) {
  tracker t;
  t.on_commit(5, 0x100);
  t.on_commit(9, 0x200);
  t.on_commit(14, 0x300);
  t.advance(8);  // an event of the second transaction (6..8) is not loaded yet
  BOOST_TEST(t.durable_lsn() == 0x100u);
  BOOST_TEST(t.pending() == 2u);
  t.advance(15);
  BOOST_TEST(t.durable_lsn() == 0x300u);
  BOOST_TEST(t.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(frontier_never_moves_back) {
  tracker t;
  t.on_commit(5, 0x100);
  t.advance(6);
  BOOST_TEST(!t.advance(3));
  BOOST_TEST(t.frontier() == 6u);
  BOOST_TEST(t.durable_lsn() == 0x100u);
}

BOOST_AUTO_TEST_CASE(idle_keepalive_is_acknowledged_only_after_earlier_commits) {
  tracker t;
  t.on_commit(5, 0x100);
  t.on_idle(6, 0x500);
  t.advance(6);
  BOOST_TEST(t.durable_lsn() == 0x100u);
  t.advance(7);
  BOOST_TEST(t.durable_lsn() == 0x500u);
}

BOOST_AUTO_TEST_CASE(restored_lsn_is_kept_until_something_newer_is_durable) {
  tracker t;
  t.restore(0x900);
  t.on_commit(3, 0xA00);
  t.advance(2);
  BOOST_TEST(t.durable_lsn() == 0x900u);
  t.advance(4);
  BOOST_TEST(t.durable_lsn() == 0xA00u);
}

BOOST_AUTO_TEST_SUITE_END()
