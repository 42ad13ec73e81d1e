// Batcher actor: compaction per table, ordered dispatch to loaders, frontier and credit.
#include "actors/core/batcher.hpp"

#include <algorithm>

namespace pg2sr::actors {

using codecs::pgoutput::change_op;
using clock_type = std::chrono::steady_clock;
using self_ptr = batcher_actor::stateful_pointer<batcher_state>;

namespace {

bool is_row_change(change_op op) {
  return op == change_op::insert || op == change_op::update || op == change_op::delete_row ||
         op == change_op::truncate;
}

// Moves a table's accumulated rows into its queue of batches ready to load.
void take(batcher_state& st, batcher_state::table_slot& slot) {
  if (!slot.compactor || slot.compactor->empty()) return;
  slot.queued.push_back(slot.compactor->take(st.next_batch_id++));
  slot.chunk_completed = false;
}

// A table's rows are due when a size bound is reached, the oldest row waited
// flush_interval, a snapshot chunk is complete, the pipeline drains, or half the capacity
// is used (so credit comes back before the upstream runs dry).
bool due(const batcher_state& st, const batcher_state::table_slot& slot, clock_type::time_point now) {
  const auto& c = *slot.compactor;
  if (c.empty()) return false;
  return st.draining || slot.chunk_completed || c.events() >= st.settings.max_rows ||
         c.bytes() >= st.settings.max_bytes || now - slot.first_event_at >= st.settings.flush_interval ||
         st.outstanding_bytes * 2 >= st.settings.capacity_bytes;
}

void on_ack(self_ptr self, std::size_t loader_index, std::uint64_t batch_id, const load_ack& ack);

// Whether a table may start another load: none in flight, or only snapshot-only ones and
// room for one more of them.
bool may_load_beside(const batcher_state& st, const batcher_state::table_slot& slot) {
  if (slot.in_flight.empty()) return true;
  return slot.in_flight.size() < st.settings.snapshot_loads_per_table &&
         std::all_of(slot.in_flight.begin(), slot.in_flight.end(), [](const auto& l) { return l.snapshot_rows_only; });
}

// Sends tables' next batches to free loaders: one load per table at a time, or several
// batches of snapshot rows alone.
void dispatch(self_ptr self) {
  auto& st = self->state;
  auto now = clock_type::now();
  for (auto& [relid, slot] : st.tables) {
    while (may_load_beside(st, slot)) {
      if (slot.queued.empty() && due(st, slot, now)) take(st, slot);
      if (slot.queued.empty()) break;
      if (!slot.in_flight.empty() && !slot.queued.front()->snapshot_rows_only) break;
      auto free = std::find(st.loader_busy.begin(), st.loader_busy.end(), false);
      if (free == st.loader_busy.end()) return;
      std::size_t index = static_cast<std::size_t>(free - st.loader_busy.begin());
      st.loader_busy[index] = true;
      std::shared_ptr<const load_batch> batch = std::move(slot.queued.front());
      slot.queued.pop_front();
      slot.in_flight.push_back({batch->id, batch->first_position, batch->snapshot_rows_only});
      self->request(st.loaders[index], caf::infinite, load_request{batch})
          .then([=](load_ack& ack) { on_ack(self, index, batch->id, ack); },
                [=](caf::error& err) {
                  self->quit(make_pipeline_error(pipeline_errc::load_failed,
                                                 "loading " + batch->relation->qualified_name() + " failed: " +
                                                     describe(err)));
                });
    }
  }
}

// Everything before the returned position is durable in the target.
std::uint64_t compute_frontier(const batcher_state& st) {
  std::uint64_t f = st.next_position;
  for (const auto& [relid, slot] : st.tables) {
    if (!slot.in_flight.empty())
      for (const auto& l : slot.in_flight) f = std::min(f, l.first_position);
    else if (!slot.queued.empty()) f = std::min(f, slot.queued.front()->first_position);
    else if (!slot.compactor->empty()) f = std::min(f, slot.compactor->first_position());
  }
  return f;
}

bool idle(const batcher_state& st) {
  for (const auto& [relid, slot] : st.tables)
    if (!slot.in_flight.empty() || !slot.queued.empty() || !slot.compactor->empty()) return false;
  return true;
}

// Reports progress to the checkpoint, returns credit for what is durable, and ends the
// stream once draining has emptied everything.
void report(self_ptr self) {
  auto& st = self->state;
  std::uint64_t f = compute_frontier(st);
  if (f > st.frontier || !st.marks.empty() || !st.chunk_marks.empty() || !st.prepared.empty()) {
    st.frontier = std::max(st.frontier, f);
    self->send(st.checkpoint,
               progress_msg{std::move(st.marks), std::move(st.chunk_marks), st.frontier, std::move(st.prepared)});
    st.marks.clear();
    st.chunk_marks.clear();
    st.prepared.clear();
  }
  std::uint64_t returned = 0;
  while (!st.costs.empty() && st.costs.front().first <= st.frontier) {
    returned += st.costs.front().second;
    st.costs.pop_front();
  }
  if (returned > 0) {
    st.outstanding_bytes -= returned;
    st.metrics->in_flight_bytes.store(st.outstanding_bytes, std::memory_order_relaxed);
    if (st.upstream) self->send(st.upstream, credit_msg{returned});
  }
  if (st.draining && !st.finished && idle(st)) {
    st.finished = true;
    self->send(st.checkpoint, end_of_stream_msg{});
  }
}

void on_ack(self_ptr self, std::size_t loader_index, std::uint64_t batch_id, const load_ack& ack) {
  auto& st = self->state;
  st.loader_busy[loader_index] = false;
  std::erase_if(st.tables[ack.relid].in_flight, [&](const auto& l) { return l.batch_id == batch_id; });
  st.metrics->rows_loaded.fetch_add(ack.rows, std::memory_order_relaxed);
  st.metrics->loads.fetch_add(1, std::memory_order_relaxed);
  st.prepared.insert(st.prepared.end(), ack.prepared.begin(), ack.prepared.end());
  dispatch(self);
  report(self);
}

void on_events(self_ptr self, const event_batch_msg& msg) {
  auto& st = self->state;
  const auto& batch = msg.batch;
  auto now = clock_type::now();
  std::uint64_t position = msg.first_position;
  const std::size_t end = std::min(msg.end, batch->events.size());
  for (std::size_t i = msg.begin; i < end; ++i) {
    const auto& e = batch->events[i];
    if (is_row_change(e.op)) {
      auto& slot = st.tables[e.relid];
      if (!slot.compactor || slot.compactor->relation() != e.relation) {
        // A new Relation message (ALTER TABLE): close the batch decoded with the old schema.
        if (slot.compactor) take(st, slot);
        auto it = std::find_if(batch->relations.begin(), batch->relations.end(),
                               [&](const auto& r) { return r.get() == e.relation; });
        slot.compactor = std::make_unique<table_compactor>(*it, st.settings.keyless_relids.count(e.relid) > 0);
      }
      if (slot.compactor->empty()) slot.first_event_at = now;
      if (msg.snapshot_rows) slot.compactor->add_unique(batch, e, position, msg.chunk);
      else slot.compactor->add(batch, e, position);
      // Cut here, not only in dispatch(): one incoming batch may hold many loads' worth.
      if (slot.compactor->events() >= st.settings.max_rows && slot.queued.empty()) take(st, slot);
    } else if (e.op == change_op::commit) {
      st.marks.push_back({position, e.end_lsn});
    } else if (e.op == change_op::keepalive) {
      st.marks.push_back({position, e.lsn});
    }
    ++position;
  }
  st.next_position = position;
  if (msg.completes) {
    st.chunk_marks.push_back({position, *msg.completes});
    if (auto slot = st.tables.find(msg.completes->relid); slot != st.tables.end() && slot->second.compactor)
      slot->second.chunk_completed = !slot->second.compactor->empty();
  }
  st.costs.emplace_back(position, msg.cost_bytes);
  st.outstanding_bytes += msg.cost_bytes;
  st.metrics->in_flight_bytes.store(st.outstanding_bytes, std::memory_order_relaxed);
  dispatch(self);
  report(self);
}

}  // namespace

batcher_actor::behavior_type batcher(self_ptr self, batcher_settings settings, std::vector<loader_actor> loaders,
                                     checkpoint_actor checkpoint, pipeline_metrics* metrics) {
  auto& st = self->state;
  st.settings = settings;
  st.loaders = std::move(loaders);
  st.loader_busy.assign(st.loaders.size(), false);
  st.checkpoint = std::move(checkpoint);
  st.metrics = metrics;
  auto tick_every = std::max<std::chrono::microseconds>(std::chrono::milliseconds(1), settings.flush_interval / 4);
  self->delayed_send(self, tick_every, tick_atom::value);
  return {
      [=](event_batch_msg& msg) { on_events(self, msg); },
      [=](end_of_stream_msg&) {
        self->state.draining = true;
        dispatch(self);
        report(self);
      },
      [=](link_watermark_msg& link) {
        self->state.upstream = link.watermark;
        self->send(link.watermark, credit_msg{self->state.settings.capacity_bytes});
      },
      [=](tick_atom) {
        dispatch(self);
        report(self);
        if (!self->state.finished) self->delayed_send(self, tick_every, tick_atom::value);
      },
  };
}

}  // namespace pg2sr::actors
