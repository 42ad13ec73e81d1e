// Watermark actor: DBLog windows over the stream, chunk rows released at the high watermark.
#include "actors/snapshot/watermark.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pg2sr::actors {

using codecs::pgoutput::change_batch;
using codecs::pgoutput::change_event;
using codecs::pgoutput::change_op;
using codecs::pgoutput::relation_schema;
using codecs::pgoutput::tuple;
using codecs::pgoutput::value_kind;
using self_ptr = watermark_actor::stateful_pointer<watermark_state>;

void commit_history::record(std::uint32_t xid, codecs::pgoutput::lsn_t commit_lsn) {
  if (xid == last_xid_ || xid == 0) return;  // a transaction's events come together
  last_xid_ = xid;
  entries_.emplace_back(xid, commit_lsn);
}

std::optional<std::uint32_t> commit_history::missed_by(const codecs::pg_snapshot& snapshot,
                                                       codecs::pgoutput::lsn_t before) const {
  for (const auto& [xid, commit_lsn] : entries_) {
    if (commit_lsn >= before) break;
    if (snapshot.in_progress(xid)) return xid;
  }
  return std::nullopt;
}

void commit_history::prune(std::optional<std::uint64_t> floor, bool idle) {
  if (floor) {
    auto low = static_cast<std::uint32_t>(*floor);
    std::erase_if(entries_, [&](const auto& entry) { return codecs::xid_precedes(entry.first, low); });
  }
  if (idle && entries_.size() > idle_capacity)
    entries_.erase(entries_.begin(), entries_.end() - static_cast<std::ptrdiff_t>(idle_capacity));
}

namespace {

// Indexes of `names` among the relation's columns (cached per schema version).
std::vector<std::size_t> column_indexes(const relation_schema& rel, const std::vector<std::string>& names) {
  std::vector<std::size_t> indexes;
  for (const auto& n : names)
    if (auto i = rel.column_index(n)) indexes.push_back(*i);
  return indexes;
}

const std::vector<std::size_t>& key_indexes_of(watermark_state& st, const std::shared_ptr<const relation_schema>& rel,
                                               const std::vector<std::string>& names) {
  auto [it, inserted] = st.key_indexes.try_emplace(rel.get());
  if (inserted) it->second = {rel, column_indexes(*rel, names)};
  return it->second.indexes;
}

// The key indexes of the schema `e` was decoded with, cached through the batch's handle on
// it; computed afresh when the batch has none.
std::vector<std::size_t> event_key_indexes(watermark_state& st, const change_batch& batch, const change_event& e,
                                           const std::vector<std::string>& names) {
  for (const auto& r : batch.relations)
    if (r.get() == e.relation) return key_indexes_of(st, r, names);
  return column_indexes(*e.relation, names);
}

// The key's text values, length-prefixed: equal for a stream row and a COPY row of the
// same key (both are PostgreSQL's text output).
std::string key_text(tuple values, const std::vector<std::size_t>& indexes) {
  std::string key;
  for (auto i : indexes) {
    if (i >= values.size()) return {};
    const auto& v = values[i];
    auto len = static_cast<std::uint32_t>(v.data.size());
    key.push_back(static_cast<char>(v.kind));
    key.append(reinterpret_cast<const char*>(&len), sizeof len);
    key.append(v.data);
  }
  return key;
}

void forward(self_ptr self, std::shared_ptr<const change_batch> batch, std::size_t begin, std::size_t end,
             std::uint64_t cost, std::optional<chunk_ref> completes = std::nullopt,
             std::optional<chunk_ref> snapshot_rows_of = std::nullopt) {
  auto& st = self->state;
  event_batch_msg out{std::move(batch), st.next_position, cost, begin, end, completes, snapshot_rows_of.has_value(),
                      snapshot_rows_of.value_or(chunk_ref{})};
  st.next_position += out.size();
  if (out.size() > 0 || completes || cost > 0) self->send(st.downstream, std::move(out));
}

bool leaves_columns_out(tuple values) {
  return std::any_of(values.begin(), values.end(), [](const auto& v) { return v.kind == value_kind::unchanged_toast; });
}

// Follows a row through the window's changes for the unchanged-TOAST rule (watermark.hpp).
void track_change(chunk_window& w, const change_batch& batch, const change_event& e, const std::string& old_key,
                  const std::string& new_key) {
  tuple values = batch.new_tuple(e);
  changed_row row;
  if (auto it = w.changed.find(old_key); e.op == change_op::update && it != w.changed.end()) {
    row = std::move(it->second);
    w.changed.erase(it);
  } else {
    row.lineage.emplace_back(old_key, 0);
  }
  // Under REPLICA IDENTITY FULL the old tuple completes the row (the compactor does so).
  if (row.whole || e.op == change_op::insert || e.old_kind == 'O' || !leaves_columns_out(values)) {
    w.changed.insert_or_assign(new_key, changed_row{true, {}, {}, {}});
    return;
  }
  row.kinds.resize(values.size(), value_kind::unchanged_toast);
  row.data.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].kind == value_kind::unchanged_toast) continue;
    row.kinds[i] = values[i].kind;
    row.data[i].assign(values[i].data);
  }
  if (new_key != old_key) row.lineage.emplace_back(new_key, e.xid);
  w.changed.insert_or_assign(new_key, std::move(row));
}

