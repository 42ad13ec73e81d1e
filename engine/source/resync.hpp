// Resync after a lost slot. PostgreSQL removed WAL the slot still needed (or the slot was
// dropped): the changes in it are gone, deletes included, so the target can only be made
// right from the source itself. A resync drops the slot, creates it again, and plans every
// selected table's snapshot again (incremental, while streaming); for each table the sink
// also lists the target's keys, in chunks whose keys the source no longer has are deleted
// (actors/snapshot/resync_keys.hpp; DBLog windows keep the stream's own changes out). Asked for by
// `pg2sr resync -c FILE`, or done by a start that finds the slot lost with
// `[source] on_lost_slot = "resync"`. The request is in the checkpoint until the new plan
// is saved, so a crash in between resyncs again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actors/core/checkpoint_store.hpp"
#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/sinks/sink.hpp"
#include "engine/source/slot_commands.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// Why the changes since the checkpoint can no longer be streamed: the slot is lost, or
/// gone while the checkpoint says the pipeline streamed from it; with the remedy. "" when
/// they can.
std::string lost_changes(const std::string& slot_name, const std::optional<server_slot>& slot,
                         const actors::checkpoint_state& state, bool checkpoint_found);

/// Starts a resync: records it in the checkpoint (saved), drops the slot when it exists
/// (`slot_exists`, as the caller just read it) and forgets the snapshot plan and partition
/// sets. Throws std::runtime_error when the slot cannot be dropped (held by another process).
void begin_resync(actors::pg_connection& conn, const std::string& slot, bool slot_exists,
                  actors::checkpoint_state& state, const actors::checkpoint_store& store);

/// After plan_snapshot planned every table again: the target's keys of each table, read
/// through the sink, written to `keys_dir` a chunk of `chunk_rows` at a time, each file a
/// target_keys chunk appended to the table's plan; the request is then done (the caller
/// saves the state).
void plan_resync(sink& target, actors::checkpoint_state& state, const std::filesystem::path& keys_dir,
                 std::uint64_t chunk_rows);

}  // namespace pg2sr::engine
