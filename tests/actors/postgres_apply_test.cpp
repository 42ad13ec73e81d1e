// Planning a batch for the PostgreSQL loader: replay skips by stored position, segments of
// distinct keys, key changes with unchanged TOAST, COPY text.
#include <boost/test/unit_test.hpp>

#include <deque>
#include <string>
#include <vector>

#include "actors/sinks/postgres/postgres_apply.hpp"
#include "tests/support/change_events.hpp"

using namespace pg2sr::actors;
using namespace pg2sr::codecs::pgoutput;

namespace {

// A batch of table (id key, name, body) built row by row.
struct fixture {
  std::shared_ptr<relation_schema> rel = pg2sr::test::test_relation(
      16384, "t", {{"id", 20, -1, true, "", ""}, {"name", 25, -1, false, "", ""}, {"body", 25, -1, false, "", ""}});
  load_batch batch = [this] {
    load_batch b;
    b.relation = rel;
    b.relid = rel->relid;
    return b;
  }();
  std::deque<std::vector<column_value>> storage;
  std::vector<std::size_t> key{0};

  static column_value text(const char* s) { return {value_kind::text, std::string_view(s)}; }
  static column_value null() { return {value_kind::null, {}}; }
  static column_value toast() { return {value_kind::unchanged_toast, {}}; }

  void row(row_op op, std::vector<column_value> values, lsn_t commit, lsn_t lsn) {
    auto& v = storage.emplace_back(std::move(values));
    batch.rows.push_back({op, v.data(), static_cast<std::uint32_t>(v.size()), lsn, commit});
  }
  void upsert(const char* id, lsn_t commit, lsn_t lsn, const char* name = "n") {
    row(row_op::upsert, {text(id), text(name), text("b")}, commit, lsn);
  }
  void snapshot_row(const char* id) { row(row_op::upsert, {text(id), text("snap"), text("b")}, 0, 0); }

