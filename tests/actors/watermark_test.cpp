// The watermark actor under CAF's deterministic scheduler: a chunk's rows are released at
// its high watermark minus the keys changed inside the window, and a chunk whose snapshot
// could not see a transaction that committed before its low watermark is sent back to be
// read again instead of overwriting that transaction's change with a stale row.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "tests/support/change_events.hpp"
#include "tests/support/deterministic_actors.hpp"

#include "actors/snapshot/watermark.hpp"

using namespace pg2sr::actors;
using namespace pg2sr::codecs::pgoutput;


namespace {

// What reached the stand-ins for the batcher and the chunker.
struct seen {
  std::vector<std::pair<std::string, bool>> rows;  ///< (key, snapshot row) forwarded downstream
  std::vector<chunk_released_msg> released;
};

caf::behavior fake_batcher(caf::event_based_actor*, seen* out) {
  return {
      [=](event_batch_msg& m) {
        for (std::size_t i = m.begin; i < std::min(m.end, m.batch->events.size()); ++i) {
          const auto& e = m.batch->events[i];
          if (e.relid != 0 && e.new_count > 0) out->rows.emplace_back(std::string(m.batch->new_tuple(e)[0].data), m.snapshot_rows);
          if (e.relid != 0 && e.op == change_op::delete_row) out->rows.emplace_back("-" + std::string(m.batch->old_tuple(e)[0].data), false);
        }
      },
      [](end_of_stream_msg&) {},
  };
}

caf::behavior fake_chunker(caf::event_based_actor*, seen* out) {
  return {
      [=](chunk_released_msg& m) { out->released.push_back(m); },
      [](tick_atom) {},
      [](add_tasks_msg&) {},
  };
}

struct watermark_fixture : pg2sr::test::deterministic_actors {
  seen out;
  std::shared_ptr<relation_schema> rel = pg2sr::test::test_relation(16384, "accounts", {{"aid", 23, -1, true, "", ""}});
  std::shared_ptr<chunk_task> task = std::make_shared<chunk_task>();
  caf::actor batcher_stand_in = sys.spawn(fake_batcher, &out);
  caf::actor chunker_stand_in = sys.spawn(fake_chunker, &out);
  watermark_actor merge = sys.spawn(watermark, caf::actor_cast<batcher_actor>(batcher_stand_in), false);
  std::deque<std::string> texts;  // the events' values view into these

  watermark_fixture() {
    task->ref = chunk_ref{16384, 0};
    task->key_columns = {"aid"};
    task->relation = rel;
    task->watermark_id = "run:16384:0";
    task->description = "aid in [1, 10)";
    task->table_sql = "public.accounts";
    caf::anon_send(merge, link_chunker_msg{caf::actor_cast<chunker_actor>(chunker_stand_in)});
    caf::anon_send(merge, chunk_begin_msg{task});
    sched.run();
  }
  ~watermark_fixture() {
    for (const caf::actor& a : {caf::actor_cast<caf::actor>(merge), batcher_stand_in, chunker_stand_in})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  std::string_view text(std::string s) { return texts.emplace_back(std::move(s)); }

  // One transaction of the stream: a delete of `key` (xid, commit LSN), or the watermark.
  std::shared_ptr<change_batch> delete_in_txn(std::uint32_t xid, lsn_t commit, std::string key) {
    auto b = std::make_shared<change_batch>();
    b->relations.push_back(rel);
    change_event del;
    del.op = change_op::delete_row;
    del.relid = rel->relid;
    del.relation = rel.get();
    del.xid = xid;
    del.txn_final_lsn = commit;
    del.old_begin = 0;
    del.old_count = 1;
    del.old_kind = 'K';
    b->values.push_back({value_kind::text, text(std::move(key))});
    b->events.push_back(del);
    return b;
  }
  std::shared_ptr<change_batch> watermark_message(char kind, std::uint32_t xid, lsn_t commit, std::string id = "") {
    auto b = std::make_shared<change_batch>();
    change_event m;
    m.op = change_op::message;
    m.xid = xid;
    m.txn_final_lsn = commit;
    m.new_begin = 0;
    m.new_count = 2;
    b->values.push_back({value_kind::text, text(watermark_prefix)});
    b->values.push_back({value_kind::text, text(std::string(1, kind) + ":" + (id.empty() ? task->watermark_id : id))});
    b->events.push_back(m);
    return b;
  }
  void stream(std::shared_ptr<change_batch> b) {
    caf::anon_send(merge, event_batch_msg{b, 0, 0, 0, SIZE_MAX, std::nullopt, false});
    sched.run();
  }
  // The chunk's rows (keys 1..3) as its snapshot saw them, with its in-progress xids.
  // The chunk's rows (`keys`), its snapshot: xmin 700, xmax 1000, `invisible` in progress.
  void chunk_rows(std::vector<std::uint64_t> invisible, std::vector<std::string> keys = {"1", "2", "3"},
                  std::string id = "") {
    auto b = std::make_shared<change_batch>();
    b->relations.push_back(rel);
    for (auto& key : keys) pg2sr::test::append_insert(*b, *rel, text(std::move(key)));
    caf::anon_send(merge, chunk_rows_msg{id.empty() ? task->watermark_id : id, b, true,
                                         pg2sr::codecs::pg_snapshot{700, 1000, std::move(invisible)}});
    sched.run();
  }
  std::vector<std::string> snapshot_keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, snapshot] : out.rows)
      if (snapshot) keys.push_back(key);
    return keys;
  }
};

