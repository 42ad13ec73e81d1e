// Durations, sizes and typo suggestions in configuration values.
#include <boost/test/unit_test.hpp>

#include "config/units.hpp"

using namespace pg2sr::config;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(units)

BOOST_AUTO_TEST_CASE(parse_duration_accepts_every_unit) {
  BOOST_TEST(parse_duration("250us")->count() == 250);
  BOOST_TEST(parse_duration("500ms")->count() == 500'000);
  BOOST_TEST(parse_duration("1.5s")->count() == 1'500'000);
  BOOST_TEST(parse_duration("2m")->count() == 120'000'000);
  BOOST_TEST(parse_duration("2min")->count() == 120'000'000);
  BOOST_TEST(parse_duration("1h")->count() == 3'600'000'000);
  BOOST_TEST(parse_duration("1d")->count() == 86'400'000'000);
}

BOOST_AUTO_TEST_CASE(parse_duration_rejects_missing_or_unknown_unit) {
  BOOST_TEST(!parse_duration("10").has_value());
  BOOST_TEST(!parse_duration("10 sec").has_value());
  BOOST_TEST(!parse_duration("-1s").has_value());
  BOOST_TEST(!parse_duration("s").has_value());
  BOOST_TEST(!parse_duration("").has_value());
}

BOOST_AUTO_TEST_CASE(parse_size_distinguishes_decimal_and_binary_units) {
  BOOST_TEST(*parse_size("64MiB") == 64ull << 20);
  BOOST_TEST(*parse_size("64MB") == 64'000'000ull);
  BOOST_TEST(*parse_size("1.5GiB") == 1610612736ull);
  BOOST_TEST(*parse_size("100B") == 100ull);
  BOOST_TEST(!parse_size("64mb").has_value());
  BOOST_TEST(!parse_size("64").has_value());
}

BOOST_AUTO_TEST_CASE(format_round_trips_through_parse) {
  BOOST_TEST(format_duration(1500ms) == "1500ms");
  BOOST_TEST(format_duration(10s) == "10s");
  BOOST_TEST(format_size(64ull << 20) == "64MiB");
  BOOST_TEST(*parse_size(format_size(64ull << 20)) == 64ull << 20);
  BOOST_TEST(parse_duration(format_duration(2min))->count() == 120'000'000);
}

BOOST_AUTO_TEST_CASE(closest_match_suggests_near_misses_only) {
  std::vector<std::string> keys{"max_bytes", "max_rows", "flush_interval"};
  BOOST_TEST(closest_match("max_byte", keys).value() == "max_bytes");
  BOOST_TEST(closest_match("flush_intervall", keys).value() == "flush_interval");
  BOOST_TEST(!closest_match("completely_else", keys).has_value());
  BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
