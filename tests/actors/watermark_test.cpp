// The watermark actor under CAF's deterministic scheduler: a chunk's rows are released at
// its high watermark minus the keys changed inside the window, and a chunk whose snapshot
// could not see a transaction that committed before its low watermark is sent back to be
// read again instead of overwriting that transaction's change with a stale row.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "tests/support/change_events.hpp"
#include "tests/support/deterministic_actors.hpp"

#include "actors/watermark.hpp"

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
  std::shared_ptr<change_batch> watermark_message(char kind, std::uint32_t xid, lsn_t commit) {
    auto b = std::make_shared<change_batch>();
    change_event m;
    m.op = change_op::message;
    m.xid = xid;
    m.txn_final_lsn = commit;
    m.new_begin = 0;
    m.new_count = 2;
    b->values.push_back({value_kind::text, text(watermark_prefix)});
    b->values.push_back({value_kind::text, text(std::string(1, kind) + ":" + task->watermark_id)});
    b->events.push_back(m);
    return b;
  }
  void stream(std::shared_ptr<change_batch> b) {
    caf::anon_send(merge, event_batch_msg{b, 0, 0, 0, SIZE_MAX, std::nullopt, false});
    sched.run();
  }
  // The chunk's rows (keys 1..3) as its snapshot saw them, with its in-progress xids.
  void chunk_rows(std::vector<std::uint32_t> invisible) {
    auto b = std::make_shared<change_batch>();
    b->relations.push_back(rel);
    for (const char* key : {"1", "2", "3"}) {
      pg2sr::test::append_insert(*b, *rel, text(key));
    }
    caf::anon_send(merge, chunk_rows_msg{task->watermark_id, b, true, std::move(invisible)});
    sched.run();
  }
  std::vector<std::string> snapshot_keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, snapshot] : out.rows)
      if (snapshot) keys.push_back(key);
    return keys;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(watermark)

BOOST_FIXTURE_TEST_CASE(rows_changed_inside_the_window_are_left_to_the_stream, watermark_fixture) {
  stream(watermark_message('L', 900, 0x100));
  stream(delete_in_txn(901, 0x200, "2"));  // after L: the snapshot may or may not have seen it
  chunk_rows({901});
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys() == (std::vector<std::string>{"1", "3"}), boost::test_tools::per_element());
  BOOST_TEST(out.released.empty());  // nothing to read again
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

BOOST_FIXTURE_TEST_CASE(transaction_visible_to_the_snapshot_before_L_is_fine, watermark_fixture) {
  stream(delete_in_txn(800, 0x80, "2"));
  stream(watermark_message('L', 900, 0x100));
  chunk_rows({});  // xid 800 was visible to the chunk's snapshot: its rows are current
  stream(watermark_message('H', 902, 0x300));
  BOOST_TEST(snapshot_keys().size() == 3u);
  BOOST_TEST(out.released.empty());
}

BOOST_AUTO_TEST_SUITE_END()
