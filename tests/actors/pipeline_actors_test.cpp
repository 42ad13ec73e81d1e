// Batcher + checkpoint actors under CAF's deterministic `testing` scheduler: loaders that
// acknowledge out of order, fail or stall, and the durable LSN that must never pass a
// transaction the target does not hold. No sleeps: the test runs the scheduler by hand.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "tests/support/change_events.hpp"
#include "tests/support/deterministic_actors.hpp"

#include <filesystem>
#include <map>

#include "actors/core/batcher.hpp"
#include "actors/core/checkpoint.hpp"

using namespace pg2sr::actors;
using namespace pg2sr::codecs::pgoutput;

namespace {

// What the scripted loaders saw and the replies the test releases when it chooses.
struct loader_script {
  struct call {
    load_batch_ptr batch;
    caf::typed_response_promise<load_ack> promise;
    caf::actor loader;
  };
  std::vector<call> calls;
  std::map<std::uint32_t, int> outstanding_per_table;
  int max_outstanding_per_table = 0;
};

// The test tells a loader to answer call i with success or with an error; promises are
// delivered from inside the loader, as CAF requires.
}  // namespace
struct release_msg {
  std::size_t call = 0;
  bool fail = false;
};
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(release_msg)
namespace {

// Untyped (it also takes release_msg), used through a loader_actor handle.
caf::behavior scripted_loader(caf::event_based_actor* self, loader_script* script) {
  return {
      [=](load_request& req) -> caf::typed_response_promise<load_ack> {
        auto promise = self->make_response_promise<load_ack>();
        int now = ++script->outstanding_per_table[req.batch->relid];
        script->max_outstanding_per_table = std::max(script->max_outstanding_per_table, now);
        script->calls.push_back({req.batch, promise, caf::actor_cast<caf::actor>(self)});
        return promise;
      },
      [=](release_msg& r) {
        auto& c = script->calls.at(r.call);
        --script->outstanding_per_table[c.batch->relid];
        if (r.fail) c.promise.deliver(make_pipeline_error(pipeline_errc::load_failed, "target refused the rows"));
        else c.promise.deliver(load_ack{c.batch->id, c.batch->relid, c.batch->rows.size()});
      },
  };
}

struct pipeline_fixture : pg2sr::test::deterministic_actors {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "pg2sr_pipeline_actors_test";
  pipeline_metrics metrics;
  loader_script script;
  std::vector<std::shared_ptr<relation_schema>> relations;
  batcher_actor batcher_handle;
  checkpoint_actor checkpoint_handle;

