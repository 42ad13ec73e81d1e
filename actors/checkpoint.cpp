// Checkpoint actor: durable LSN from progress, persisted atomically, told to the source.
#include "actors/checkpoint.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pg2sr::actors {

using self_ptr = checkpoint_actor::stateful_pointer<checkpoint_actor_state>;

namespace {

void commit_recorded(self_ptr self);

// Writes the durable state if it changed, then tells the source the durable LSN and has
// recorded 2PC loads committed; false (after quitting) when the disk refuses.
bool persist(self_ptr self) {
  auto& st = self->state;
  if (st.dirty) {
    try {
      st.persisted.durable_lsn = st.tracker.durable_lsn();
      st.store->save(st.persisted);
      st.dirty = false;
    } catch (const std::exception& e) {
      self->quit(make_pipeline_error(pipeline_errc::checkpoint_failed, e.what()));
      return false;
    }
  }
  if (st.source && st.persisted.durable_lsn != st.durable_told) {
    st.durable_told = st.persisted.durable_lsn;
    self->send(st.source, durable_msg{st.durable_told});
  }
  commit_recorded(self);
  return true;
}

// The pipeline is done once the stream ended and no recorded 2PC load waits for its commit.
void finish_if_ended(self_ptr self) {
  auto& st = self->state;
  if (st.ending && st.persisted.prepared.empty() && !st.committing && !st.dirty)
    caf::anon_send(st.engine, pipeline_done_msg{st.tracker.durable_lsn()});
}

void commit_recorded(self_ptr self) {
  auto& st = self->state;
  if (st.committing || !st.committer || st.persisted.prepared.empty()) return;
  st.committing = true;
  self->request(st.committer, caf::infinite, commit_prepared_msg{st.persisted.prepared})
      .then(
          [=](prepared_committed_msg& done) {
            auto& st = self->state;
            st.committing = false;
            std::erase_if(st.persisted.prepared, [&](const prepared_load& p) {
              return std::find(done.loads.begin(), done.loads.end(), p) != done.loads.end();
            });
            st.dirty = true;
            if (st.ending && persist(self)) finish_if_ended(self);
          },
          [=](caf::error& err) { self->quit(err); });
}

// A prepared load is recorded once every row of it is below the durable LSN (a replay
// would not send them again) and every handed-over chunk of its table is durable (a
// restart would not read them again): then committing it can never double a row.
void record_prepared(self_ptr self, std::uint64_t frontier) {
  auto& st = self->state;
  auto recordable = [&](const prepared_load& p) {
    if (p.commit_lsn > st.tracker.durable_lsn() || p.last_position >= frontier) return false;
    return std::none_of(st.chunk_marks.begin(), st.chunk_marks.end(),
                        [&](const chunk_mark& m) { return m.chunk.relid == p.relid; });
  };
  auto split = std::stable_partition(st.awaiting.begin(), st.awaiting.end(), [&](const auto& p) { return !recordable(p); });
  if (split == st.awaiting.end()) return;
  st.persisted.prepared.insert(st.persisted.prepared.end(), split, st.awaiting.end());
  st.awaiting.erase(split, st.awaiting.end());
  st.dirty = true;
}

void mark_chunk_done(self_ptr self, const chunk_ref& ref) {
  auto& st = self->state;
  auto* table = st.persisted.snapshot.find(ref.relid);
  if (!table || ref.index >= table->chunks.size() || table->chunks[ref.index].done) return;
  table->chunks[ref.index].done = true;
  st.dirty = true;
  st.metrics->snapshot_chunks_done.fetch_add(1, std::memory_order_relaxed);
  if (auto* progress = st.metrics->table(ref.relid)) progress->chunks_done.fetch_add(1, std::memory_order_relaxed);
  if (table->chunks_done() == table->chunks.size())
    spdlog::info("snapshot of {} done: {} chunk(s) durable in the target", table->qualified(), table->chunks.size());
}

}  // namespace

checkpoint_actor::behavior_type checkpoint(self_ptr self, std::shared_ptr<checkpoint_store> store,
                                           checkpoint_state initial, caf::actor engine,
                                           pipeline_metrics* metrics, std::chrono::milliseconds persist_every) {
  auto& st = self->state;
  st.store = std::move(store);
  st.persisted = initial;
  st.tracker.restore(initial.durable_lsn);
  st.engine = std::move(engine);
  st.metrics = metrics;
  metrics->durable_lsn.store(initial.durable_lsn, std::memory_order_relaxed);
  self->delayed_send(self, persist_every, tick_atom::value);
  return {
      [=](progress_msg& msg) {
        auto& st = self->state;
        for (const auto& m : msg.marks) st.tracker.on_commit(m.position, m.lsn);
        st.chunk_marks.insert(st.chunk_marks.end(), msg.chunks.begin(), msg.chunks.end());
        // A chunk is done once every row it handed over (all before its mark) is durable.
        while (!st.chunk_marks.empty() && st.chunk_marks.front().position <= msg.frontier) {
          mark_chunk_done(self, st.chunk_marks.front().chunk);
          if (st.chunker) self->send(st.chunker, chunk_durable_msg{st.chunk_marks.front().chunk});
          st.chunk_marks.pop_front();
        }
        if (st.tracker.advance(msg.frontier)) {
          st.dirty = true;
          st.metrics->durable_lsn.store(st.tracker.durable_lsn(), std::memory_order_relaxed);
        }
        st.awaiting.insert(st.awaiting.end(), msg.prepared.begin(), msg.prepared.end());
        record_prepared(self, msg.frontier);
      },
      [=](link_source_msg& link) { self->state.source = link.source; },
      [=](link_chunker_msg& link) { self->state.chunker = link.chunker; },
      [=](link_committer_msg& link) {
        self->state.committer = link.committer;
        commit_recorded(self);
      },
      [=](replan_table_msg& replan) {
        auto& tables = self->state.persisted.snapshot.tables;
        auto* existing = self->state.persisted.snapshot.find(replan.table.relid);
        if (existing) *existing = std::move(replan.table);
        else tables.push_back(std::move(replan.table));
        self->state.dirty = true;
      },
      [=](tick_atom) {
        if (persist(self)) self->delayed_send(self, persist_every, tick_atom::value);
      },
      [=](end_of_stream_msg&) {
        auto& st = self->state;
        st.dirty = st.dirty || st.persisted.durable_lsn != st.tracker.durable_lsn();
        st.ending = true;
        if (!st.awaiting.empty())
          spdlog::warn("{} prepared load(s) could not be recorded at the end of the stream; they are rolled back on "
                       "the next start and their rows loaded again", st.awaiting.size());
        if (!persist(self)) return;
        finish_if_ended(self);
      },
  };
}

}  // namespace pg2sr::actors
