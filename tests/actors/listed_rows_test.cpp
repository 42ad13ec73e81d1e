// The lists of rows keyless snapshot chunks read (actors/snapshot/listed_rows.hpp): a start keeps
// the lists unfinished chunks of listed tables still need and removes the others, leaves
// files it did not write alone, and the checkpoint remembers which tables are listed.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "actors/core/checkpoint_store.hpp"
#include "actors/snapshot/listed_rows.hpp"

using namespace pg2sr::actors;

BOOST_AUTO_TEST_SUITE(listed_rows)

BOOST_AUTO_TEST_CASE(only_the_lists_of_unfinished_chunks_of_listed_tables_are_kept) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_listed_rows_test";
  std::filesystem::remove_all(dir);
  pg2sr::actors::listed_rows rows{"{16384,16384}", "{\"(0,1)\",\"(0,2)\"}", "{731,731}", "{16384}", "{16390}", 2};
  for (auto [relid, chunk] : {std::pair{5u, 0u}, {5u, 1u}, {5u, 2u}, {6u, 0u}, {7u, 0u}})
    write_listed_rows(listed_rows_file(dir, relid, chunk), rows);
  std::ofstream(dir / "notes.txt") << "kept\n";
  std::ofstream(dir / "5.1.rows.tmp") << "half written\n";

  snapshot_state snapshot;
  snapshot_table_state listed;
  listed.relid = 5;
  listed.rows_listed = true;
  listed.chunks = {{0, "(TRUE)", "", 2, true}, {1, "(TRUE)", "", 2, false}};  // chunk 2: no longer planned
  snapshot_table_state read_by_xmin;
  read_by_xmin.relid = 6;
  read_by_xmin.chunks = {{0, "(TRUE)", "", 2, false}};
  snapshot.tables = {listed, read_by_xmin};  // table 7: not in the plan

  BOOST_TEST(remove_unneeded_listed_rows(dir, snapshot) == 4u);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir)) left.insert(e.path().filename().string());
  BOOST_TEST((left == std::set<std::string>{"5.1.rows", "notes.txt", "5.1.rows.tmp"}));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_list_round_trips_and_one_that_is_not_array_literals_is_refused) {
  auto file = std::filesystem::temp_directory_path() / "pg2sr_listed_rows_bad" / "1.0.rows";
  BOOST_CHECK_THROW(write_listed_rows(file, {"{1}", "{1}'); DROP TABLE t; --", "{1}", "{1}", "{1}", 1}),
                    std::invalid_argument);
  write_listed_rows(file, {"{1}", "{\"(0,1)\"}", "{7}", "{1}", "{9}", 1});
  auto back = read_listed_rows(file);
  BOOST_TEST(back.ctids == "{\"(0,1)\"}");
  BOOST_TEST(back.filenodes == "{9}");
  BOOST_TEST(back.count == 1u);
  std::ofstream(file) << "{1}\n{1}'); DROP TABLE t; --\n{1}\n{1}\n{1}\n1\n";
  BOOST_CHECK_THROW(read_listed_rows(file), std::runtime_error);
  std::filesystem::remove_all(file.parent_path());
}

BOOST_AUTO_TEST_CASE(the_checkpoint_remembers_a_listed_table) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_listed_rows_checkpoint";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  checkpoint_state state;
  snapshot_table_state t;
  t.relid = 5;
  t.schema = "public";
  t.name = "events";
  t.key_source = "ctid";
  t.rows_listed = true;
  t.chunks = {{0, "(TRUE)", "all rows", 2, false}};
  state.snapshot.tables = {t};
  checkpoint_store store(dir);
  store.save(state);
  auto back = store.load();
  BOOST_REQUIRE(back.has_value());
  BOOST_REQUIRE(back->snapshot.find(5));
  BOOST_TEST(back->snapshot.find(5)->rows_listed);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