// Marks the keys `e` touches in every open window of its table.
void mark_dirty(watermark_state& st, const change_batch& batch, const change_event& e) {
  for (auto& [id, w] : st.windows) {
    if (!w.open || w.task->ref.relid != e.relid) continue;
    if (e.op == change_op::truncate) {
      w.all_dirty = true;
      w.changed.clear();
      continue;
    }
    const auto idx = event_key_indexes(st, batch, e, w.task->key_columns);
    // A keyless chunk holds only rows older than the stream: a new tuple is another row,
    // and an old one is one row, whichever of its identical copies.
    if (w.task->rows_predate_stream) {
      if (e.old_count > 0) w.removed.emplace_back(key_text(batch.old_tuple(e), idx), e.xid);
      continue;
    }
    std::string new_key = e.new_count > 0 ? key_text(batch.new_tuple(e), idx) : std::string();
    std::string old_key = e.old_count > 0 ? key_text(batch.old_tuple(e), idx) : new_key;
    if (e.new_count > 0) w.dirty.insert(new_key);
    if (e.old_count > 0) w.dirty.insert(old_key);
    if (e.op == change_op::delete_row) w.changed.erase(old_key);
    else track_change(w, batch, e, old_key, new_key);
  }
}

// The rows the window left partial, completed from the chunk's rows: whole rows as of H.
std::shared_ptr<change_batch> completed_rows(watermark_state& st, const chunk_window& w) {
  if (w.task->deletes) return nullptr;  // its rows are not the table's: they complete nothing
  std::vector<const changed_row*> partial;
  for (const auto& [key, row] : w.changed)
    if (!row.whole) partial.push_back(&row);
  if (partial.empty()) return nullptr;
  const auto& idx = key_indexes_of(st, w.task->relation, w.task->key_columns);
  std::unordered_map<std::string, tuple> chunk_row;
  for (const auto& rows : w.rows)
    for (const auto& e : rows->events) chunk_row.emplace(key_text(rows->new_tuple(e), idx), rows->new_tuple(e));
  auto out = std::make_shared<change_batch>();
  auto buffer = std::make_shared<std::string>();
  std::vector<std::pair<value_kind, std::pair<std::size_t, std::size_t>>> spans;  // kind, (offset, size)
  for (const auto* row : partial) {
    // One row's changes commit one after the other (each waits for the previous one's
    // row lock, released once it is visible): the snapshot saw a prefix of them.
    const std::string* key_read = &row->lineage.front().first;
    for (const auto& [key, xid] : row->lineage)
      if (xid == 0 || !w.snapshot.in_progress(xid)) key_read = &key;
    auto found = chunk_row.find(*key_read);
    const tuple* snap = found == chunk_row.end() ? nullptr : &found->second;
    bool needs_chunk = std::find(row->kinds.begin(), row->kinds.end(), value_kind::unchanged_toast) != row->kinds.end();
    if (!snap && needs_chunk) {
      // Outside this chunk's range, or moved in from a key the chunk does not hold.
      spdlog::debug("snapshot chunk {} of {}: a row changed with unchanged TOAST values is not among its rows",
                    w.task->description, w.task->table_sql);
      continue;
    }
    // The chunk's columns are the plan's: a column the stream added since is left out, as
    // from every chunk row; a row with fewer columns (one dropped) cannot be completed.
    const std::size_t width = w.task->relation->columns.size();
    if (row->kinds.size() < width) {
      spdlog::warn("snapshot chunk {} of {}: a row changed with unchanged TOAST values after a column was dropped "
                   "cannot be completed from the chunk", w.task->description, w.task->table_sql);
      continue;
    }
    change_event ins;
    ins.op = change_op::insert;
    ins.relid = w.task->ref.relid;
    ins.relation = w.task->relation.get();
    ins.new_begin = static_cast<std::uint32_t>(spans.size());
    ins.new_count = static_cast<std::uint32_t>(width);
    for (std::size_t i = 0; i < width; ++i) {
      bool from_chunk = row->kinds[i] == value_kind::unchanged_toast && snap && i < snap->size();
      value_kind kind = from_chunk ? (*snap)[i].kind : row->kinds[i];
      std::string_view data = from_chunk ? (*snap)[i].data : std::string_view(row->data[i]);
      spans.push_back({kind, {buffer->size(), data.size()}});
      buffer->append(data);
    }
    out->events.push_back(ins);
  }
  if (out->events.empty()) return nullptr;
  // Views only once the buffer has stopped growing.
  for (const auto& [kind, span] : spans) out->values.push_back({kind, std::string_view(*buffer).substr(span.first, span.second)});
  out->buffers.push_back(std::move(buffer));
  out->keep(w.task->relation);
  return out;
}

