// pg_current_snapshot() text and which stream xids a snapshot saw.
#include <boost/test/unit_test.hpp>

#include "codecs/values/pg_snapshot.hpp"

using namespace pg2sr::codecs;

BOOST_AUTO_TEST_SUITE(pg_snapshot_text)

BOOST_AUTO_TEST_CASE(parses_the_three_parts) {
  auto s = parse_pg_snapshot("740:748:741,745");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->xmin == 740u);
  BOOST_TEST(s->xmax == 748u);
  BOOST_TEST(s->xip == (std::vector<std::uint64_t>{741, 745}), boost::test_tools::per_element());
  BOOST_TEST(parse_pg_snapshot("740:740:")->xip.empty());
  for (const char* bad : {"", "740", "740:", "740:x:", "748:740:", "740:748:741,", "740:748:,741"})
    BOOST_TEST(!parse_pg_snapshot(bad), bad);
}

// The xip list names only xids below xmax: one that started after the snapshot's xmax was
// fixed is just as invisible, though no list names it.
BOOST_AUTO_TEST_CASE(in_progress_means_in_xip_or_at_or_past_xmax) {
  auto s = *parse_pg_snapshot("740:748:741,745");
  BOOST_TEST(!s.in_progress(739));
  BOOST_TEST(!s.in_progress(740));
  BOOST_TEST(s.in_progress(741));
  BOOST_TEST(!s.in_progress(742));
  BOOST_TEST(s.in_progress(745));
  BOOST_TEST(s.in_progress(748));
  BOOST_TEST(s.in_progress(900));
}

BOOST_AUTO_TEST_CASE(xids_compare_modulo_2_32_across_an_epoch) {
  // Epoch 1, xmin just below the 32-bit wrap; the stream's xid 5 is past the wrap.
  const std::uint64_t epoch = 1ull << 32;
  pg_snapshot s{epoch + 4294967290u, epoch + (1ull << 32) + 3, {}};
  BOOST_TEST(!s.in_progress(4294967280u));  // before xmin
  BOOST_TEST(!s.in_progress(1));            // after the wrap, below xmax
  BOOST_TEST(s.in_progress(5));             // at or past xmax
  BOOST_TEST(xid_precedes(4294967295u, 0));
  BOOST_TEST(!xid_precedes(0, 4294967295u));
}

BOOST_AUTO_TEST_SUITE_END()
