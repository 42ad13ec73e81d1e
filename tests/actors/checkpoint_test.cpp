// The checkpoint actor's exactly-once rule for 2PC loads, under CAF's deterministic
// scheduler: a prepared load is written into the checkpoint only once its rows are below
// the durable LSN and its chunks were handed over whole, committed only after that write,
// and forgotten once committed; the durable LSN and the chunks done never pass a load not
// written; the source hears of a durable LSN only once it is on disk.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <filesystem>

#include "actors/core/checkpoint.hpp"
#include "tests/support/deterministic_actors.hpp"

using namespace pg2sr::actors;

namespace {

// What the stand-ins for the source and the committer were sent.
struct seen {
  std::vector<std::uint64_t> durable;
  std::vector<std::vector<prepared_load>> commits;
  std::vector<caf::typed_response_promise<prepared_committed_msg>> pending;
};

}  // namespace
struct answer_commits_msg {};
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(answer_commits_msg)
namespace {

caf::behavior fake_source(caf::event_based_actor*, seen* out) {
  return {[=](durable_msg& m) { out->durable.push_back(m.lsn); }};
}

caf::behavior fake_committer(caf::event_based_actor* self, seen* out) {
  return {
      [=](commit_prepared_msg& m) -> caf::typed_response_promise<prepared_committed_msg> {
        out->commits.push_back(m.loads);
        out->pending.push_back(self->make_response_promise<prepared_committed_msg>());
        return out->pending.back();
      },
      [=](answer_commits_msg) {
        for (std::size_t i = 0; i < out->pending.size(); ++i) out->pending[i].deliver(prepared_committed_msg{out->commits[i]});
        out->pending.clear();
      },
  };
}

struct checkpoint_fixture : pg2sr::test::deterministic_actors {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "pg2sr_checkpoint_test";
  std::shared_ptr<checkpoint_store> store;
  pipeline_metrics metrics;
  seen out;
  caf::actor source_stand_in = sys.spawn(fake_source, &out);
  caf::actor committer_stand_in = sys.spawn(fake_committer, &out);
  checkpoint_actor ckpt;
  prepared_load load{"db", "events", "label-1", 0x300, 16384, 20, 15};

