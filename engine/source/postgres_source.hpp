// Before streaming from a PostgreSQL source: the tables, the publication, the slot and the
// snapshot plan.
#pragma once

#include <string>
#include <vector>

#include "actors/core/checkpoint_store.hpp"
#include "actors/core/messages.hpp"
#include "config/config.hpp"
#include "engine/sinks/sink.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// "host:port/dbname": where the source is, without credentials.
std::string where_of(const config::postgres_connection& pg);

/// Selects the tables (`selected`), has `target` prepare their target tables, makes the
/// publication cover them, creates the slot (so that snapshot watermarks written from now
/// on are in it), and saves the snapshot plan in `state` through `store` (made once, kept
/// in the checkpoint), with a task per unfinished chunk in `tasks`. False (after logging
/// why) when the pipeline cannot start.
bool prepare_postgres_source(const config::pipeline_config& cfg, actors::checkpoint_state& state,
                             bool checkpoint_found, actors::checkpoint_store& store, sink& target,
                             std::vector<actors::chunk_task_ptr>& tasks, std::vector<source_table>& selected);

}  // namespace pg2sr::engine
