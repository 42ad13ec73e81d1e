// The incremental snapshot's plan and progress: which key-range chunks each table has and
// which are durably in the target. Part of the checkpoint, so a restart reads only the
// unfinished chunks again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pg2sr::actors {

struct snapshot_chunk_state {
  std::uint32_t index = 0;
  std::string predicate;    ///< SQL condition selecting the chunk's rows
  std::string description;  ///< for logs, e.g. [1, 50001)
  std::uint64_t estimated_rows = 0;
  bool done = false;        ///< its rows are durable in the target
  /// Read from this relation instead of the table: a partition detached from a partitioned
  /// table, by oid since it may be renamed or moved meanwhile. 0 reads the table.
  std::uint32_t source_relid = 0;
  /// The rows read are deleted from the target (a detached partition's rows), not loaded.
  bool deletes = false;
  /// A resync's chunk of target keys (with deletes), listed in a file
  /// (actors/snapshot/resync_keys.hpp): those the source no longer has are deleted.
  bool target_keys = false;
  std::string keys_file;  ///< its file's name in state_dir/resync-keys/
};

struct snapshot_table_state {
  std::uint32_t relid = 0;
  std::string schema, name;
  std::string select_list;               ///< quoted columns in pgoutput order
  std::vector<std::string> columns;      ///< pgoutput order
  std::vector<std::string> key_columns;  ///< what chunks split on and rows are matched by
  std::string key_source;                ///< "primary key", "key_column" or "ctid"
  /// Keyless tables planned with the slot: each chunk reads only the row versions the
  /// slot's exported snapshot saw, listed in a file per chunk (actors/snapshot/listed_rows.hpp).
  bool rows_listed = false;
  /// Keyless tables planned with the slot by an earlier pg2sr (its checkpoints): the
  /// exported snapshot as pg_current_snapshot() text; chunks keep the rows whose xmin it
  /// sees. "" otherwise.
  std::string written_before;
  std::vector<snapshot_chunk_state> chunks;
  std::string qualified() const { return schema + "." + name; }
  std::size_t chunks_done() const;
};

struct snapshot_state {
  std::vector<snapshot_table_state> tables;
  /// Of each selected partitioned table: its leaf partitions (relids, sorted) as the target
  /// holds them, i.e. once the chunks that load an attached one's rows and delete a
  /// detached one's are planned (engine/source/partition_watch.hpp).
  std::map<std::uint32_t, std::vector<std::uint32_t>> partition_leaves;
  /// A resync was asked for (`pg2sr resync`, or a lost slot with on_lost_slot = "resync")
  /// and its plan is not saved yet: the next start drops the slot and plans it.
  bool resync_pending = false;
  bool complete() const;
  std::size_t chunks_total() const;
  std::size_t chunks_done() const;
  snapshot_table_state* find(std::uint32_t relid);
  const snapshot_table_state* find(std::uint32_t relid) const;
};

/// Identifies one chunk in messages and watermarks.
struct chunk_ref {
  std::uint32_t relid = 0;
  std::uint32_t index = 0;
  bool operator==(const chunk_ref&) const = default;
};

}  // namespace pg2sr::actors