// Every row forwarded downstream as text: "S " (snapshot row) or "C " (stream change), the
// op, then the values joined by '|' with '?' for an unchanged TOAST value.
caf::behavior row_recorder(caf::event_based_actor*, std::vector<std::string>* out) {
  return {
      [=](event_batch_msg& m) {
        for (std::size_t i = m.begin; i < std::min(m.end, m.batch->events.size()); ++i) {
          const auto& e = m.batch->events[i];
          if (e.relid == 0) continue;
          auto values = e.op == change_op::delete_row ? m.batch->old_tuple(e) : m.batch->new_tuple(e);
          std::string row = std::string(m.snapshot_rows ? "S " : "C ") + std::string(to_string(e.op)) + " ";
          for (std::size_t c = 0; c < values.size(); ++c)
            row += (c ? "|" : "") + (values[c].kind == value_kind::unchanged_toast ? std::string("?") : std::string(values[c].data));
          out->push_back(row);
        }
      },
      [](end_of_stream_msg&) {},
  };
}

// docs (id key, n, big): `big` stored out of line, so an update of `n` alone sends it as 'u'.
struct toast_fixture : pg2sr::test::deterministic_actors {
  std::vector<std::string> rows;
  std::shared_ptr<relation_schema> rel = pg2sr::test::test_relation(
      16400, "docs", {{"id", 20, -1, true, "", ""}, {"n", 23, -1, false, "", ""}, {"big", 25, -1, false, "", ""}});
  std::shared_ptr<chunk_task> task = std::make_shared<chunk_task>();
  caf::actor recorder = sys.spawn(row_recorder, &rows);
  watermark_actor merge = sys.spawn(watermark, caf::actor_cast<batcher_actor>(recorder), false);
  std::deque<std::string> texts;
  std::uint32_t next_xid = 900;
  lsn_t next_lsn = 0x100;

