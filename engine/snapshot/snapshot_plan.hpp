// Chunk planning for the incremental snapshot (DESIGN.md, "The incremental snapshot"): a
// table's key, its column list in pgoutput order, and the chunks (SQL predicates) that
// together read every row exactly once, each a short statement.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "engine/snapshot/snapshot_catalog.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// One chunk of a table: `SELECT <select_list> FROM <table> WHERE <predicate>`.
struct planned_chunk {
  std::uint32_t index = 0;  ///< 0, 1, ... in plan order
  /// SQL boolean expression with quoted identifiers and literals, e.g.
  /// ("id" >= '1' AND "id" < '50001'); the NULL-key chunk is ("k" IS NULL).
  std::string predicate;
  std::string description;  ///< for logs: [1, 50001), (-inf, 50001), [50001, +inf), NULL keys
  std::uint64_t estimated_rows = 0;
};

/// How one table is read by the snapshot.
struct snapshot_table_plan {
  std::uint32_t relid = 0;
  std::string schema, name;
  std::vector<std::string> columns;      ///< pgoutput order (no generated columns)
  std::vector<std::string> key_columns;  ///< empty when key_source is "ctid"
  std::string key_source;                ///< "primary key", "key_column" or "ctid"
  std::vector<planned_chunk> chunks;
  std::uint64_t estimated_rows = 0;  ///< count(*) when planned
  std::string select_list;           ///< quoted `columns`, comma separated
};

/// Plans the chunks of `table` with about `chunk_rows` rows each. The key is
/// `key_column_override` when not empty, else the primary key, else none (ctid block
/// ranges). Reads run in one REPEATABLE READ READ ONLY transaction when `conn` is idle.
/// The first chunk has no lower bound and the last none above, so rows inserted outside
/// the planned range are still read. Throws pg_error (SQL) or std::invalid_argument
/// (unknown or generated key column), the message naming the table.
snapshot_table_plan plan_table(actors::pg_connection& conn, const source_table& table,
                               const std::string& key_column_override, std::uint64_t chunk_rows);

/// plan_table without chunks (nor counting rows): the columns and the key.
snapshot_table_plan plan_table_shape(actors::pg_connection& conn, const source_table& table,
                                     const std::string& key_column_override);

/// For a keyless table planned with a new slot: lists, chunk by chunk, the row versions
/// `exported` sees (a transaction on the slot's exported snapshot: the rows the slot will
/// not stream) into actors::listed_rows_file(dir, plan.relid, chunk), each file durable.
/// A chunk then reads exactly those that still exist: a row the stream brings too would
/// be loaded twice, since a keyless row has no key a second copy could replace. Returns
/// how many row versions were listed.
std::uint64_t list_rows_before_slot(actors::pg_connection& exported, const snapshot_table_plan& plan,
                                    const std::filesystem::path& dir);

/// Checkpoints of an earlier pg2sr, planned before list_rows_before_slot: the SQL condition
/// that keeps a keyless table's rows written by transactions `snapshot`
/// (pg_current_snapshot() text) sees, by their xmin widened with the reading
/// transaction's epoch. Inexact: a frozen row's raw xmin from an earlier xid epoch can
/// look newer than the snapshot, and a row of a subtransaction older.
std::string written_before_predicate(const std::string& snapshot);

}  // namespace pg2sr::engine
