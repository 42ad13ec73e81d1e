// What the batcher hands a loader: one table's compacted rows, with everything they view.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/snapshot/snapshot_state.hpp"
#include "codecs/pgoutput/change_event.hpp"

namespace pg2sr::actors {

using codecs::pgoutput::column_value;
using codecs::pgoutput::lsn_t;
using codecs::pgoutput::relation_schema;

enum class row_op : std::uint8_t { upsert, delete_row };

/// One compacted row: the final state of its key within the batch.
/// upsert: the new tuple; columns whose kind is unchanged_toast are absent (partial update:
/// keep the target's value). delete_row: the old tuple (key columns set; under REPLICA
/// IDENTITY FULL the whole row).
struct load_row {
  row_op op = row_op::upsert;
  const column_value* values = nullptr;
  std::uint32_t count = 0;
  lsn_t lsn = 0;         ///< WAL position of the last change folded into this row
  lsn_t commit_lsn = 0;  ///< commit LSN of that change's transaction
  /// A snapshot row whose values are one COPY text line in place (insert_copy_line): a
  /// COPY into the target sends the line as it is.
  bool copy_line = false;
  /// A partial upsert of a key the row moved to (its key changed while TOAST columns were
  /// unchanged): a target that keeps rows by key alone never had that key, so the row's
  /// missing columns must come from elsewhere (the source).
  bool moved = false;
  /// The delete of the old key of a `moved` row, right before it: together they move the
  /// target's row, so no later row of that key may take its place.
  bool moves_out = false;
  std::uint32_t xid = 0;  ///< transaction of the last change folded in (stream rows)
  bool partial() const;
  /// That line, without its newline (copy_line rows only).
  std::string_view line() const;
};

/// One table's rows for one load. Per table, loads are applied strictly in id order.
struct load_batch {
  std::uint64_t id = 0;  ///< increasing per pipeline run
  std::uint32_t relid = 0;
  std::shared_ptr<const relation_schema> relation;  ///< one schema per batch (a new R starts a new batch)
  bool truncate_first = false;  ///< a TRUNCATE came before `rows`
  /// Every row is a snapshot row (no stream change): its keys are in no other batch, so it
  /// may load beside the table's other such batches.
  bool snapshot_rows_only = true;
  /// A keyless table's batch: identical rows are copies, none folded into another.
  bool distinct_rows = false;
  lsn_t truncate_lsn = 0, truncate_commit_lsn = 0;  ///< that TRUNCATE's WAL position and commit LSN
  std::vector<load_row> rows;
  std::vector<chunk_ref> chunks;  ///< the snapshot chunks its snapshot rows come from
  std::uint64_t first_position = 0, last_position = 0;  ///< stream positions of its events
  lsn_t first_lsn = 0, last_lsn = 0;                    ///< WAL range of its events (labels)
  std::size_t events = 0;  ///< change events folded in (before compaction)
  std::size_t bytes = 0;   ///< value bytes, an estimate of the load size
  std::vector<std::shared_ptr<const codecs::pgoutput::change_batch>> sources;  ///< keep views alive
  std::deque<std::vector<column_value>> merged;  ///< storage of rows merged from partial updates
};

using load_batch_ptr = std::shared_ptr<const load_batch>;

}  // namespace pg2sr::actors