// Chunk rows (inserts) -> deletes whose old tuple is the whole row ('O'), or the key with
// the other columns NULL ('K', as pgoutput sends a delete under REPLICA IDENTITY DEFAULT).
void as_deletes(change_batch& rows, char old_kind) {
  for (auto& e : rows.events) {
    e.op = change_op::delete_row;
    e.old_kind = old_kind;
    e.old_begin = e.new_begin;
    e.old_count = e.new_count;
    e.new_count = 0;
    e.flags = 0;
  }
}

void stop_if_done(self_ptr self) {
  auto& st = self->state;
  if (st.stop_when_snapshot_done && st.snapshot_read && st.windows.empty() && st.rereads.empty() &&
      !st.stop_sent && st.source) {
    st.stop_sent = true;
    spdlog::info("snapshot complete: every chunk was merged into the stream; ending the stream (snapshot_only)");
    self->send(st.source, stop_atom::value);
  }
}

// Why the chunk's rows cannot be released at H, or "" when they can.
std::string stale_reason(const watermark_state& st, const chunk_window& w) {
  // The rows are sent before H is written; missing ones mean the reader failed after L.
  if (!w.rows_complete) return "high watermark before all of its rows";
  if (auto xid = st.commits.missed_by(w.snapshot, w.low_lsn))
    return "transaction " + std::to_string(*xid) +
           " committed before the low watermark but was not yet visible to the chunk's snapshot";
  // A detached partition's rows may still be among those of a chunk of its table opened
  // before this one (its snapshot older than the detach): released later, they would be
  // loaded again after these deletes. (A resync's key is gone from the source itself: an
  // older chunk that read it has the delete in its window.)
  if (w.task->deletes && !w.task->target_keys)
    for (const auto& [id, other] : st.windows)
      if (other.open && other.task->ref.relid == w.task->ref.relid && other.low_lsn < w.low_lsn)
        return "chunk " + other.task->description + " of the table, opened before it, is still open";
  return {};
}

