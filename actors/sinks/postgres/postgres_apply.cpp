// Planning one batch for the PostgreSQL loader: replay skips, segments, column sets, COPY text.
#include "actors/sinks/postgres/postgres_apply.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace pg2sr::actors {

using codecs::pgoutput::value_kind;

namespace {

using stream_pair = std::pair<lsn_t, lsn_t>;  // (commit LSN, LSN): stream order across restarts

bool from_stream(const load_row& row) { return row.commit_lsn != 0; }

void check_values(const relation_schema& rel, const load_row& row) {
  if (row.count < rel.columns.size())
    throw std::runtime_error(rel.qualified_name() + ": a row has " + std::to_string(row.count) + " values for " +
                             std::to_string(rel.columns.size()) + " columns");
  for (std::uint32_t i = 0; i < row.count; ++i)
    if (row.values[i].kind == value_kind::binary)
      throw std::runtime_error(rel.qualified_name() + "." + rel.columns[i].name +
                               ": binary values cannot be loaded into PostgreSQL as text");
}

// Builds the plan row by row, keeping segments and the advancing position.
class planner {
 public:
  planner(const load_batch& batch, const applied_position& applied, const std::vector<std::size_t>& key)
      : batch_(batch), rel_(*batch.relation), key_(key), stored_{applied.commit_lsn, applied.lsn}, applied_(applied) {
    plan_.position = applied;
  }

  apply_plan run() {
    if (batch_.truncate_first) {
      stream_pair at{batch_.truncate_commit_lsn, batch_.truncate_lsn};
      plan_.truncate = at > stored_;
      if (plan_.truncate) advance(at, std::nullopt);
    }
    const auto& rows = batch_.rows;
    auto cancelled = cancelled_copies();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (cancelled[i]) {
        if (from_stream(rows[i])) advance({rows[i].commit_lsn, rows[i].lsn}, key_hash(rows[i].values, key_));
        ++plan_.cancelled;
        continue;
      }
      check_values(rel_, rows[i]);
      if (i + 1 < rows.size() && !cancelled[i + 1] && moved_pair(rows[i], rows[i + 1])) {
        check_values(rel_, rows[i + 1]);
        add_key_change(rows[i], rows[i + 1]);
        ++i;
      } else {
        add(rows[i]);
      }
    }
    finish_steps();
    return std::move(plan_);
  }

 private:
  // A key change whose new tuple has unchanged TOAST columns: the compactor puts the delete
  // of the old key right before the partial upsert, both from the same change (same LSN).
  static bool moved_pair(const load_row& first, const load_row& second) {
    return first.op == row_op::delete_row && second.op == row_op::upsert && from_stream(second) &&
           first.lsn == second.lsn && first.commit_lsn == second.commit_lsn && second.partial();
  }

  // A keyless table's rows are copies, and a delete removes every copy it matches: a
  // stream insert of a copy and a later delete of it (neither applied before) cancel, so a
  // copy the target held before the batch stays. Only to be applied: a delete whose insert
  // was applied before a restart is still sent. A snapshot row may be a copy the target or
  // the batch already has (a chunk read again after a crash, a table read whole): it is
  // never cancelled and ends the cancelling of its copies before it, so the delete after
  // it goes out. (Also keeps the segments few: each copy seen again would start one.)
  std::vector<bool> cancelled_copies() const {
    const auto& rows = batch_.rows;
    std::vector<bool> out(rows.size(), false);
    if (!batch_.distinct_rows) return out;
    auto same = [&](const load_row& a, const load_row& b) {
      if (a.count != b.count) return false;
      for (std::uint32_t c = 0; c < a.count; ++c)
        if (a.values[c].kind != b.values[c].kind || a.values[c].data != b.values[c].data) return false;
      return true;
    };
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> inserted;  // hash -> live inserts
    for (std::size_t i = 0; i < rows.size(); ++i) {
      // Short rows are refused by check_values below; partial ones never come in a keyless
      // table (its old tuple is whole).
      if (rows[i].count < rel_.columns.size() || rows[i].partial()) continue;
      std::uint64_t hash = key_hash(rows[i].values, key_);
      if (applied_before(rows[i], hash)) continue;
      auto& live = inserted[hash];
      if (rows[i].op == row_op::upsert) {
        if (from_stream(rows[i])) live.push_back(i);
        else live.clear();  // same hash, maybe not the same row: only ever fewer cancels
        continue;
      }
      for (auto it = live.rbegin(); it != live.rend(); ++it) {
        if (!same(rows[*it], rows[i])) continue;
        out[*it] = out[i] = true;
        live.erase(std::next(it).base());
        break;
      }
    }
    return out;
  }

