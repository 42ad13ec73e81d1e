// How the PostgreSQL loader turns one table's batch into staged rows: which rows a replay
// skips (the position stored in the target with every batch), in which order the rest are
// applied, and their COPY text. Pure: no connection, testable on its own.
//
// Exactly-once: the target stores, per pipeline and table, the (commit LSN, LSN) of the
// last change it applied and the hashes of the keys applied at exactly that pair (several
// rows share one LSN when PostgreSQL wrote them in one WAL record, e.g. COPY's multi-insert,
// and a batch may end between them). A stream row at or below that pair was applied before
// a crash and is skipped; snapshot rows (LSN 0) are always applied: a chunk replayed after a
// restart is read anew, never replayed from the WAL.
//
// A batch of snapshot rows only moves no position and needs no order among its rows: it
// can be COPY'd straight into the target (copies_straight_in), falling back to the plan when
// a key is already there.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "actors/core/load_batch.hpp"

namespace pg2sr::actors {

/// What the target holds about one table: the last change applied.
struct applied_position {
  lsn_t commit_lsn = 0;  ///< its transaction's commit LSN (0: nothing applied yet)
  lsn_t lsn = 0;         ///< its own WAL position
  std::vector<std::uint64_t> tie_keys;  ///< key hashes of the rows applied at exactly (commit_lsn, lsn)
};

/// What a staged row does; the value is its text in the staging table's op column.
enum class staged_op : char {
  delete_row = 'd',  ///< delete the row with this key
  moved_from = 'o',  ///< the old key of the `moved` row with the same pair number
  moved = 'm',       ///< key change with unchanged TOAST columns: the old row takes the new key and present columns
  upsert = 'u',      ///< the whole row
  partial = 'p',     ///< update the present columns of column set `set` (the others are unchanged TOAST)
};

struct staged_row {
  staged_op op = staged_op::upsert;
  const column_value* values = nullptr;  ///< one per relation column
  std::uint32_t segment = 0;  ///< rows of one segment touch distinct keys; segments apply in order
  std::uint32_t set = 0;      ///< partial, moved: index into apply_plan::column_sets
  std::uint32_t pair = 0;     ///< moved, moved_from: pairs them
};

/// One statement to run: the rows of `op` (and column set `set`) of `segment`.
struct apply_step {
  std::uint32_t segment = 0;
  staged_op op = staged_op::upsert;
  std::uint32_t set = 0;
  bool operator==(const apply_step&) const = default;
};

struct apply_plan {
  bool truncate = false;  ///< TRUNCATE the target first
  std::vector<staged_row> rows;
  std::vector<apply_step> steps;  ///< per segment: deletes, moves, upserts, partial updates
  std::vector<std::vector<std::size_t>> column_sets;  ///< present columns of partial and moved rows
  std::size_t skipped = 0;        ///< rows applied before (a replay)
  std::size_t cancelled = 0;      ///< keyless rows inserted then deleted in the batch
  bool advanced = false;          ///< `position` moved: store it with the batch
  applied_position position;      ///< the table's position once the batch is applied
  std::deque<std::vector<column_value>> filled;  ///< rows completed from their old tuple
};

/// Plans `batch` against the table's stored position; `key` are the relation columns that
/// identify a row in the target. Throws std::runtime_error for a row that cannot be applied
/// (a key column sent as unchanged TOAST, binary values).
apply_plan plan_apply(const load_batch& batch, const applied_position& applied, const std::vector<std::size_t>& key);

/// A row's `key` values, hashed (kind and length included: ("ab","c") != ("a","bc")).
/// Throws std::runtime_error when one of them is unchanged TOAST.
std::uint64_t key_hash(const column_value* values, const std::vector<std::size_t>& key);

/// True when every row of `batch` is a whole snapshot row (no stream change, no TRUNCATE)
/// with a text or NULL value per relation column: COPY can write them as they are into the
/// target.
bool copies_straight_in(const load_batch& batch);

/// The order to COPY a snapshot batch's rows in (indexes into batch.rows): by the value of
/// an integer key (one int2, int4 or int8 column), else as they are. A batch holds its
/// chunks in the order their reads finished; a btree filled out of key order splits pages
/// in half instead of growing at its right edge (pgbench_accounts cloned: its key's index
/// 21% larger unsorted).
std::vector<std::uint32_t> copy_order(const load_batch& batch, const std::vector<std::size_t>& key);

/// Appends the first `columns` values as a line of COPY text (NULL as \N).
void append_copy_values(const column_value* values, std::size_t columns, std::string& out);

/// Appends `row` as a line of COPY text: its `columns` values (NULL and unchanged TOAST as
/// \N), then op, segment, set and pair.
void append_copy_row(const staged_row& row, std::size_t columns, std::string& out);

}  // namespace pg2sr::actors