// What no open window, nor any later one, can need of the commit history.
void prune_commits(watermark_state& st) {
  std::optional<std::uint64_t> floor = st.newest_xmin;
  for (const auto& [id, w] : st.windows) {
    auto xmin = w.rows_complete ? std::optional<std::uint64_t>(w.snapshot.xmin) : w.registered_floor;
    if (!xmin) return;  // a window whose snapshot may be older than any seen: keep all
    floor = std::min(floor.value_or(*xmin), *xmin);
  }
  st.commits.prune(floor, st.windows.empty());
  if (st.windows.empty()) st.newest_xmin.reset();
}

// The rows a chunk loads are kept out of the deletes of every open deletes window of its
// table: such a window's snapshot may be older than the rows (a partition attached after
// a resync chunk read the source), and its deletes come after them.
void spare_from_deletes(watermark_state& st, const chunk_window& loaded) {
  for (auto& [id, other] : st.windows) {
    if (!other.open || !other.task->deletes || other.task->rows_predate_stream ||
        other.task->ref.relid != loaded.task->ref.relid)
      continue;
    const auto& idx = key_indexes_of(st, loaded.task->relation, other.task->key_columns);
    for (const auto& rows : loaded.rows)
      for (const auto& e : rows->events) other.dirty.insert(key_text(rows->new_tuple(e), idx));
  }
}

// High watermark: the chunk's rows minus the dirty keys, here, then the chunk is complete.
void release(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.windows.find(id);
  if (it == st.windows.end()) return;
  chunk_window w = std::move(it->second);
  st.windows.erase(it);
  std::string stale = stale_reason(st, w);
  if (!stale.empty()) {
    spdlog::info("snapshot chunk {} of {}: {}; reading it again", w.task->description, w.task->table_sql, stale);
    st.rereads.insert(id);  // until its chunk_begin: snapshot_only must not end meanwhile
    if (st.chunker) self->send(st.chunker, chunk_released_msg{w.task->ref, w.task});
    return;
  }
  std::uint64_t kept = 0, dropped = 0;
  // Built before the dirty rows go: they complete rows the window left partial.
  auto completed = completed_rows(st, w);
  const auto& idx = key_indexes_of(st, w.task->relation, w.task->key_columns);
  // Keyless: one chunk row per removal its snapshot did not see (it read that row).
  std::unordered_map<std::string, std::size_t> read_then_removed;
  for (const auto& [key, xid] : w.removed)
    if (w.snapshot.in_progress(xid)) ++read_then_removed[key];
  auto drop = [&](const std::string& key) {
    if (w.dirty.count(key) > 0) return true;
    auto it = read_then_removed.find(key);
    if (it == read_then_removed.end() || it->second == 0) return false;
    --it->second;
    return true;
  };
  for (auto& rows : w.rows) {
    auto& events = rows->events;
    std::size_t before = events.size();
    if (w.all_dirty) events.clear();
    else if (!w.dirty.empty() || !read_then_removed.empty())
      std::erase_if(events, [&](const change_event& e) { return drop(key_text(rows->new_tuple(e), idx)); });
    kept += events.size();
    dropped += before - events.size();
  }
  if (completed) {
    spdlog::debug("snapshot chunk {} of {}: {} rows changed meanwhile with unchanged TOAST values completed from it",
                  w.task->description, w.task->table_sql, completed->events.size());
    w.rows.push_back(std::move(completed));
  }
  // A detached partition's rows (or a resync's keys the source no longer has), minus the
  // keys the stream wrote meanwhile, leave the target as deletes, loaded like the stream's
  // changes (not as snapshot rows, which a target may append unconditionally).
  if (w.task->deletes)
    for (auto& rows : w.rows) as_deletes(*rows, w.task->target_keys ? 'K' : 'O');
  else
    spare_from_deletes(st, w);
  std::optional<chunk_ref> snapshot_rows_of;
  if (!w.task->deletes) snapshot_rows_of = w.task->ref;
  for (std::size_t b = 0; b < w.rows.size(); ++b) {
    bool last = b + 1 == w.rows.size();
    forward(self, w.rows[b], 0, w.rows[b]->events.size(), 0, last ? std::optional<chunk_ref>(w.task->ref) : std::nullopt,
            snapshot_rows_of);
  }
  if (w.rows.empty()) forward(self, std::make_shared<change_batch>(), 0, 0, 0, w.task->ref);
  spdlog::debug("snapshot chunk {} of {}: {} rows released, {} changed meanwhile (the stream has them)",
                w.task->description, w.task->table_sql, kept, dropped);
  if (st.windows.empty()) st.key_indexes.clear();  // let the schemas it holds go
  prune_commits(st);
  stop_if_done(self);
}

