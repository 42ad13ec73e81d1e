// A resync's target keys on disk (actors/snapshot/resync_keys.hpp): any bytes round-trip, a
// torn or foreign file is refused, a start keeps only the files unfinished chunks read (by
// the name each chunk records, which survives renumbering), and the checkpoint keeps that
// name and refuses one that is a path.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "actors/core/checkpoint_store.hpp"
#include "actors/snapshot/resync_keys.hpp"

using namespace pg2sr::actors;

BOOST_AUTO_TEST_SUITE(resync_keys)

BOOST_AUTO_TEST_CASE(keys_of_any_bytes_round_trip_and_a_torn_file_is_refused) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_resync_keys_test";
  std::filesystem::remove_all(dir);
  std::vector<target_key> keys{{"1"}, {"o'brien\\", "tab\there"}, {"line\nbreak", ""}, {"end 3"}, {std::string("\0x", 2)}};
  auto file = resync_keys_file(dir, 7, 2);
  write_resync_keys(file, keys);
  BOOST_TEST(read_resync_keys(file) == keys);
  write_resync_keys(file, {});
  BOOST_TEST(read_resync_keys(file).empty());

  write_resync_keys(file, keys);
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);  // torn
  BOOST_CHECK_THROW(read_resync_keys(file), std::runtime_error);
  std::ofstream(file) << "1;1:1\nend 1\n";  // not ours
  BOOST_CHECK_THROW(read_resync_keys(file), std::runtime_error);
  BOOST_CHECK_THROW(read_resync_keys(dir / "missing.keys"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(only_the_files_of_unfinished_chunks_are_kept_by_the_name_they_record) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_resync_keys_kept";
  std::filesystem::remove_all(dir);
  for (auto [relid, chunk] : {std::pair{5u, 3u}, {5u, 4u}, {5u, 5u}, {6u, 0u}})
    write_resync_keys(resync_keys_file(dir, relid, chunk), {{"1"}});
  std::ofstream(dir / "notes.txt") << "kept\n";
  snapshot_state snapshot;
  snapshot_table_state t;
  t.relid = 5;
  snapshot_chunk_state renumbered{0, "", "", 1, false};  // planned as chunk 3, now chunk 0
  renumbered.deletes = renumbered.target_keys = true;
  renumbered.keys_file = "5.3.keys";
  snapshot_chunk_state done = renumbered;
  done.index = 1;
  done.done = true;
  done.keys_file = "5.4.keys";
  t.chunks = {renumbered, done};
  snapshot.tables = {t};  // 5.5: no chunk reads it; table 6: not planned
  BOOST_TEST(remove_unneeded_resync_keys(dir, snapshot) == 3u);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir)) left.insert(e.path().filename().string());
  BOOST_TEST((left == std::set<std::string>{"5.3.keys", "notes.txt"}));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(the_checkpoint_keeps_a_resync_and_refuses_a_key_file_that_is_a_path) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_resync_keys_checkpoint";
  std::filesystem::remove_all(dir);
  checkpoint_store store(dir);
  checkpoint_state state;
  state.snapshot.resync_pending = true;
  store.save(state);
  BOOST_TEST(store.load()->snapshot.resync_pending);

  snapshot_table_state t;
  t.relid = 9;
  t.schema = "public";
  t.name = "t";
  snapshot_chunk_state c{0, "", "target keys 1-2 of the resync", 2, false};
  c.deletes = c.target_keys = true;
  c.keys_file = "9.0.keys";
  t.chunks = {c};
  state.snapshot.resync_pending = false;
  state.snapshot.tables = {t};
  store.save(state);
  auto back = store.load();
  BOOST_TEST(!back->snapshot.resync_pending);
  BOOST_TEST(back->snapshot.tables.at(0).chunks.at(0).target_keys);
  BOOST_TEST(back->snapshot.tables.at(0).chunks.at(0).keys_file == "9.0.keys");

  state.snapshot.tables[0].chunks[0].keys_file = "../../etc/passwd";
  store.save(state);
  BOOST_CHECK_THROW(store.load(), std::runtime_error);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