  checkpoint_fixture() {
    std::filesystem::remove_all(dir);
    store = std::make_shared<checkpoint_store>(dir);
    ckpt = sys.spawn(checkpoint, store, checkpoint_state{}, caf::actor{}, &metrics, std::chrono::milliseconds(200));
    caf::anon_send(ckpt, link_source_msg{caf::actor_cast<source_actor>(source_stand_in)});
    caf::anon_send(ckpt, link_committer_msg{caf::actor_cast<committer_actor>(committer_stand_in)});
    sched.run();
  }
  ~checkpoint_fixture() {
    for (const caf::actor& a : {caf::actor_cast<caf::actor>(ckpt), source_stand_in, committer_stand_in})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
    std::filesystem::remove_all(dir);
  }
  // Commits (end LSNs) at stream positions 10 and 30; the frontier passed both or one.
  void progress(std::uint64_t frontier, std::vector<ack_mark> marks, std::vector<prepared_load> prepared = {},
                std::vector<chunk_mark> chunks = {}) {
    caf::anon_send(ckpt, progress_msg{std::move(marks), std::move(chunks), frontier, std::move(prepared)});
    sched.run();
  }
  void tick() {
    sched.advance_time(std::chrono::milliseconds(200));
    sched.run();
  }
  std::vector<prepared_load> on_disk() const { return store->load().value_or(checkpoint_state{}).prepared; }
  std::uint64_t durable_on_disk() const { return store->load().value_or(checkpoint_state{}).durable_lsn; }
  bool chunk_done_on_disk(std::uint32_t index) const {
    auto state = store->load().value_or(checkpoint_state{});
    auto* table = state.snapshot.find(16384);
    return table && table->chunks.at(index).done;
  }
};

// A checkpoint that has planned table 16384 in two chunks.
struct planned_checkpoint_fixture : checkpoint_fixture {
  planned_checkpoint_fixture() {
    snapshot_table_state table;
    table.relid = 16384;
    table.schema = "public";
    table.name = "events";
    for (std::uint32_t i = 0; i < 2; ++i) table.chunks.push_back({i, "(TRUE)", "chunk", 10, false});
    caf::anon_send(ckpt, replan_table_msg{table});
    sched.run();
  }
  prepared_load snapshot_load(std::string label, std::uint64_t first, std::uint64_t last, std::uint32_t chunk) {
    return {"db", "events", std::move(label), 0, 16384, last, first, {chunk_ref{16384, chunk}}};
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint)

BOOST_FIXTURE_TEST_CASE(prepared_load_is_recorded_once_below_the_durable_lsn_then_committed, checkpoint_fixture) {
  // The load's rows end at commit 0x300, but only the transaction ending at 0x100 is durable.
  progress(25, {{10, 0x100}, {30, 0x300}}, {load});
  tick();
  BOOST_TEST(on_disk().empty());          // committing now could double rows a replay sends again
  BOOST_TEST(out.commits.empty());
  BOOST_TEST(out.durable == std::vector<std::uint64_t>{0x100}, boost::test_tools::per_element());
  progress(31, {});                        // now 0x300 is durable
  BOOST_TEST(out.commits.empty());         // nothing is committed before the record is on disk
  tick();
  BOOST_REQUIRE_EQUAL(on_disk().size(), 1u);
  BOOST_TEST(on_disk()[0].label == "label-1");
  BOOST_REQUIRE_EQUAL(out.commits.size(), 1u);
  BOOST_TEST(out.commits[0][0].label == "label-1");
  caf::anon_send(committer_stand_in, answer_commits_msg{});
  sched.run();
  tick();
  BOOST_TEST(on_disk().empty());           // committed: a restart has nothing to commit
}

BOOST_FIXTURE_TEST_CASE(a_chunk_split_over_two_loads_is_recorded_with_both_and_done_only_then, planned_checkpoint_fixture) {
  // Chunk 0's rows are positions 10..19: the first load holds 10..14, the second 15..19.
  progress(15, {{5, 0x100}}, {snapshot_load("part-1", 10, 14, 0)});
  tick();
  BOOST_TEST(on_disk().empty());  // committed alone, a restart would read chunk 0 again: rows twice
  BOOST_TEST(!chunk_done_on_disk(0));
  progress(25, {{22, 0x200}}, {snapshot_load("part-2", 15, 19, 0)}, {{20, chunk_ref{16384, 0}}});
  tick();
  BOOST_REQUIRE_EQUAL(on_disk().size(), 2u);  // both in the same write as the chunk's "done"
  BOOST_TEST(chunk_done_on_disk(0));
  BOOST_TEST(durable_on_disk() == 0x200u);
}

BOOST_FIXTURE_TEST_CASE(durable_lsn_and_chunks_stop_before_a_load_not_recorded, planned_checkpoint_fixture) {
  // A load of chunk 1's first rows (12..14) and of a streamed transaction (15..16, ends at 17).
  prepared_load mixed{"db", "events", "mixed", 0x200, 16384, 16, 12, {chunk_ref{16384, 1}}};
  // Chunk 0 (before it) is whole; the transaction at 17 and a later one at 30 ended too.
  progress(31, {{5, 0x100}, {17, 0x200}, {30, 0x300}}, {mixed}, {{11, chunk_ref{16384, 0}}});
  tick();
  BOOST_TEST(on_disk().empty());              // chunk 1 is not whole yet
  BOOST_TEST(chunk_done_on_disk(0));          // before the load: done
  BOOST_TEST(durable_on_disk() == 0x100u);    // a restart streams 0x200 again: the load is rolled back
  BOOST_TEST(out.durable == std::vector<std::uint64_t>{0x100}, boost::test_tools::per_element());
  progress(31, {}, {}, {{20, chunk_ref{16384, 1}}});
  tick();
  BOOST_REQUIRE_EQUAL(on_disk().size(), 1u);
  BOOST_TEST(chunk_done_on_disk(1));
  BOOST_TEST(durable_on_disk() == 0x300u);
}

BOOST_FIXTURE_TEST_CASE(durable_lsn_reaches_the_source_only_once_written, checkpoint_fixture) {
  progress(11, {{10, 0x100}});
  BOOST_TEST(out.durable.empty());
  BOOST_TEST(!store->load().has_value());
  tick();
  BOOST_TEST(store->load()->durable_lsn == 0x100u);
  BOOST_TEST(out.durable == std::vector<std::uint64_t>{0x100}, boost::test_tools::per_element());
}

// The source sends PostgreSQL `flush` = the larger of what it was told and
// metrics.durable_lsn (also at shutdown, when a last durable_msg may not reach it): so
// that value too must never pass what the checkpoint on disk holds. Else the slot confirms
// transactions, or 2PC loads the next start rolls back as unrecorded, that a crash before
// the write leaves nowhere: their rows are never sent again.
BOOST_FIXTURE_TEST_CASE(the_flush_the_source_may_send_never_passes_the_checkpoint_on_disk, checkpoint_fixture) {
  progress(11, {{10, 0x100}});
  BOOST_TEST(metrics.durable_lsn.load() <= durable_on_disk());
  tick();
  BOOST_TEST(metrics.durable_lsn.load() == 0x100u);
  // A 2PC load recorded in memory, not yet on disk.
  progress(31, {{30, 0x300}}, {load});
  BOOST_TEST(on_disk().empty());
  BOOST_TEST(metrics.durable_lsn.load() <= durable_on_disk());
  tick();
  BOOST_REQUIRE_EQUAL(on_disk().size(), 1u);
  BOOST_TEST(metrics.durable_lsn.load() == 0x300u);
}

// A partitioned table's changed partitions: their chunks join its plan (or make one), with
// what they read and whether they delete, and the leaves with them, in one write.
BOOST_FIXTURE_TEST_CASE(partition_chunks_and_leaves_are_written_together, planned_checkpoint_fixture) {
  partition_jobs_msg jobs;
  jobs.table.relid = 16384;
  jobs.table.chunks.push_back({2, "(tableoid = 7::oid AND TRUE)", "of partition p7", 5, false});
  snapshot_chunk_state gone{3, "(TRUE AND NOT EXISTS (...))", "of partition p8 (detached)", 4, false};
  gone.source_relid = 8;
  gone.deletes = true;
  jobs.table.chunks.push_back(gone);
  jobs.leaves = {6, 7};
  caf::anon_send(ckpt, jobs);
  partition_jobs_msg other;  // a root without a plan: its leaves alone are kept
  other.table.relid = 20000;
  other.leaves = {20001};
  caf::anon_send(ckpt, other);
  sched.run();
  tick();
  auto state = store->load().value_or(checkpoint_state{});
  auto* table = state.snapshot.find(16384);
  BOOST_TEST_REQUIRE(table != nullptr);
  BOOST_TEST_REQUIRE(table->chunks.size() == 4u);
  BOOST_TEST(table->chunks[2].source_relid == 0u);
  BOOST_TEST(!table->chunks[2].deletes);
  BOOST_TEST(table->chunks[3].source_relid == 8u);
  BOOST_TEST(table->chunks[3].deletes);
  BOOST_TEST(state.snapshot.find(20000) == nullptr);
  BOOST_TEST((state.snapshot.partition_leaves[16384] == std::vector<std::uint32_t>{6, 7}));
  BOOST_TEST((state.snapshot.partition_leaves[20000] == std::vector<std::uint32_t>{20001}));
}

BOOST_AUTO_TEST_SUITE_END()