void on_events(self_ptr self, event_batch_msg& msg) {
  auto& st = self->state;
  const auto& batch = *msg.batch;
  std::size_t end = std::min(msg.end, batch.events.size());
  for (std::size_t i = msg.begin; i < end; ++i)
    if (batch.events[i].relid != 0) st.commits.record(batch.events[i].xid, batch.events[i].txn_final_lsn);
  if (st.windows.empty() && st.commits.size() > 2 * commit_history::idle_capacity) prune_commits(st);
  if (st.windows.empty()) {  // no snapshot in progress: pass through
    forward(self, msg.batch, msg.begin, end, msg.cost_bytes);
    return;
  }
  std::size_t segment = msg.begin;
  std::uint64_t cost = msg.cost_bytes;  // charged to the first forwarded piece
  for (std::size_t i = msg.begin; i < end; ++i) {
    const auto& e = batch.events[i];
    if (e.op == change_op::message && batch.message_prefix(e) == watermark_prefix) {
      std::string_view content = batch.message_content(e);
      if (content.size() < 2) continue;
      std::string id(content.substr(2));
      if (content[0] == 'L') {
        if (auto w = st.windows.find(id); w != st.windows.end()) {
          w->second.open = true;
          w->second.low_lsn = e.txn_final_lsn;
        }
      } else if (content[0] == 'H' && st.windows.count(id)) {
        forward(self, msg.batch, segment, i + 1, cost);
        cost = 0;
        segment = i + 1;
        release(self, id);
      }
    } else if (e.relid != 0) {
      mark_dirty(st, batch, e);
    }
  }
  forward(self, msg.batch, segment, end, cost);
}

}  // namespace

watermark_actor::behavior_type watermark(self_ptr self, batcher_actor downstream, bool stop_when_snapshot_done) {
  self->state.downstream = std::move(downstream);
  self->state.stop_when_snapshot_done = stop_when_snapshot_done;
  return {
      [=](event_batch_msg& msg) { on_events(self, msg); },
      [=](end_of_stream_msg& eos) { self->send(self->state.downstream, eos); },
      [=](credit_msg& credit) {
        if (self->state.upstream) self->send(self->state.upstream, credit);
      },
      [=](link_decoder_msg& link) { self->state.upstream = link.decoder; },
      [=](link_source_msg& link) {
        self->state.source = link.source;
        stop_if_done(self);
      },
      [=](chunk_begin_msg& begin) {
        self->state.rereads.erase(begin.task->watermark_id);
        chunk_window w;
        w.task = begin.task;
        w.registered_floor = self->state.newest_xmin;
        self->state.windows[begin.task->watermark_id] = std::move(w);
      },
      [=](chunk_rows_msg& rows) {
        auto it = self->state.windows.find(rows.watermark_id);
        if (it == self->state.windows.end()) return;
        if (rows.rows && !rows.rows->events.empty()) it->second.rows.push_back(std::move(rows.rows));
        it->second.rows_complete = rows.last;
        if (rows.last) {
          auto& newest = self->state.newest_xmin;
          newest = std::max(newest.value_or(0), rows.snapshot.xmin);
          it->second.snapshot = std::move(rows.snapshot);
        }
      },
      [=](chunk_abort_msg& abort) { self->state.windows.erase(abort.watermark_id); },
      [=](link_chunker_msg& link) { self->state.chunker = link.chunker; },
      [=](snapshot_read_msg&) {
        self->state.snapshot_read = true;
        stop_if_done(self);
      },
  };
}

}  // namespace pg2sr::actors