  bool applied_before(const load_row& row, std::uint64_t hash) const {
    if (!from_stream(row)) return false;  // snapshot rows are read anew after a restart
    stream_pair at{row.commit_lsn, row.lsn};
    if (at != stored_) return at < stored_;
    const auto& ties = applied_.tie_keys;
    return std::find(ties.begin(), ties.end(), hash) != ties.end();
  }

  void advance(stream_pair at, std::optional<std::uint64_t> hash) {
    auto& pos = plan_.position;
    stream_pair now{pos.commit_lsn, pos.lsn};
    if (at < now) return;
    if (at > now) {
      pos.commit_lsn = at.first;
      pos.lsn = at.second;
      pos.tie_keys.clear();
    }
    if (hash && std::find(pos.tie_keys.begin(), pos.tie_keys.end(), *hash) == pos.tie_keys.end())
      pos.tie_keys.push_back(*hash);
    plan_.advanced = true;
  }

  // Rows of one segment touch distinct keys, so that each statement sees a key once;
  // a key seen again starts the next segment (a snapshot row and a later change of it).
  void place(std::initializer_list<std::uint64_t> hashes) {
    for (auto h : hashes)
      if (segment_keys_.count(h)) {
        ++segment_;
        segment_keys_.clear();
        break;
      }
    segment_keys_.insert(hashes.begin(), hashes.end());
  }

  std::uint32_t set_of(const load_row& row) {
    std::vector<std::size_t> present;
    for (std::size_t c = 0; c < rel_.columns.size(); ++c)
      if (row.values[c].kind != value_kind::unchanged_toast) present.push_back(c);
    auto [it, added] = sets_.emplace(std::move(present), static_cast<std::uint32_t>(plan_.column_sets.size()));
    if (added) plan_.column_sets.push_back(it->first);
    return it->second;
  }

  void stage(staged_op op, const column_value* values, std::uint32_t set = 0, std::uint32_t pair = 0) {
    plan_.rows.push_back({op, values, segment_, set, pair});
    if (op != staged_op::moved_from) steps_.insert({segment_, order_of(op), set});  // its moved row's step uses it
  }

  static int order_of(staged_op op) {
    switch (op) {
      case staged_op::delete_row: return 0;
      case staged_op::moved_from:  // never a step of its own
      case staged_op::moved: return 1;
      case staged_op::upsert: return 2;
      case staged_op::partial: return 3;
    }
    return 3;
  }

  void add(const load_row& row) {
    std::uint64_t hash = key_hash(row.values, key_);
    if (applied_before(row, hash)) {
      ++plan_.skipped;
      return;
    }
    if (from_stream(row)) advance({row.commit_lsn, row.lsn}, hash);
    place({hash});
    if (row.op == row_op::delete_row) stage(staged_op::delete_row, row.values);
    else if (row.partial()) stage(staged_op::partial, row.values, set_of(row));
    else stage(staged_op::upsert, row.values);
  }

  void add_key_change(const load_row& old_row, const load_row& new_row) {
    std::uint64_t old_hash = key_hash(old_row.values, key_);
    if (applied_before(old_row, old_hash)) {  // one change: both rows went in one transaction
      plan_.skipped += 2;
      return;
    }
    // Under REPLICA IDENTITY FULL the old tuple is whole: it holds the unchanged values.
    if (rel_.replica_identity == 'f') {
      auto& filled = plan_.filled.emplace_back(new_row.values, new_row.values + rel_.columns.size());
      bool complete = true;
      for (std::size_t c = 0; c < filled.size(); ++c) {
        if (filled[c].kind != value_kind::unchanged_toast) continue;
        filled[c] = old_row.values[c];
        complete = complete && filled[c].kind != value_kind::unchanged_toast;
      }
      if (complete) {
        load_row whole = new_row;
        whole.values = filled.data();
        add(old_row);
        add(whole);
        return;
      }
      plan_.filled.pop_back();
    }
    std::uint64_t new_hash = key_hash(new_row.values, key_);
    advance({new_row.commit_lsn, new_row.lsn}, old_hash);
    advance({new_row.commit_lsn, new_row.lsn}, new_hash);
    place({old_hash, new_hash});
    std::uint32_t pair = ++pairs_;
    stage(staged_op::moved_from, old_row.values, 0, pair);
    stage(staged_op::moved, new_row.values, set_of(new_row), pair);
  }

  void finish_steps() {
    for (const auto& [segment, order, set] : steps_) {
      static constexpr staged_op by_order[] = {staged_op::delete_row, staged_op::moved, staged_op::upsert,
                                               staged_op::partial};
      plan_.steps.push_back({segment, by_order[order], set});
    }
  }

  const load_batch& batch_;
  const relation_schema& rel_;
  const std::vector<std::size_t>& key_;
  stream_pair stored_;
  const applied_position& applied_;
  apply_plan plan_;
  std::uint32_t segment_ = 0;
  std::uint32_t pairs_ = 0;
  std::unordered_set<std::uint64_t> segment_keys_;
  std::map<std::vector<std::size_t>, std::uint32_t> sets_;
  std::set<std::tuple<std::uint32_t, int, std::uint32_t>> steps_;  // (segment, order, set): sorted
};