  pipeline_fixture() {
    std::filesystem::remove_all(dir);
    for (std::uint32_t relid : {16384u, 16385u})
      relations.push_back(pg2sr::test::test_relation(relid, "t" + std::to_string(relid), {{"id", 20, -1, true, "", ""}}));
    std::vector<loader_actor> loaders{caf::actor_cast<loader_actor>(sys.spawn(scripted_loader, &script)),
                                      caf::actor_cast<loader_actor>(sys.spawn(scripted_loader, &script))};
    checkpoint_handle = sys.spawn(checkpoint, std::make_shared<checkpoint_store>(dir), checkpoint_state{},
                                  caf::actor{}, &metrics, std::chrono::milliseconds(1000));
    batcher_settings s;
    s.max_rows = 1;  // every row is its own load: the order of acks is all the test's
    batcher_handle = sys.spawn(batcher, s, loaders, checkpoint_handle, &metrics);
    sched.run();
  }
  ~pipeline_fixture() {
    caf::anon_send_exit(batcher_handle, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(checkpoint_handle, caf::exit_reason::user_shutdown);
    for (auto& c : script.calls) caf::anon_send_exit(c.loader, caf::exit_reason::user_shutdown);
    sched.run();
    std::filesystem::remove_all(dir);
  }

  // Three transactions: t16384 k1 (end 0x100), t16385 k1 (0x200), t16384 k2 (0x300).
  void send_three_transactions() {
    static const std::string keys = "12";
    auto b = std::make_shared<change_batch>();
    for (auto r : relations) b->relations.push_back(r);
    auto txn = [&](const relation_schema& rel, std::string_view key, lsn_t end) {
      change_event begin;
      begin.op = change_op::begin;
      b->events.push_back(begin);
      pg2sr::test::append_insert(*b, rel, key);
      pg2sr::test::append_commit(*b, end);
    };
    txn(*relations[0], std::string_view(keys).substr(0, 1), 0x100);
    txn(*relations[1], std::string_view(keys).substr(0, 1), 0x200);
    txn(*relations[0], std::string_view(keys).substr(1, 1), 0x300);
    caf::anon_send(batcher_handle, event_batch_msg{b, 1, 1000});
    sched.run();
  }

  void release(std::size_t call, bool fail) {
    caf::anon_send(script.calls.at(call).loader, release_msg{call, fail});
    sched.run();
  }
  void ack(std::size_t call) { release(call, false); }

  // The durable LSN once the checkpoint has written what it has (every 1000 ms).
  std::uint64_t durable() {
    sched.advance_time(std::chrono::milliseconds(1000));
    sched.run();
    return metrics.durable_lsn.load();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline_actors)

BOOST_FIXTURE_TEST_CASE(one_load_per_table_in_flight_and_tables_in_parallel, pipeline_fixture) {
  send_three_transactions();
  // t16384's first row and t16385's row are loading; t16384's second row waits its turn.
  BOOST_REQUIRE_EQUAL(script.calls.size(), 2u);
  BOOST_TEST(script.calls[0].batch->relid != script.calls[1].batch->relid);
  BOOST_TEST(script.max_outstanding_per_table == 1);
}

namespace {

// Inserts of `keys` (one character each) into `rel`, then a commit at `commit` if not 0.
std::shared_ptr<change_batch> inserts(const std::shared_ptr<relation_schema>& rel, std::string_view keys,
                                      lsn_t commit = 0) {
  auto rows = std::make_shared<change_batch>();
  rows->relations.push_back(rel);
  for (std::size_t i = 0; i < keys.size(); ++i) pg2sr::test::append_insert(*rows, *rel, keys.substr(i, 1));
  if (commit != 0) pg2sr::test::append_commit(*rows, commit);
  return rows;
}

// A second batcher with its own settings and loaders, stopped at the end of the test (also
// when a check fails: the actor system waits for every actor).
struct own_batcher {
  std::vector<caf::actor> actors;
  batcher_actor handle;
  own_batcher(pipeline_fixture& f, const batcher_settings& s, std::size_t loaders) {
    std::vector<loader_actor> ls;
    for (std::size_t i = 0; i < loaders; ++i) {
      actors.push_back(f.sys.spawn(scripted_loader, &f.script));
      ls.push_back(caf::actor_cast<loader_actor>(actors.back()));
    }
    handle = f.sys.spawn(batcher, s, ls, f.checkpoint_handle, &f.metrics);
    actors.push_back(caf::actor_cast<caf::actor>(handle));
    f.sched.run();
  }
  ~own_batcher() {
    for (auto& a : actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

const std::string digits = "123456789";

}  // namespace

// The chunker reads more only once its chunks are durable: a completed chunk's rows go to
// the loader at once, not at max_rows or flush_interval (which would stall the snapshot
// whenever the chunks in flight hold fewer rows than a batch).
BOOST_FIXTURE_TEST_CASE(a_completed_snapshot_chunk_is_loaded_without_waiting_for_a_full_batch, pipeline_fixture) {
  batcher_settings s;
  s.max_rows = 1000;
  s.flush_interval = std::chrono::hours(1);
  own_batcher b(*this, s, 1);
  auto rows = inserts(relations[0], std::string_view(digits).substr(0, 4));
  event_batch_msg first{rows, 1, 100, 0, 2};
  first.snapshot_rows = true;
  caf::anon_send(b.handle, first);
  sched.run();
  BOOST_TEST(script.calls.empty());  // the chunk is not complete: its rows wait for more
  event_batch_msg last{rows, 3, 100, 2, 4};
  last.snapshot_rows = true;
  last.completes = chunk_ref{relations[0]->relid, 0};
  caf::anon_send(b.handle, last);
  sched.run();
  BOOST_REQUIRE_EQUAL(script.calls.size(), 1u);
  BOOST_TEST(script.calls[0].batch->rows.size() == 4u);
}

// Batches of snapshot rows alone hold disjoint keys: they load side by side (up to
// snapshot_loads_per_table), and the table's next stream batch waits for all of them.
BOOST_FIXTURE_TEST_CASE(snapshot_batches_load_side_by_side_and_the_stream_waits_for_them, pipeline_fixture) {
  batcher_settings s;
  s.max_rows = 1;  // a batch is cut whenever none is waiting: [1], [2, 3]
  s.snapshot_loads_per_table = 2;
  own_batcher b(*this, s, 3);
  event_batch_msg chunk{inserts(relations[0], std::string_view(digits).substr(0, 3)), 1, 100};
  chunk.snapshot_rows = true;
  chunk.completes = chunk_ref{relations[0]->relid, 0};
  caf::anon_send(b.handle, chunk);
  sched.run();
  BOOST_REQUIRE_EQUAL(script.calls.size(), 2u);
  BOOST_TEST(script.max_outstanding_per_table == 2);
  BOOST_TEST(script.calls[0].batch->snapshot_rows_only);
  BOOST_TEST(script.calls[1].batch->snapshot_rows_only);
  caf::anon_send(b.handle, event_batch_msg{inserts(relations[0], std::string_view(digits).substr(3, 1), 0x500), 4, 100});
  sched.run();
  ack(0);
  BOOST_TEST(script.calls.size() == 2u);  // the stream batch waits for the snapshot batch still loading
  ack(1);
  BOOST_REQUIRE_EQUAL(script.calls.size(), 3u);
  BOOST_TEST(!script.calls[2].batch->snapshot_rows_only);
  BOOST_TEST(script.max_outstanding_per_table == 2);
}

BOOST_FIXTURE_TEST_CASE(out_of_order_ack_does_not_pass_an_unapplied_transaction, pipeline_fixture) {
  send_three_transactions();
  std::size_t t1 = script.calls[0].batch->relid == 16384 ? 0 : 1;
  std::size_t t2 = 1 - t1;
  ack(t2);  // the second transaction is in the target, the first is not
  BOOST_TEST(durable() == 0u);
  ack(t1);  // now the first two are; the third was just sent
  BOOST_TEST(durable() == 0x200u);
  BOOST_REQUIRE_EQUAL(script.calls.size(), 3u);
  BOOST_TEST(script.calls[2].batch->relid == 16384u);
  BOOST_TEST(script.max_outstanding_per_table == 1);  // t16384's loads never overlapped
  ack(2);
  BOOST_TEST(durable() == 0x300u);
}

BOOST_FIXTURE_TEST_CASE(stalled_loader_holds_the_durable_lsn, pipeline_fixture) {
  send_three_transactions();
  std::size_t t2 = script.calls[0].batch->relid == 16385 ? 0 : 1;
  ack(t2);
  sched.advance_time(std::chrono::seconds(10));  // timers fire; nothing else happens
  sched.run();
  BOOST_TEST(durable() == 0u);
}

BOOST_FIXTURE_TEST_CASE(failed_load_stops_the_pipeline_without_acknowledging_it, pipeline_fixture) {
  send_three_transactions();
  std::size_t t1 = script.calls[0].batch->relid == 16384 ? 0 : 1;
  std::size_t t2 = 1 - t1;
  caf::error reason;
  auto watcher = sys.spawn([&](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(batcher_handle);
    self->set_down_handler([&](caf::down_msg& d) { reason = d.reason; });
    return {[](int) {}};  // an actor without behavior would end at once
  });
  sched.run();
  release(t1, true);
  BOOST_TEST(describe(reason).find("target refused the rows") != std::string::npos, describe(reason));
  ack(t2);
  BOOST_TEST(durable() == 0u);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(durable_lsn_is_persisted_at_end_of_stream, pipeline_fixture) {
  send_three_transactions();
  ack(0);
  ack(1);
  ack(2);
  caf::anon_send(batcher_handle, end_of_stream_msg{});
  sched.run();
  auto state = checkpoint_store(dir).load();
  BOOST_REQUIRE(state.has_value());
  BOOST_TEST(state->durable_lsn == 0x300u);
}

BOOST_AUTO_TEST_SUITE_END()
