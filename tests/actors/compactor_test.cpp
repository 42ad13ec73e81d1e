// Compaction of one table's events into the final state per key.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/core/compactor.hpp"
#include "tests/support/change_events.hpp"

using namespace pg2sr::actors;
using namespace pg2sr::codecs::pgoutput;

namespace {

// Builds change events by hand for a table (id key, name, body) under one relation.
struct fixture {
  std::shared_ptr<relation_schema> rel = pg2sr::test::test_relation(
      16384, "t", {{"id", 20, -1, true, "", ""}, {"name", 25, -1, false, "", ""}, {"body", 25, -1, false, "", ""}});
  std::shared_ptr<change_batch> batch = std::make_shared<change_batch>();
  std::vector<std::string> storage = std::vector<std::string>(1);  // keeps strings stable
  std::uint64_t position = 1;

  column_value text(const char* s) { return {value_kind::text, std::string_view(s)}; }
  column_value null() { return {value_kind::null, {}}; }
  column_value toast() { return {value_kind::unchanged_toast, {}}; }

  std::uint32_t push(std::vector<column_value> values) {
    auto begin = static_cast<std::uint32_t>(batch->values.size());
    batch->values.insert(batch->values.end(), values.begin(), values.end());
    return begin;
  }
  change_event& event(change_op op) {
    change_event e;
    e.op = op;
    e.relid = rel->relid;
    e.relation = rel.get();
    e.lsn = 0x1000 + position;
    e.txn_final_lsn = 0x2000 + position;
    batch->events.push_back(e);
    return batch->events.back();
  }
  void insert(std::vector<column_value> v) {
    auto& e = event(change_op::insert);
    e.new_count = static_cast<std::uint32_t>(v.size());
    e.new_begin = push(v);
  }
  void update(std::vector<column_value> v, std::vector<column_value> old = {}, char kind = 0) {
    auto& e = event(change_op::update);
    e.new_count = static_cast<std::uint32_t>(v.size());
    e.new_begin = push(v);
    e.old_kind = kind;
    e.old_count = static_cast<std::uint32_t>(old.size());
    e.old_begin = push(old);
  }
  void remove(std::vector<column_value> old) {
    auto& e = event(change_op::delete_row);
    e.old_kind = 'K';
    e.old_count = static_cast<std::uint32_t>(old.size());
    e.old_begin = push(old);
  }
  void truncate() { event(change_op::truncate); }

