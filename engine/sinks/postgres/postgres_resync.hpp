// The PostgreSQL sink's part of a resync (engine/source/resync.hpp): every key of a target
// table, read once; tables whose rows cannot be found by key are emptied and loaded again.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "actors/snapshot/resync_keys.hpp"
#include "actors/snapshot/snapshot_state.hpp"
#include "config/config.hpp"

namespace pg2sr::engine {

/// sink::resync_table for a PostgreSQL target. TRUNCATEs the table when it is keyless or
/// its primary key is still deferred (its first snapshot never finished: only snapshot
/// rows are in it); else reads its keys through a cursor in a session with the source's
/// text settings (`session`), so that the source reads each back as the value it is.
bool postgres_resync_table(const config::pipeline_config& cfg,
                           const std::vector<std::pair<std::string, std::string>>& session,
                           const actors::snapshot_table_state& table,
                           const std::function<void(actors::target_key&&)>& key);

}  // namespace pg2sr::engine
