// The snapshot plan of a start (every selected table not planned yet, split into chunks;
// kept in the checkpoint) and the chunk tasks the chunk readers take from it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actors/core/checkpoint_store.hpp"
#include "actors/core/messages.hpp"
#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// [tables.override] key_column of `t`, or "".
std::string key_column_override(const config::pipeline_config& cfg, const source_table& t);

/// A table without primary key or key_column: its snapshot reads ctid ranges.
bool read_by_ctid(const config::pipeline_config& cfg, const source_table& t);

/// Where the keyless tables' chunks keep the rows they read (actors/snapshot/listed_rows.hpp).
std::filesystem::path listed_rows_dir(const config::pipeline_config& cfg);

/// Where a resync's chunks keep the target keys they check (actors/snapshot/resync_keys.hpp).
std::filesystem::path resync_keys_dir(const config::pipeline_config& cfg);

/// Plans the selected tables not in `state`'s plan yet: all of them, or with mode = never
/// only the ones asked for with `pg2sr snapshot` (`requested`, re-planned even when
/// planned). Keyless tables first, while `exported` (a transaction on the new slot's
/// snapshot, or null) lists their rows; it is let go (reset) before the others, since it
/// holds back vacuum.
void plan_snapshot(const config::pipeline_config& cfg, actors::pg_connection& conn,
                   const std::vector<source_table>& tables, const std::vector<std::string>& requested,
                   std::unique_ptr<actors::pg_connection>& exported, actors::checkpoint_state& state);

/// A task per unfinished chunk of the plan in `state`.
std::vector<actors::chunk_task_ptr> snapshot_tasks(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                                   const actors::checkpoint_state& state);

/// A task per unfinished chunk of `table` (a plan, or chunks added to one).
std::vector<actors::chunk_task_ptr> table_tasks(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                                const actors::snapshot_table_state& table);

/// `table`'s snapshot plan without chunks: its columns and key, as plan_table has them.
actors::snapshot_table_state table_shape(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                         const source_table& table);

/// `pg2sr snapshot` on a running pipeline: `table` planned anew (reading every row), its
/// tasks appended to `tasks`.
actors::snapshot_table_state plan_table_again(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                              const source_table& table, std::vector<actors::chunk_task_ptr>& tasks);

}  // namespace pg2sr::engine