  std::vector<std::string> ids(const apply_plan& plan) const {
    std::vector<std::string> out;
    for (const auto& r : plan.rows) out.push_back(std::string(1, static_cast<char>(r.op)) + std::string(r.values[0].data));
    return out;
  }
};

using strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(postgres_apply)

BOOST_FIXTURE_TEST_CASE(rows_at_or_below_the_stored_position_are_skipped, fixture) {
  upsert("1", 0x100, 0x90);
  upsert("2", 0x200, 0x190);
  upsert("3", 0x300, 0x290);
  applied_position stored{0x200, 0x190, {key_hash(batch.rows[1].values, key)}};
  auto plan = plan_apply(batch, stored, key);
  BOOST_TEST(ids(plan) == (strings{"u3"}));
  BOOST_TEST(plan.skipped == 2u);
  BOOST_TEST(plan.advanced);
  BOOST_TEST(plan.position.commit_lsn == 0x300u);
  BOOST_TEST(plan.position.lsn == 0x290u);
  BOOST_TEST(plan.position.tie_keys == (std::vector<std::uint64_t>{key_hash(batch.rows[2].values, key)}));
}

BOOST_FIXTURE_TEST_CASE(rows_sharing_the_stored_lsn_are_skipped_only_when_their_key_was_applied, fixture) {
  // One multi-insert WAL record: three rows at one LSN; a batch ended after the first two.
  upsert("1", 0x500, 0x400);
  upsert("2", 0x500, 0x400);
  upsert("3", 0x500, 0x400);
  applied_position stored{0x500, 0x400, {key_hash(batch.rows[0].values, key), key_hash(batch.rows[1].values, key)}};
  auto plan = plan_apply(batch, stored, key);
  BOOST_TEST(ids(plan) == (strings{"u3"}));
  BOOST_TEST(plan.position.tie_keys.size() == 3u);  // the next replay skips all three
  auto again = plan_apply(batch, plan.position, key);
  BOOST_TEST(again.rows.empty());
  BOOST_TEST(!again.advanced);
}

BOOST_FIXTURE_TEST_CASE(snapshot_rows_are_always_applied_and_do_not_move_the_position, fixture) {
  snapshot_row("7");
  applied_position stored{0x900, 0x800, {}};
  auto plan = plan_apply(batch, stored, key);
  BOOST_TEST(ids(plan) == (strings{"u7"}));
  BOOST_TEST(!plan.advanced);
}

BOOST_FIXTURE_TEST_CASE(only_a_batch_of_whole_snapshot_rows_is_copied_straight_into_the_target, fixture) {
  snapshot_row("1");
  snapshot_row("2");
  BOOST_TEST(copies_straight_in(batch));
  auto with_null = batch;
  with_null.rows[1].values = storage.emplace_back(std::vector{text("2"), null(), null()}).data();
  BOOST_TEST(copies_straight_in(with_null));
  auto truncating = batch;
  truncating.truncate_first = true;
  BOOST_TEST(!copies_straight_in(truncating));
  auto binary = batch;
  column_value binary_id{value_kind::binary, "\x01"};
  binary.rows[0].values = storage.emplace_back(std::vector{binary_id, text("a"), null()}).data();
  BOOST_TEST(!copies_straight_in(binary));
  upsert("3", 0x100, 0x90);  // a stream change: its position must be stored with it
  BOOST_TEST(!copies_straight_in(batch));
  load_batch empty;
  empty.relation = rel;
  BOOST_TEST(!copies_straight_in(empty));
}

BOOST_FIXTURE_TEST_CASE(copy_values_are_one_line_of_the_target_columns, fixture) {
  snapshot_row("1");
  batch.rows[0].values = storage.emplace_back(std::vector{text("1"), text("a\\b\tc\nd\re"), null()}).data();
  std::string out;
  append_copy_values(batch.rows[0].values, 3, out);
  BOOST_TEST(out == "1\ta\\\\b\\tc\\nd\\re\t\\N\n");
}

BOOST_FIXTURE_TEST_CASE(escapes_are_found_wherever_they_sit_in_long_values, fixture) {
  // Eight bytes are checked at a time: specials at every offset, beside bytes that look
  // alike (other control bytes, UTF-8) and must pass through.
  std::string plain = "ab\x0b\x01\x7f" "é日c0123456789";
  for (char special : {'\\', '\t', '\n', '\r'}) {
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      std::string value = plain;
      value.insert(at, 1, special);
      std::string expected = plain;
      expected.insert(at, special == '\\' ? "\\\\" : special == '\t' ? "\\t" : special == '\n' ? "\\n" : "\\r");
      std::string out;
      column_value v = text(value.c_str());
      append_copy_values(&v, 1, out);
      BOOST_TEST(out == expected + "\n");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_snapshot_batch_is_copied_in_the_order_of_its_integer_key, fixture) {
  for (const char* id : {"5", "6", "-2", "1", "100"}) snapshot_row(id);
  BOOST_TEST(copy_order(batch, key) == (std::vector<std::uint32_t>{2, 3, 0, 1, 4}));
  rel->columns[0].type_oid = 25;  // text: its order is the target collation's, left alone
  BOOST_TEST(copy_order(batch, key) == (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

BOOST_FIXTURE_TEST_CASE(a_truncate_already_applied_is_not_applied_again, fixture) {
  batch.truncate_first = true;
  batch.truncate_commit_lsn = 0x300;
  batch.truncate_lsn = 0x280;
  upsert("1", 0x400, 0x390);
  BOOST_TEST(plan_apply(batch, {0x300, 0x280, {}}, key).truncate == false);
  BOOST_TEST(plan_apply(batch, {0x400, 0x390, {}}, key).truncate == false);
  auto fresh = plan_apply(batch, {0x200, 0x100, {}}, key);
  BOOST_TEST(fresh.truncate);
  BOOST_TEST(ids(fresh) == (strings{"u1"}));
}

BOOST_FIXTURE_TEST_CASE(a_key_seen_again_starts_a_segment_so_order_is_kept, fixture) {
  snapshot_row("1");  // released at a high watermark...
  upsert("2", 0x100, 0x90);
  row(row_op::delete_row, {text("1"), null(), null()}, 0x200, 0x190);  // ...then deleted in the stream
  auto plan = plan_apply(batch, {}, key);
  BOOST_TEST(ids(plan) == (strings{"u1", "u2", "d1"}));
  BOOST_TEST(plan.rows[0].segment == 0u);
  BOOST_TEST(plan.rows[1].segment == 0u);
  BOOST_TEST(plan.rows[2].segment == 1u);
  BOOST_REQUIRE(plan.steps.size() == 2u);
  BOOST_TEST((plan.steps[0] == apply_step{0, staged_op::upsert, 0}));
  BOOST_TEST((plan.steps[1] == apply_step{1, staged_op::delete_row, 0}));
}

// A keyless table (every column the match key): an insert of a copy and a later delete of
// it cancel, unless the insert was applied before a restart: then the delete must go out,
// or the target keeps a row the source deleted. A delete before an insert never cancels.
BOOST_FIXTURE_TEST_CASE(keyless_copies_inserted_then_deleted_cancel_unless_the_insert_was_applied_before, fixture) {
  key = {0, 1, 2};
  batch.distinct_rows = true;
  row(row_op::delete_row, {text("1"), text("n"), text("b")}, 0x100, 0x90);  // applied before
  upsert("1", 0x200, 0x190);                                                 // applied before
  upsert("2", 0x300, 0x290);
  upsert("2", 0x400, 0x390);
  row(row_op::delete_row, {text("1"), text("n"), text("b")}, 0x500, 0x490);  // its insert is in
  row(row_op::delete_row, {text("2"), text("n"), text("b")}, 0x600, 0x590);  // takes one copy of 2
  row(row_op::delete_row, {text("3"), text("n"), text("b")}, 0x700, 0x690);
  upsert("3", 0x800, 0x790);
  applied_position stored{0x200, 0x190, {key_hash(batch.rows[1].values, key)}};
  auto plan = plan_apply(batch, stored, key);
  BOOST_TEST(ids(plan) == (strings{"u2", "d1", "d3", "u3"}));
  BOOST_TEST(plan.skipped == 2u);
  BOOST_TEST(plan.cancelled == 2u);
  BOOST_TEST(plan.position.commit_lsn == 0x800u);
  // A snapshot row may be a copy the target already has (its chunk read again after a
  // crash): the delete after it is sent, and nothing before it cancels across it.
  batch.rows.clear();
  upsert("4", 0x900, 0x890);
  row(row_op::upsert, {text("4"), text("n"), text("b")}, 0, 0);  // the same row, from a chunk
  upsert("4", 0xa00, 0x990);
  row(row_op::delete_row, {text("4"), text("n"), text("b")}, 0xb00, 0xa90);  // cancels 0x990's
  row(row_op::delete_row, {text("4"), text("n"), text("b")}, 0xc00, 0xb90);  // sent
  auto with_snapshot = plan_apply(batch, stored, key);
  BOOST_TEST(ids(with_snapshot) == (strings{"u4", "u4", "d4"}));
  BOOST_TEST(with_snapshot.cancelled == 2u);

  // The same batch in a table with a key folds nothing here: every row is planned.
  batch.distinct_rows = false;
  BOOST_TEST(plan_apply(batch, stored, key).cancelled == 0u);
}

BOOST_FIXTURE_TEST_CASE(partial_rows_are_grouped_by_their_present_columns, fixture) {
  row(row_op::upsert, {text("1"), text("a"), toast()}, 0x100, 0x90);
  row(row_op::upsert, {text("2"), toast(), text("b")}, 0x100, 0x91);
  row(row_op::upsert, {text("3"), text("c"), toast()}, 0x100, 0x92);
  row(row_op::delete_row, {text("4"), null(), null()}, 0x100, 0x93);
  auto plan = plan_apply(batch, {}, key);
  BOOST_REQUIRE(plan.column_sets.size() == 2u);
  BOOST_TEST(plan.column_sets[0] == (std::vector<std::size_t>{0, 1}));
  BOOST_TEST(plan.column_sets[1] == (std::vector<std::size_t>{0, 2}));
  BOOST_TEST(plan.rows[2].set == 0u);
  BOOST_REQUIRE(plan.steps.size() == 3u);  // the delete first, then one UPDATE per column set
  BOOST_TEST((plan.steps[0] == apply_step{0, staged_op::delete_row, 0}));
  BOOST_TEST((plan.steps[1] == apply_step{0, staged_op::partial, 0}));
  BOOST_TEST((plan.steps[2] == apply_step{0, staged_op::partial, 1}));
}

BOOST_FIXTURE_TEST_CASE(a_key_change_with_unchanged_toast_moves_the_old_row, fixture) {
  // The compactor's rows for UPDATE t SET id = 9 WHERE id = 1 with body unchanged TOAST.
  row(row_op::delete_row, {text("1"), null(), null()}, 0x100, 0x90);
  row(row_op::upsert, {text("9"), text("a"), toast()}, 0x100, 0x90);
  auto plan = plan_apply(batch, {}, key);
  BOOST_TEST(ids(plan) == (strings{"o1", "m9"}));
  BOOST_TEST(plan.rows[0].pair == plan.rows[1].pair);
  BOOST_REQUIRE(plan.steps.size() == 1u);
  BOOST_TEST((plan.steps[0] == apply_step{0, staged_op::moved, 0}));
  BOOST_TEST(plan.position.tie_keys.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(under_replica_identity_full_the_old_tuple_fills_unchanged_toast, fixture) {
  rel->replica_identity = 'f';
  row(row_op::delete_row, {text("1"), text("old"), text("toasted body")}, 0x100, 0x90);
  row(row_op::upsert, {text("9"), text("a"), toast()}, 0x100, 0x90);
  auto plan = plan_apply(batch, {}, key);
  BOOST_TEST(ids(plan) == (strings{"d1", "u9"}));
  BOOST_TEST(plan.rows[1].values[2].data == "toasted body");
}

BOOST_FIXTURE_TEST_CASE(a_key_sent_as_unchanged_toast_is_refused, fixture) {
  row(row_op::upsert, {toast(), text("a"), text("b")}, 0x100, 0x90);
  BOOST_CHECK_THROW(plan_apply(batch, {}, key), std::runtime_error);
}

BOOST_FIXTURE_TEST_CASE(copy_text_escapes_backslash_tab_newline_and_marks_null, fixture) {
  row(row_op::upsert, {text("1"), text("a\\b\tc\nd\re \\N"), null()}, 0x100, 0x90);
  auto plan = plan_apply(batch, {}, key);
  std::string out;
  append_copy_row(plan.rows[0], 3, out);
  BOOST_TEST(out == "1\ta\\\\b\\tc\\nd\\re \\\\N\t\\N\tu\t0\t0\t0\n");
}

BOOST_AUTO_TEST_SUITE_END()