  toast_fixture() {
    task->ref = chunk_ref{rel->relid, 0};
    task->key_columns = {"id"};
    task->relation = rel;
    task->watermark_id = "run:16400:0";
    task->description = "id in [1, 10)";
    task->table_sql = "public.docs";
    caf::anon_send(merge, chunk_begin_msg{task});
    sched.run();
  }
  ~toast_fixture() {
    for (const caf::actor& a : {caf::actor_cast<caf::actor>(merge), recorder})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }
  // Values "a|b|?" ('?' = unchanged TOAST) appended to `b`; returns (begin, count).
  std::pair<std::uint32_t, std::uint32_t> values(change_batch& b, const std::string& row) {
    auto begin = static_cast<std::uint32_t>(b.values.size());
    std::size_t start = 0;
    for (;;) {
      auto bar = row.find('|', start);
      std::string v = row.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
      if (v == "?") b.values.push_back({value_kind::unchanged_toast, {}});
      else b.values.push_back({value_kind::text, texts.emplace_back(v)});
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    return {begin, static_cast<std::uint32_t>(b.values.size()) - begin};
  }
  // One transaction with one change: op "insert", "update" (old key "" = key unchanged,
  // else a key change with a 'K' old tuple) or "delete" (old holds the key).
  void change(change_op op, const std::string& new_row, const std::string& old_key = "") {
    auto b = std::make_shared<change_batch>();
    b->relations.push_back(rel);
    change_event e;
    e.op = op;
    e.relid = rel->relid;
    e.relation = rel.get();
    e.xid = next_xid++;
    e.txn_final_lsn = next_lsn += 0x100;
    if (!new_row.empty()) std::tie(e.new_begin, e.new_count) = values(*b, new_row);
    if (!old_key.empty()) {
      std::tie(e.old_begin, e.old_count) = values(*b, old_key + "||");
      b->values[e.old_begin + 1].kind = value_kind::null;
      b->values[e.old_begin + 2].kind = value_kind::null;
      e.old_kind = 'K';
    }
    b->events.push_back(e);
    caf::anon_send(merge, event_batch_msg{b, 0, 0, 0, SIZE_MAX, std::nullopt, false});
    sched.run();
  }
  void watermark_message(char kind) {
    auto b = std::make_shared<change_batch>();
    change_event m;
    m.op = change_op::message;
    m.xid = next_xid++;
    m.txn_final_lsn = next_lsn += 0x100;
    m.new_begin = 0;
    m.new_count = 2;
    b->values.push_back({value_kind::text, texts.emplace_back(watermark_prefix)});
    b->values.push_back({value_kind::text, texts.emplace_back(std::string(1, kind) + ":" + task->watermark_id)});
    b->events.push_back(m);
    caf::anon_send(merge, event_batch_msg{b, 0, 0, 0, SIZE_MAX, std::nullopt, false});
    sched.run();
  }
  // The chunk's rows; `seen` its snapshot (by default one that saw none of the window's xids).
  void chunk_rows(const std::vector<std::string>& snapshot, pg2sr::codecs::pg_snapshot seen = {800, 800, {}}) {
    auto b = std::make_shared<change_batch>();
    b->relations.push_back(rel);
    for (const auto& row : snapshot) {
      change_event ins;
      ins.op = change_op::insert;
      ins.relid = rel->relid;
      ins.relation = rel.get();
      std::tie(ins.new_begin, ins.new_count) = values(*b, row);
      b->events.push_back(ins);
    }
    caf::anon_send(merge, chunk_rows_msg{task->watermark_id, b, true, std::move(seen)});
    sched.run();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(watermark)

// Issue: a key updated in the window with its TOAST column unchanged had its chunk row
// dropped and only the partial update reached the target, which never had the row.
BOOST_FIXTURE_TEST_CASE(a_row_changed_in_the_window_with_unchanged_toast_arrives_whole_at_H, toast_fixture) {
  watermark_message('L');
  change(change_op::update, "2|20|?");  // n of row 2 changed, big not sent
  chunk_rows({"1|1|B1", "2|2|B2", "3|3|B3"});
  change(change_op::update, "2|21|?");
  watermark_message('H');
  BOOST_TEST(rows == (std::vector<std::string>{"C update 2|20|?", "C update 2|21|?", "S insert 1|1|B1",
                                               "S insert 3|3|B3", "S insert 2|21|B2"}),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_key_change_in_the_window_is_completed_from_the_chunk_row_of_either_key, toast_fixture) {
  watermark_message('L');
  chunk_rows({"1|1|B1", "2|2|B2"});  // read before the key change: the row is under key 2
  change(change_op::update, "5|2|?", "2");
  watermark_message('H');
  BOOST_TEST(rows == (std::vector<std::string>{"C update 5|2|?", "S insert 1|1|B1", "S insert 5|2|B2"}),
             boost::test_tools::per_element());
}

// Two rows swap keys in the window: row A (key 7) moves to 8, row B (key 6) moves to 7. The
// chunk's row under key 7 is A or B depending on whether its snapshot saw the changes: the
// missing value must come from the same row, never from the one that had its key.
BOOST_FIXTURE_TEST_CASE(a_moved_row_is_completed_from_its_own_chunk_row_not_from_the_one_that_had_its_key,
                        toast_fixture) {
  watermark_message('L');
  change(change_op::update, "8|1|?", "7");  // A, xid 901
  change(change_op::update, "7|2|?", "6");  // B, xid 902
  chunk_rows({"6|0|BEE", "7|0|AYE"});        // read before both
  watermark_message('H');
  BOOST_TEST(std::count(rows.begin(), rows.end(), "S insert 8|1|AYE") == 1);
  BOOST_TEST(std::count(rows.begin(), rows.end(), "S insert 7|2|BEE") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_moved_row_read_after_its_move_is_completed_from_its_new_key, toast_fixture) {
  watermark_message('L');
  change(change_op::update, "8|1|?", "7");
  change(change_op::update, "7|2|?", "6");
  chunk_rows({"7|2|BEE", "8|1|AYE"}, {2000, 2000, {}});  // read after both
  watermark_message('H');
  BOOST_TEST(std::count(rows.begin(), rows.end(), "S insert 8|1|AYE") == 1);
  BOOST_TEST(std::count(rows.begin(), rows.end(), "S insert 7|2|BEE") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_whole_change_or_a_delete_after_a_partial_one_needs_no_completion, toast_fixture) {
  watermark_message('L');
  change(change_op::update, "1|10|?");
  change(change_op::update, "1|11|N1");  // big set: the stream has the whole row
  change(change_op::update, "2|20|?");
  change(change_op::delete_row, "", "2");
  change(change_op::update, "3|30|?");
  change(change_op::update, "3|31|N3");
  change(change_op::update, "3|32|?");  // completes the whole row the stream sent before
  chunk_rows({"1|1|B1", "2|2|B2", "3|3|B3"});
  watermark_message('H');
  // Every key is dirty, and the stream carries what the target needs: no chunk value (B*)
  // may come back on top of it.
  BOOST_TEST(std::none_of(rows.begin(), rows.end(), [](const std::string& r) { return r.starts_with("S "); }));
  BOOST_TEST(rows.back() == "C update 3|32|?");
}


BOOST_FIXTURE_TEST_CASE(rows_changed_inside_the_window_are_left_to_the_stream, watermark_fixture) {
  stream(watermark_message('L', 900, 0x100));
  stream(delete_in_txn(901, 0x200, "2"));  // after L: the snapshot may or may not have seen it
  chunk_rows({901});
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys() == (std::vector<std::string>{"1", "3"}), boost::test_tools::per_element());
  BOOST_TEST(out.released.empty());  // nothing to read again
}

// A resync's chunk of target keys found keys 2 and 4 missing in its snapshot; inside its
// window, a newer chunk of the table (a partition attached meanwhile) loaded key 2. Its
// deletes come after that load: key 2 must not be among them.
BOOST_FIXTURE_TEST_CASE(rows_loaded_inside_a_deletes_window_are_not_deleted_at_its_end, watermark_fixture) {
  auto deletes = std::make_shared<chunk_task>(*task);
  deletes->ref = chunk_ref{16384, 1};
  deletes->watermark_id = "run:16384:1";
  deletes->deletes = true;
  deletes->target_keys = true;
  caf::anon_send(merge, chunk_begin_msg{deletes});
  sched.run();
  stream(watermark_message('L', 900, 0x100, deletes->watermark_id));
  chunk_rows({}, {"2", "4"}, deletes->watermark_id);
  stream(watermark_message('L', 901, 0x200));  // the loading chunk: begun by the fixture
  chunk_rows({}, {"1", "2", "3"});
  stream(watermark_message('H', 902, 0x300));
  stream(watermark_message('H', 903, 0x400, deletes->watermark_id));
  BOOST_TEST(snapshot_keys() == (std::vector<std::string>{"1", "2", "3"}), boost::test_tools::per_element());
  std::vector<std::string> deleted;
  for (const auto& [key, snapshot] : out.rows)
    if (key.starts_with("-")) deleted.push_back(key);
  BOOST_TEST(deleted == (std::vector<std::string>{"-4"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(transaction_committed_before_L_but_invisible_sends_the_chunk_back, watermark_fixture) {
  // xid 800 deleted key 2 and its commit record precedes L, but the chunk's snapshot (taken
  // after L) still listed it in progress: its COPY row for key 2 is stale.
  stream(delete_in_txn(800, 0x80, "2"));
  stream(watermark_message('L', 900, 0x100));
  chunk_rows({800});
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys().empty());  // nothing of the stale chunk reached the target
  BOOST_REQUIRE_EQUAL(out.released.size(), 1u);
  BOOST_TEST(out.released[0].reread == task);
}

// The xip list names only xids below xmax: a transaction that took its xid after the
// snapshot's xmax was fixed is invisible to it too, though no list names it.
BOOST_FIXTURE_TEST_CASE(transaction_at_or_past_the_snapshot_xmax_committed_before_L_sends_the_chunk_back,
                        watermark_fixture) {
  stream(delete_in_txn(1200, 0x80, "2"));
  stream(watermark_message('L', 900, 0x100));
  chunk_rows({});
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys().empty());
  BOOST_REQUIRE_EQUAL(out.released.size(), 1u);
}

// However many transactions commit while a window is open (a COPY waiting on a lock), the
// one that matters is not forgotten.
BOOST_FIXTURE_TEST_CASE(a_window_remembers_every_commit_it_may_need, watermark_fixture) {
  stream(delete_in_txn(800, 0x80, "2"));
  auto others = std::make_shared<change_batch>();
  others->relations.push_back(rel);
  for (std::uint32_t i = 0; i < 70'000; ++i) {
    change_event del;
    del.op = change_op::delete_row;
    del.relid = rel->relid;
    del.relation = rel.get();
    del.xid = 100 + i % 2;  // older than the snapshot's xmin: visible to it
    del.txn_final_lsn = 0x90 + i;
    del.old_begin = 0;
    del.old_count = 1;
    del.old_kind = 'K';
    others->events.push_back(del);
  }
  others->values.push_back({value_kind::text, text("99")});
  stream(others);
  stream(watermark_message('L', 900, 0x100000));
  chunk_rows({800});
  stream(watermark_message('H', 902, 0x100100));
  BOOST_TEST(snapshot_keys().empty());
  BOOST_REQUIRE_EQUAL(out.released.size(), 1u);
}

// A keyless table's chunk reads only rows older than the slot: a row the stream inserts is
// another row, even when identical to rows of the chunk, which must all stay.
BOOST_FIXTURE_TEST_CASE(an_insert_identical_to_keyless_chunk_rows_drops_none_of_them, watermark_fixture) {
  task->rows_predate_stream = true;
  stream(watermark_message('L', 900, 0x100));
  auto ins = std::make_shared<change_batch>();
  ins->relations.push_back(rel);
  pg2sr::test::append_insert(*ins, *rel, text("2"));
  ins->events.back().xid = 901;
  ins->events.back().txn_final_lsn = 0x200;
  stream(ins);
  chunk_rows({});
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys() == (std::vector<std::string>{"1", "2", "3"}), boost::test_tools::per_element());
}

// Keyless: a delete (or an update's old tuple) removes one row, whichever identical copy.
// The chunk read it only if its snapshot did not see the removal: then one copy goes.
BOOST_FIXTURE_TEST_CASE(a_keyless_removal_drops_one_identical_chunk_row_and_only_if_the_chunk_read_it,
                        watermark_fixture) {
  task->rows_predate_stream = true;
  stream(watermark_message('L', 900, 0x100));
  stream(delete_in_txn(901, 0x200, "2"));
  chunk_rows({901}, {"2", "2", "3"});  // read before the delete: both copies
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys() == (std::vector<std::string>{"2", "3"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_keyless_removal_the_chunk_saw_drops_nothing, watermark_fixture) {
  task->rows_predate_stream = true;
  stream(watermark_message('L', 900, 0x100));
  stream(delete_in_txn(901, 0x200, "2"));
  chunk_rows({}, {"2", "3"});  // read after the delete: one copy left
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys() == (std::vector<std::string>{"2", "3"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(transaction_visible_to_the_snapshot_before_L_is_fine, watermark_fixture) {
  stream(delete_in_txn(800, 0x80, "2"));
  stream(watermark_message('L', 900, 0x100));
  chunk_rows({});  // xid 800 was visible to the chunk's snapshot: its rows are current
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys().size() == 3u);
  BOOST_TEST(out.released.empty());
}

BOOST_AUTO_TEST_SUITE_END()
