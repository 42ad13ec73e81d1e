// Checkpoint actor: durable LSN from progress, persisted atomically, told to the source.
#include "actors/core/checkpoint.hpp"

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
      // Only now: the source sends this value to PostgreSQL as flush (also at shutdown).
      st.metrics->durable_lsn.store(st.persisted.durable_lsn, std::memory_order_relaxed);
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

void mark_chunk_done(self_ptr self, const chunk_ref& ref) {
  auto& st = self->state;
  auto* table = st.persisted.snapshot.find(ref.relid);
  if (!table) return;
  // By index (a plan's chunks are numbered by position; chunks added later continue it).
  auto& chunks = table->chunks;
  auto chunk = ref.index < chunks.size() && chunks[ref.index].index == ref.index
                   ? chunks.begin() + ref.index
                   : std::find_if(chunks.begin(), chunks.end(), [&](const auto& c) { return c.index == ref.index; });
  if (chunk == chunks.end() || chunk->done) return;
  chunk->done = true;
  st.dirty = true;
  st.metrics->snapshot_chunks_done.fetch_add(1, std::memory_order_relaxed);
  if (auto* progress = st.metrics->table(ref.relid)) progress->chunks_done.fetch_add(1, std::memory_order_relaxed);
  if (table->chunks_done() == table->chunks.size())
    spdlog::info("snapshot of {} done: {} chunk(s) durable in the target", table->qualified(), table->chunks.size());
}

// Whether all of `p` lies below `frontier`: its events, the end of its last transaction,
// and the whole of every chunk its snapshot rows come from.
bool whole_below(const checkpoint_actor_state& st, const prepared_load& p, std::uint64_t frontier) {
  if (p.last_position >= frontier) return false;
  if (p.commit_lsn != 0 && !st.tracker.pending_mark_between(p.last_position, frontier)) return false;
  return std::all_of(p.chunks.begin(), p.chunks.end(), [&](const chunk_ref& c) {
    return std::any_of(st.chunk_marks.begin(), st.chunk_marks.end(),
                       [&](const chunk_mark& m) { return m.chunk == c && m.position <= frontier; });
  });
}

// Moves the durable LSN and the chunks done up to `frontier`, but not past a prepared load
// that is not recorded: a restart rolls that load back, so it must stream its transactions
// and read its chunks again. Loads are recorded in stream order, a run of them at once
// (a chunk's rows may span several loads): each must then be whole below the frontier.
void settle(self_ptr self, std::uint64_t frontier) {
  auto& st = self->state;
  auto& waiting = st.awaiting;
  std::stable_sort(waiting.begin(), waiting.end(),
                   [](const prepared_load& a, const prepared_load& b) { return a.first_position < b.first_position; });
  std::size_t recordable = waiting.size();
  for (; recordable > 0; --recordable) {
    std::uint64_t f = recordable < waiting.size() ? std::min(frontier, waiting[recordable].first_position) : frontier;
    if (std::all_of(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(recordable),
                    [&](const prepared_load& p) { return whole_below(st, p, f); }))
      break;
  }
  if (recordable > 0) {
    auto end = waiting.begin() + static_cast<std::ptrdiff_t>(recordable);
    st.persisted.prepared.insert(st.persisted.prepared.end(), waiting.begin(), end);
    waiting.erase(waiting.begin(), end);
    st.dirty = true;
  }
  std::uint64_t held = waiting.empty() ? frontier : std::min(frontier, waiting.front().first_position);
  // A chunk is done once every row it handed over (all before its mark) is durable.
  while (!st.chunk_marks.empty() && st.chunk_marks.front().position <= held) {
    mark_chunk_done(self, st.chunk_marks.front().chunk);
    if (st.chunker) self->send(st.chunker, chunk_durable_msg{st.chunk_marks.front().chunk});
    st.chunk_marks.pop_front();
  }
  if (st.tracker.advance(held)) st.dirty = true;
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
        st.awaiting.insert(st.awaiting.end(), msg.prepared.begin(), msg.prepared.end());
        settle(self, msg.frontier);
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
      [=](partition_jobs_msg& jobs) {
        auto& snapshot = self->state.persisted.snapshot;
        const auto root = jobs.table.relid;
        if (auto* existing = snapshot.find(root)) {
          existing->chunks.insert(existing->chunks.end(), jobs.table.chunks.begin(), jobs.table.chunks.end());
          // Read with the columns as they are now, the chunks of the plan not done yet too.
          existing->select_list = jobs.table.select_list;
          existing->columns = jobs.table.columns;
        }
        else if (!jobs.table.chunks.empty())
          snapshot.tables.push_back(std::move(jobs.table));
        snapshot.partition_leaves[root] = std::move(jobs.leaves);
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
