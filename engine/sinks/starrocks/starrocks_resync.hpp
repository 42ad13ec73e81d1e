// The StarRocks sink's part of a resync (engine/source/resync.hpp): a Primary Key table's
// keys read once through the FE's HTTP SQL API (StarRocks 3.2+; Stream Load cannot read).
#pragma once

#include <functional>

#include "actors/sinks/starrocks/starrocks_loader.hpp"
#include "actors/snapshot/resync_keys.hpp"
#include "actors/snapshot/snapshot_state.hpp"
#include "config/config.hpp"

namespace pg2sr::engine {

/// sink::resync_table for StarRocks. A Duplicate Key table (append only, its copies
/// indistinguishable) cannot be emptied over HTTP: empty, it is loaded again (false);
/// holding rows, it throws with the TRUNCATE TABLE to run first (the resync stays pending).
bool starrocks_resync_table(const config::pipeline_config& cfg, const actors::starrocks_targets& targets,
                            const actors::snapshot_table_state& table,
                            const std::function<void(actors::target_key&&)>& key);

}  // namespace pg2sr::engine
