// Checkpoint actor: durable LSN from progress, persisted atomically, told to the source.
#include "actors/checkpoint.hpp"

#include <spdlog/spdlog.h>

namespace pg2sr::actors {

using self_ptr = checkpoint_actor::stateful_pointer<checkpoint_actor_state>;

namespace {

// Writes the durable state if it changed; false (after quitting) when the disk refuses.
bool persist(self_ptr self) {
  auto& st = self->state;
  if (!st.dirty) return true;
  try {
    st.persisted.durable_lsn = st.tracker.durable_lsn();
    st.store->save(st.persisted);
    st.dirty = false;
    return true;
  } catch (const std::exception& e) {
    self->quit(make_pipeline_error(pipeline_errc::checkpoint_failed, e.what()));
    return false;
  }
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
          st.chunk_marks.pop_front();
        }
        if (st.tracker.advance(msg.frontier)) {
          st.dirty = true;
          st.metrics->durable_lsn.store(st.tracker.durable_lsn(), std::memory_order_relaxed);
          if (st.source) self->send(st.source, durable_msg{st.tracker.durable_lsn()});
        }
      },
      [=](link_source_msg& link) { self->state.source = link.source; },
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
        if (!persist(self)) return;
        if (st.source) self->send(st.source, durable_msg{st.tracker.durable_lsn()});
        caf::anon_send(st.engine, pipeline_done_msg{st.tracker.durable_lsn()});
      },
  };
}

}  // namespace pg2sr::actors