  // Feeds every event to a compactor (after all were built: values must not move).
  std::shared_ptr<load_batch> compact(bool distinct_rows = false) {
    table_compactor c(rel, distinct_rows);
    std::shared_ptr<const change_batch> src = batch;
    for (const auto& e : batch->events) c.add(src, e, position++);
    return c.take(1);
  }
};

std::string row_text(const load_row& r) {
  std::string s = r.op == row_op::upsert ? "U(" : "D(";
  for (std::uint32_t i = 0; i < r.count; ++i) {
    if (i) s += ",";
    switch (r.values[i].kind) {
      case value_kind::null: s += "null"; break;
      case value_kind::unchanged_toast: s += "~"; break;
      default: s += std::string(r.values[i].data);
    }
  }
  return s + ")";
}

std::vector<std::string> rows_of(const load_batch& b) {
  std::vector<std::string> out;
  for (const auto& r : b.rows) out.push_back(row_text(r));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compactor)

BOOST_FIXTURE_TEST_CASE(insert_update_update_becomes_one_upsert, fixture) {
  insert({text("1"), text("a"), text("x")});
  update({text("1"), text("b"), text("x")});
  update({text("1"), text("c"), text("y")});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(1,c,y)"}, boost::test_tools::per_element());
  BOOST_TEST(b->events == 3u);
}

BOOST_FIXTURE_TEST_CASE(insert_then_delete_becomes_delete, fixture) {
  insert({text("1"), text("a"), text("x")});
  remove({text("1"), null(), null()});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"D(1,null,null)"}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(delete_then_insert_becomes_upsert, fixture) {
  remove({text("1"), null(), null()});
  insert({text("1"), text("new"), text("x")});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(1,new,x)"}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(distinct_keys_stay_distinct_in_order_of_last_change, fixture) {
  insert({text("1"), text("a"), text("x")});
  insert({text("2"), text("b"), text("x")});
  update({text("1"), text("c"), text("x")});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"U(2,b,x)", "U(1,c,x)"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(unchanged_toast_is_merged_onto_the_earlier_upsert, fixture) {
  insert({text("1"), text("a"), text("big")});
  update({text("1"), text("b"), toast()});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(1,b,big)"}, boost::test_tools::per_element());
  BOOST_TEST(!b->rows[0].partial());
}

BOOST_FIXTURE_TEST_CASE(unchanged_toast_without_earlier_row_stays_partial, fixture) {
  update({text("1"), text("b"), toast()});
  update({text("1"), text("c"), toast()});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(1,c,~)"}, boost::test_tools::per_element());
  BOOST_TEST(b->rows[0].partial());
}

BOOST_FIXTURE_TEST_CASE(unchanged_toast_under_replica_identity_full_takes_the_old_value, fixture) {
  update({text("1"), text("b"), toast()}, {text("1"), text("a"), text("big")}, 'O');
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(1,b,big)"}, boost::test_tools::per_element());
  BOOST_TEST(!b->rows[0].partial());
}

BOOST_FIXTURE_TEST_CASE(partial_after_partial_keeps_the_newest_present_values, fixture) {
  update({text("1"), toast(), text("body2")});
  update({text("1"), text("name2"), toast()});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(1,name2,body2)"}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(key_change_deletes_old_key_then_upserts_new_one, fixture) {
  insert({text("1"), text("a"), text("x")});
  update({text("2"), text("a"), text("x")}, {text("1"), null(), null()}, 'K');
  auto b = compact();
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"D(1,null,null)", "U(2,a,x)"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(truncate_drops_earlier_rows_and_is_applied_first, fixture) {
  insert({text("1"), text("a"), text("x")});
  truncate();
  insert({text("2"), text("b"), text("x")});
  auto b = compact();
  BOOST_TEST(b->truncate_first);
  BOOST_TEST(rows_of(*b) == std::vector<std::string>{"U(2,b,x)"}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(batch_records_positions_and_lsns_of_its_events, fixture) {
  insert({text("1"), text("a"), text("x")});
  insert({text("2"), text("a"), text("x")});
  position = 41;
  auto b = compact();
  BOOST_TEST(b->first_position == 41u);
  BOOST_TEST(b->last_position == 42u);
  BOOST_TEST(b->rows[1].commit_lsn == b->rows[1].lsn + 0x1000);
}

// A keyless table under REPLICA IDENTITY FULL: every column is flagged key, but two
// identical rows are two rows (a Duplicate Key target must get both).
BOOST_FIXTURE_TEST_CASE(identical_rows_of_a_keyless_table_are_not_folded, fixture) {
  for (auto& c : rel->columns) c.is_key = true;
  insert({text("1"), text("a"), text("x")});
  insert({text("1"), text("a"), text("x")});
  update({text("1"), text("b"), text("x")}, {text("1"), text("a"), text("x")}, 'O');
  auto b = compact(true);
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"U(1,a,x)", "U(1,a,x)", "D(1,a,x)", "U(1,b,x)"}),
             boost::test_tools::per_element());
}

// Row Z leaves key 7 (to 9), then row X moves into key 7 with an unchanged TOAST column.
// X's partial row must not replace Z's delete: the target's row at 7 is Z's, and X's
// missing value is not Z's. (It was replaced: X's partial update landed on Z's old row.)
BOOST_FIXTURE_TEST_CASE(a_partial_row_moving_into_a_key_keeps_the_delete_of_that_keys_old_row, fixture) {
  update({text("9"), text("z"), toast()}, {text("7"), null(), null()}, 'K');
  update({text("7"), text("x"), toast()}, {text("3"), null(), null()}, 'K');
  auto b = compact();
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"D(7,null,null)", "U(9,z,~)", "D(3,null,null)", "U(7,x,~)"}),
             boost::test_tools::per_element());
  BOOST_TEST(b->rows[1].moved);
  BOOST_TEST(b->rows[3].moved);
}

// Row X leaves key 3 (to 7, TOAST unchanged), then row Y is inserted at 3: the delete of 3
// stays right before X's partial row, the pair that moves X's row in the target.
BOOST_FIXTURE_TEST_CASE(a_key_reused_after_a_move_keeps_the_moved_pair_whole, fixture) {
  update({text("7"), text("x"), toast()}, {text("3"), null(), null()}, 'K');
  insert({text("3"), text("y"), text("Y")});
  auto b = compact();
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"D(3,null,null)", "U(7,x,~)", "U(3,y,Y)"}),
             boost::test_tools::per_element());
}

// A row's TOAST column is updated, then its key changes in the same batch (the value goes as
// unchanged TOAST): the moved row takes the value of the update folded away by the delete,
// not the target's older one. (The target's row kept its old value through the move.)
BOOST_FIXTURE_TEST_CASE(a_key_change_after_an_update_in_the_batch_takes_the_updated_values, fixture) {
  update({text("3"), text("a"), text("NEW")});
  update({text("7"), text("a"), toast()}, {text("3"), null(), null()}, 'K');
  auto b = compact();
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"D(3,null,null)", "U(7,a,NEW)"}), boost::test_tools::per_element());
  BOOST_TEST(!b->rows[1].moved);
}

// The same through a chain of moves whose first row is partial: the values present in the
// older rows go along, what none of them had stays unchanged TOAST (a move of the target's row).
BOOST_FIXTURE_TEST_CASE(a_chain_of_key_changes_carries_the_present_values_along, fixture) {
  update({text("1"), toast(), text("body1")});
  update({text("2"), toast(), toast()}, {text("1"), null(), null()}, 'K');
  update({text("3"), text("c"), toast()}, {text("2"), null(), null()}, 'K');
  auto b = compact();
  BOOST_TEST(rows_of(*b) == (std::vector<std::string>{"D(1,null,null)", "D(2,null,null)", "U(3,c,body1)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
