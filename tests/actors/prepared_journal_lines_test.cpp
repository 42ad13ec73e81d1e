// The StarRocks journals (2PC prepared labels, loads in flight): one tab-separated line per
// load. A database or table name holding a tab, a line break or a backslash (issue 19.12;
// start-up refuses control characters in the names of selected tables, not in sink.database
// with a synthetic source) comes back as it was written.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "actors/sinks/starrocks/starrocks_committer.hpp"

using namespace pg2sr::actors;

BOOST_AUTO_TEST_SUITE(prepared_journal_lines)

BOOST_AUTO_TEST_CASE(names_with_tabs_line_breaks_and_backslashes_round_trip) {
  auto file = std::filesystem::temp_directory_path() / "pg2sr_prepared_journal_test" / "journal";
  std::filesystem::remove_all(file.parent_path());
  std::vector<prepared_load> written{{"shop\tarchive", "orders\nX", "pg2sr-a-1", 0, 0, 0},
                                     {"back\\slash\\t", "t\r", "pg2sr-b-2", 0, 0, 0},
                                     {"plain", "table", "pg2sr-c-3", 0, 0, 0}};
  {
    prepared_journal journal(file);
    for (const auto& load : written) journal.append(load);
  }
  auto read = prepared_journal(file).entries();
  BOOST_TEST_REQUIRE(read.size() == written.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    BOOST_TEST(read[i].db == written[i].db);
    BOOST_TEST(read[i].table == written[i].table);
    BOOST_TEST(read[i].label == written[i].label);
  }
  prepared_journal again(file);
  again.remove({written[0]});
  auto left = prepared_journal(file).entries();
  BOOST_TEST_REQUIRE(left.size() == 2u);
  BOOST_TEST(left[0].db == written[1].db);
  BOOST_TEST(left[0].table == written[1].table);
  std::filesystem::remove_all(file.parent_path());
}

BOOST_AUTO_TEST_SUITE_END()
