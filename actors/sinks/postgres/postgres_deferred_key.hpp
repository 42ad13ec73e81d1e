// A target table pg2sr created for a snapshot gets its primary key after the rows are in,
// as pg_dump and pgcopydb do: COPY into a table without index is nearly twice as fast
// (pgbench_accounts, 5M rows, here: 5 s against 8.8 s), and one sorted index build (1.4 s)
// beats five million index inserts. pg2sr.deferred_keys holds the
// key of such a table (per pipeline) until it is built.
//
// While a key is deferred only snapshot rows enter the table (COPY): the first batch of the
// stream for it builds the key first, and so does the end of the snapshot. Snapshot rows of
// one key can then be in twice only when a chunk was read again after a restart; no stream
// change was applied in between, so both copies hold the row as it was before any change
// still to come, and the build keeps one of them.
#pragma once

#include <optional>
#include <string>

#include "actors/source/pg_connection.hpp"

namespace pg2sr::actors {

// pg2sr.deferred_keys itself is created with pg2sr.applied (engine/sinks/postgres/postgres_target.hpp).

/// Records that `table_sql` (the quoted "schema"."table", the key of its row: unquoted,
/// "a.b".c and a."b.c" would share one) gets PRIMARY KEY (`key_columns`, quoted and
/// comma-separated) once its snapshot is in; in the caller's transaction.
void defer_key(pg_connection& target, const std::string& pipeline, const std::string& table_sql,
               const std::string& key_columns);

/// How deferred_key() locks the row it reads, to the end of the caller's transaction:
/// `share` keeps a build from running meanwhile, `update` is the build's own.
enum class row_lock { none, share, update };

/// The deferred key of `table_sql` (its quoted name), if any.
std::optional<std::string> deferred_key(pg_connection& target, const std::string& pipeline,
                                        const std::string& table_sql, row_lock lock);

/// Builds the deferred key of `table_sql` (`table_name`: schema.table, for messages) in one transaction
/// of its own, removing the extra copies of rows loaded twice; true when it built one
/// (false: there was none, or another session built it first).
bool build_deferred_key(pg_connection& target, const std::string& pipeline, const std::string& table_name,
                        const std::string& table_sql);

}  // namespace pg2sr::actors