// True when one of the 8 bytes of `w` is below 0x0e (\t, \n, \r among them) or a
// backslash: the word needs a closer look (exact in the bytes' presence, SWAR).
constexpr bool may_need_escape(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  std::uint64_t backslashes = w ^ (ones * '\\');
  return (((w - ones * 0x0e) & ~w) | ((backslashes - ones) & ~backslashes)) & highs;
}

// Plain bytes are appended in runs, eight at a time checked: most values need no escape.
void append_escaped(std::string_view text, std::string& out) {
  const char *p = text.data(), *end = p + text.size(), *plain = p;
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (!may_need_escape(w)) {
        p += 8;
        continue;
      }
    }
    for (const char* stop = std::min(p + 8, end); p < stop; ++p) {
      const char* escape;
      switch (*p) {
        case '\\': escape = "\\\\"; break;
        case '\t': escape = "\\t"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        default: continue;
      }
      out.append(plain, p).append(escape, 2);
      plain = p + 1;
    }
  }
  out.append(plain, end);
}

void append_value(const column_value& v, std::string& out) {
  if (v.kind == value_kind::null || v.kind == value_kind::unchanged_toast) out += "\\N";
  else append_escaped(v.data, out);
}

}  // namespace

std::uint64_t key_hash(const column_value* values, const std::vector<std::size_t>& key) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: stable across builds (the hashes are stored)
  auto mix = [&](unsigned char byte) {
    h ^= byte;
    h *= 1099511628211ull;
  };
  for (auto i : key) {
    const auto& v = values[i];
    if (v.kind == value_kind::unchanged_toast)
      throw std::runtime_error("a key column was sent as unchanged TOAST: the row cannot be matched in the target");
    mix(static_cast<unsigned char>(v.kind));
    auto len = static_cast<std::uint32_t>(v.data.size());
    for (int b = 0; b < 4; ++b) mix(static_cast<unsigned char>(len >> (8 * b)));
    for (char c : v.data) mix(static_cast<unsigned char>(c));
  }
  return h;
}

apply_plan plan_apply(const load_batch& batch, const applied_position& applied, const std::vector<std::size_t>& key) {
  return planner(batch, applied, key).run();
}

bool copies_straight_in(const load_batch& batch) {
  if (batch.truncate_first || batch.rows.empty()) return false;
  std::size_t columns = batch.relation->columns.size();
  return std::all_of(batch.rows.begin(), batch.rows.end(), [&](const load_row& row) {
    return row.op == row_op::upsert && !from_stream(row) && row.count >= columns &&
           (row.copy_line ||
            std::all_of(row.values, row.values + columns,
                        [](const column_value& v) { return v.kind == value_kind::text || v.kind == value_kind::null; }));
  });
}

std::vector<std::uint32_t> copy_order(const load_batch& batch, const std::vector<std::size_t>& key) {
  std::vector<std::uint32_t> order(batch.rows.size());
  std::iota(order.begin(), order.end(), 0u);
  static constexpr std::uint32_t int8_oid = 20, int2_oid = 21, int4_oid = 23;
  if (key.size() != 1) return order;
  auto oid = batch.relation->columns[key[0]].type_oid;
  if (oid != int8_oid && oid != int2_oid && oid != int4_oid) return order;
  std::vector<std::pair<std::int64_t, std::uint32_t>> keyed(batch.rows.size());
  for (std::uint32_t i = 0; i < keyed.size(); ++i) {
    const auto& v = batch.rows[i].values[key[0]];
    const char* end = v.data.data() + v.data.size();
    if (v.kind != value_kind::text || std::from_chars(v.data.data(), end, keyed[i].first).ptr != end) return order;
    keyed[i].second = i;
  }
  if (std::is_sorted(keyed.begin(), keyed.end())) return order;
  std::sort(keyed.begin(), keyed.end());
  for (std::size_t i = 0; i < keyed.size(); ++i) order[i] = keyed[i].second;
  return order;
}

void append_copy_values(const column_value* values, std::size_t columns, std::string& out) {
  for (std::size_t c = 0; c < columns; ++c) {
    if (c > 0) out += '\t';
    append_value(values[c], out);
  }
  out += '\n';
}

void append_copy_row(const staged_row& row, std::size_t columns, std::string& out) {
  for (std::size_t c = 0; c < columns; ++c) {
    append_value(row.values[c], out);
    out += '\t';
  }
  out += static_cast<char>(row.op);
  out += '\t';
  out += std::to_string(row.segment);
  out += '\t';
  out += std::to_string(row.set);
  out += '\t';
  out += std::to_string(row.pair);
  out += '\n';
}

}  // namespace pg2sr::actors
