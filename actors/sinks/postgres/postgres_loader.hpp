// PostgreSQL loader: applies one table's compacted batch to a target PostgreSQL database in
// ONE transaction, together with the table's position (pg2sr.applied), so that what is
// applied and where the stream stands commit atomically: after a crash the replayed rows
// already applied are skipped (exactly-once; postgres_apply.hpp says how). Runs detached
// (blocking libpq); the batcher keeps one load per table in flight and spreads tables over
// max_concurrent_loads of these.
//
// A batch of snapshot rows only (a chunk's rows: no position to store, one row per key) is
// COPY'd straight into the target table, in the order of an integer key: into a table whose
// primary key comes after the snapshot as it is (any other batch builds that key first),
// else inside a savepoint; a unique violation (a key the stream inserted first, a chunk read again after
// a crash) rolls back to it and the batch takes the staged path below. Any other batch:
// TRUNCATE first when the source truncated; its rows COPY'd (text) into a
// temporary staging table of text columns; then per segment of distinct keys, DELETE ...
// USING the staged deletes, the key changes whose TOASTed columns were not sent (UPDATE of
// the old row), INSERT ... ON CONFLICT (key) DO UPDATE of whole rows (DELETE + INSERT when
// the target has no unique index on the key), and UPDATE of the present columns of partial
// rows (unchanged TOAST: the target keeps its value). Rows are matched on the target's
// primary key when the stream carries it, else on the replica identity; a table without
// either matches whole rows (identical rows are one row to pg2sr).
//
// Lost connections, serialization failures and deadlocks are retried (the transaction
// either committed with its position or not at all); any other failure stops the
// pipeline with the server's message.
//
// Receives: load_request (batcher; reply load_ack).
// Sends: nothing else.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/core/messages.hpp"
#include "actors/source/pg_connection.hpp"
#include "actors/source/source_row_reader.hpp"

namespace pg2sr::actors {

struct postgres_loader_settings {
  std::string conninfo;  ///< the target, password included: never logged
  std::string where;     ///< host:port/dbname, for messages
  std::string pipeline;  ///< pg2sr.applied rows are per pipeline and table
  /// Session settings that make the target read values as the source wrote them
  /// (client_encoding, DateStyle, IntervalStyle, lc_monetary).
  std::vector<std::pair<std::string, std::string>> session;
  bool add_columns = false;  ///< add a column the source gained, instead of stopping
  /// The SQL type of a source column (for ADD COLUMN); empty: the loader asks the target
  /// (built-in types only).
  std::function<std::string(const codecs::pgoutput::column_schema&)> column_type;
  /// The source: a row moved (key change with unchanged TOAST values) from a key the target
  /// has no row for (its chunk not read yet) is read there again, whole.
  std::string source_conninfo;
  int max_attempts = 10;                         ///< per batch, for retryable failures
  std::chrono::milliseconds first_backoff{500};  ///< doubles per attempt, at most 30 s
};

/// A target table as its catalog describes it.
struct postgres_target {
  struct column {
    std::string type;  ///< what staged text is cast to: the type without typmod
    bool not_null = false;
  };
  std::string name;  ///< schema.table, for messages
  std::string sql;   ///< quoted schema.table (the key in pg2sr.applied and pg2sr.deferred_keys)
  std::map<std::string, column> columns;
  std::vector<std::string> primary_key;
  std::vector<std::set<std::string>> unique_keys;  ///< column sets ON CONFLICT can name
  bool key_deferred = false;  ///< its primary key comes after the snapshot (postgres_deferred_key.hpp)
};

/// A staging table for one relation's column layout, and how its rows meet the target.
struct postgres_staging {
  std::string sql;               ///< pg_temp."pg2sr_stage_N"
  std::vector<std::size_t> key;  ///< relation columns that identify a target row
  bool whole_row = false;        ///< no key: match every column (as row text)
  bool on_conflict = false;      ///< a unique index on exactly `key`
};

struct postgres_loader_state {
  std::unique_ptr<pg_connection> conn;
  std::unordered_map<std::string, postgres_target> targets;    ///< by schema.table
  std::unordered_map<std::string, postgres_staging> stagings;  ///< by table and column layout
  std::size_t stagings_created = 0;  ///< in this session: names the next one
  std::string copy_buffer;  ///< COPY text being sent, reused
  std::unique_ptr<source_row_reader> source;  ///< made at the first moved row read again
  static inline const char* name = "postgres-loader";
};

loader_actor::behavior_type postgres_loader(loader_actor::stateful_pointer<postgres_loader_state> self,
                                            postgres_loader_settings settings);

}  // namespace pg2sr::actors
