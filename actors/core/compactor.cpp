// Per-table compaction of change events into load rows (rules in compactor.hpp).
#include "actors/core/compactor.hpp"

#include <algorithm>

namespace pg2sr::actors {

using codecs::pgoutput::change_batch;
using codecs::pgoutput::change_event;
using codecs::pgoutput::change_op;
using codecs::pgoutput::tuple;
using codecs::pgoutput::value_kind;

std::string_view load_row::line() const {
  const char* begin = values[0].data.data();
  const auto& last = values[count - 1].data;
  return {begin, static_cast<std::size_t>(last.data() + last.size() - begin)};
}

bool load_row::partial() const {
  for (std::uint32_t i = 0; i < count; ++i)
    if (values[i].kind == value_kind::unchanged_toast) return true;
  return false;
}

table_compactor::table_compactor(std::shared_ptr<const relation_schema> relation, bool distinct_rows)
    : batch_(std::make_shared<load_batch>()) {
  batch_->relation = std::move(relation);
  batch_->relid = batch_->relation ? batch_->relation->relid : 0;
  batch_->distinct_rows = distinct_rows;
}

// The key columns' kinds and bytes, length-prefixed so that ("ab","c") != ("a","bc").
// Empty when a key column is unchanged-TOAST (the key is unknown) or the table has no key:
// the row is then kept as it is, never folded.
std::string table_compactor::key_of(tuple values) const {
  if (batch_->distinct_rows) return {};
  std::string key;
  const auto& cols = batch_->relation->columns;
  for (std::size_t i = 0; i < cols.size() && i < values.size(); ++i) {
    if (!cols[i].is_key) continue;
    const auto& v = values[i];
    if (v.kind == value_kind::unchanged_toast) return {};
    auto len = static_cast<std::uint32_t>(v.data.size());
    key.push_back(static_cast<char>(v.kind));
    key.append(reinterpret_cast<const char*>(&len), sizeof len);
    key.append(v.data);
  }
  return key;
}

tuple table_compactor::merge(tuple older, tuple newer) {
  auto& out = batch_->merged.emplace_back(newer.begin(), newer.end());
  for (std::size_t i = 0; i < out.size() && i < older.size(); ++i)
    if (out[i].kind == value_kind::unchanged_toast) out[i] = older[i];
  return tuple(out.data(), out.size());
}

void table_compactor::put(row_op op, tuple values, const change_event& e, std::string key, bool moved,
                          bool moves_out) {
  if (!key.empty()) {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      const load_row& older = batch_->rows[it->second];
      bool partial = op == row_op::upsert && std::any_of(values.begin(), values.end(), [](const column_value& v) {
                       return v.kind == value_kind::unchanged_toast;
                     });
      if (older.op != row_op::delete_row || !(partial || older.moves_out)) alive_[it->second] = false;
      if (op == row_op::upsert && older.op == row_op::upsert) {
        for (const auto& v : values) {
          if (v.kind == value_kind::unchanged_toast) {
            values = merge(tuple(older.values, older.count), values);
            moved = moved || older.moved;  // still partial: still a key the target may lack
            break;
          }
        }
      }
      it->second = batch_->rows.size();
    } else {
      by_key_.emplace(std::move(key), batch_->rows.size());
    }
  }
  batch_->rows.push_back({op, values.data(), static_cast<std::uint32_t>(values.size()), e.lsn, e.txn_final_lsn});
  batch_->rows.back().moved = moved && op == row_op::upsert && batch_->rows.back().partial();
  batch_->rows.back().moves_out = moves_out;
  batch_->rows.back().xid = e.xid;
  alive_.push_back(true);
}

// Bookkeeping shared by every event: sources kept alive, positions, LSNs, sizes.
void table_compactor::note(const std::shared_ptr<const change_batch>& source, const change_event& e,
                           std::uint64_t position) {
  auto& b = *batch_;
  if (b.sources.empty() || b.sources.back() != source) b.sources.push_back(source);
  if (b.events == 0) {
    b.first_position = position;
    b.first_lsn = e.lsn;
  }
  b.last_position = position;
  if (e.lsn != 0) b.last_lsn = e.lsn;
  ++b.events;
  for (const auto& v : source->new_tuple(e)) b.bytes += v.data.size() + 1;
  for (const auto& v : source->old_tuple(e)) b.bytes += v.data.size() + 1;
}

