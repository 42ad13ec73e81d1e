// The row versions a keyless table's snapshot chunk reads: the ones the slot's exported
// snapshot saw, listed once when the slot is created (engine/snapshot/snapshot_plan.hpp), one file
// per chunk in the state_dir. Every later version of a row is in the slot's stream; a
// keyless row has no key a second copy could replace, so a chunk must read exactly these.
//
// A row version is (tableoid, ctid, raw xmin). While the listing transaction runs, no
// version it sees can be removed. After it, a place freed by a delete can hold a version
// written after the slot: its raw xmin differs, except when the deleted row was frozen in
// an earlier xid epoch and the new one's transaction id repeats its raw xmin modulo 2^32.
// A rewrite (VACUUM FULL, CLUSTER, ALTER TABLE) moves every version: the list keeps each
// partition's relfilenode, and a chunk of a rewritten table stops the pipeline rather than
// guess.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "actors/snapshot/snapshot_state.hpp"
#include "actors/source/pg_connection.hpp"

namespace pg2sr::actors {

/// The versions of one chunk, as PostgreSQL array literals (oid[], tid[], int8[]).
struct listed_rows {
  std::string tableoids;  ///< of each version: partitions of a partitioned table share ctids
  std::string ctids;
  std::string xmins;      ///< the raw 32-bit xmin
  std::string leaves;     ///< the table's partitions (itself when not partitioned)...
  std::string filenodes;  ///< ...and their relfilenodes when listed
  std::uint64_t count = 0;
};

/// Where chunk `chunk` of table `relid` keeps its list under `dir` (numbers only: no name
/// from the source reaches a file name).
std::filesystem::path listed_rows_file(const std::filesystem::path& dir, std::uint32_t relid, std::uint32_t chunk);

/// Writes `rows` to `file` durably (write, fsync, rename, fsync the folder). Throws
/// std::invalid_argument when a field is not an array literal.
void write_listed_rows(const std::filesystem::path& file, const listed_rows& rows);

/// Reads what write_listed_rows wrote. Throws std::runtime_error when the file is missing
/// or not such a list.
listed_rows read_listed_rows(const std::filesystem::path& file);

/// Inside the transaction that reads chunk rows of `table_sql`: holds the table (ACCESS
/// SHARE until the transaction ends, so it cannot be rewritten before the read) and tells
/// whether its partitions still have the relfilenodes `rows` were listed in.
bool listed_rows_in_place(pg_connection& conn, const std::string& table_sql, const listed_rows& rows);

/// The SQL condition "this row version is one of `rows`", literals quoted through `conn`.
std::string listed_rows_condition(pg_connection& conn, const listed_rows& rows);

/// Removes the lists under `dir` that no unfinished chunk of `snapshot` reads; returns how
/// many.
std::size_t remove_unneeded_listed_rows(const std::filesystem::path& dir, const snapshot_state& snapshot);

}  // namespace pg2sr::actors