void table_compactor::add_unique(const std::shared_ptr<const change_batch>& source, const change_event& e,
                                 std::uint64_t position, const chunk_ref& chunk) {
  note(source, e, position);
  if (batch_->chunks.empty() || !(batch_->chunks.back() == chunk)) batch_->chunks.push_back(chunk);
  tuple values = source->new_tuple(e);
  bool copy_line = (e.flags & codecs::pgoutput::insert_copy_line) != 0 && !values.empty();
  batch_->rows.push_back({row_op::upsert, values.data(), static_cast<std::uint32_t>(values.size()), e.lsn,
                          e.txn_final_lsn, copy_line});
  alive_.push_back(true);
}

void table_compactor::add(const std::shared_ptr<const change_batch>& source, const change_event& e,
                          std::uint64_t position) {
  auto& b = *batch_;
  note(source, e, position);
  b.snapshot_rows_only = false;
  tuple new_values = source->new_tuple(e);
  tuple old_values = source->old_tuple(e);

  switch (e.op) {
    case change_op::insert:
      put(row_op::upsert, new_values, e, key_of(new_values));
      break;
    case change_op::update: {
      // REPLICA IDENTITY FULL: the old tuple holds every column, so an unchanged TOAST
      // value is the old one and the row is whole (a target that only appends needs it).
      if (e.old_kind == 'O' && std::any_of(new_values.begin(), new_values.end(), [](const column_value& v) {
            return v.kind == value_kind::unchanged_toast;
          }))
        new_values = merge(old_values, new_values);
      std::string new_key = key_of(new_values);
      bool moved = false;
      if (e.old_kind != 0) {
        std::string old_key = key_of(old_values);
        moved = batch_->distinct_rows || old_key != new_key;  // a keyless row is replaced whole
        auto leaves_out = [](tuple values) {
          return std::any_of(values.begin(), values.end(),
                             [](const column_value& v) { return v.kind == value_kind::unchanged_toast; });
        };
        // The row moving holds what an earlier upsert of its old key in this batch set:
        // that upsert is folded away by the delete below, and the target never sees it.
        if (moved && leaves_out(new_values) && !old_key.empty()) {
          if (auto it = by_key_.find(old_key); it != by_key_.end() && batch_->rows[it->second].op == row_op::upsert) {
            const load_row& older = batch_->rows[it->second];
            new_values = merge(tuple(older.values, older.count), new_values);
          }
        }
        if (moved) put(row_op::delete_row, old_values, e, std::move(old_key), false, leaves_out(new_values));
      }
      put(row_op::upsert, new_values, e, std::move(new_key), moved);
      break;
    }
    case change_op::delete_row:
      put(row_op::delete_row, old_values, e, key_of(old_values));
      break;
    case change_op::truncate:
      b.truncate_first = true;
      b.truncate_lsn = e.lsn;
      b.truncate_commit_lsn = e.txn_final_lsn;
      b.rows.clear();
      alive_.clear();
      by_key_.clear();
      b.merged.clear();
      break;
    default:
      break;  // not a row change: nothing to load
  }
}

std::shared_ptr<load_batch> table_compactor::take(std::uint64_t id) {
  auto out = std::make_shared<load_batch>();
  std::swap(out, batch_);
  out->id = id;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out->rows.size(); ++i)
    if (alive_[i]) out->rows[kept++] = out->rows[i];
  out->rows.resize(kept);
  batch_->relation = out->relation;
  batch_->relid = out->relid;
  batch_->distinct_rows = out->distinct_rows;
  // The next batch is likely as large: one allocation instead of a doubling series.
  batch_->rows.reserve(out->rows.size());
  alive_.clear();
  by_key_.clear();
  return out;
}

}  // namespace pg2sr::actors
