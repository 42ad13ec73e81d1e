// Resync after a lost slot (engine/source/resync.hpp).
#include "engine/source/resync.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace pg2sr::engine {

std::string lost_changes(const std::string& slot_name, const std::optional<server_slot>& slot,
                         const actors::checkpoint_state& state, bool checkpoint_found) {
  if (slot) {
    auto risk = slot_wal_risk(*slot);
    return risk && risk->wal_status == "lost" ? risk->message : "";
  }
  if (checkpoint_found && (state.durable_lsn != 0 || !state.snapshot.tables.empty()))
    return "slot \"" + slot_name + "\" is gone (dropped) while the checkpoint says the pipeline streamed from it; " +
           lost_slot_remedy(slot_name);
  return "";
}

void begin_resync(actors::pg_connection& conn, const std::string& slot, bool slot_exists,
                  actors::checkpoint_state& state, const actors::checkpoint_store& store) {
  if (!state.snapshot.resync_pending) {
    state.snapshot.resync_pending = true;
    store.save(state);  // before the slot goes: a crash from here on resyncs again
  }
  if (slot_exists) {
    auto dropped = drop_slot(conn, slot);
    if (!dropped.dropped) throw std::runtime_error("resync: " + dropped.message);
    spdlog::info("resync: {}", dropped.message);
  }
  state.snapshot.tables.clear();
  state.snapshot.partition_leaves.clear();
  // The new slot's positions are not comparable with the old ones: the source may even
  // have gone back in time (a restore, a failover to a standby behind).
  state.durable_lsn = 0;
}

void plan_resync(sink& target, actors::checkpoint_state& state, const std::filesystem::path& keys_dir,
                 std::uint64_t chunk_rows) {
  std::filesystem::remove_all(keys_dir);  // an earlier resync's, or a crashed planning's
  std::size_t chunks = 0;
  std::uint64_t all_keys = 0;
  for (auto& table : state.snapshot.tables) {
    std::vector<actors::target_key> batch;
    std::uint64_t keys = 0, first = 0;  // of this table
    auto flush = [&] {
      actors::snapshot_chunk_state c;
      c.index = static_cast<std::uint32_t>(table.chunks.size());
      c.description = "target keys " + std::to_string(first + 1) + "-" + std::to_string(keys) + " of the resync";
      c.estimated_rows = batch.size();
      c.deletes = true;
      c.target_keys = true;
      c.keys_file = actors::resync_keys_file("", table.relid, c.index).string();  // kept if renumbered
      actors::write_resync_keys(keys_dir / c.keys_file, batch);
      table.chunks.push_back(std::move(c));
      batch.clear();
      first = keys;
      ++chunks;
    };
    bool listed = target.resync_table(table, [&](actors::target_key&& key) {
      batch.push_back(std::move(key));
      ++keys;
      if (batch.size() >= chunk_rows) flush();
    });
    if (listed && !batch.empty()) flush();
    all_keys += keys;
  }
  state.snapshot.resync_pending = false;
  spdlog::info("resync: {} table(s) snapshotted again; {} target key(s) in {} chunk(s) to check against the source, "
               "deleting those it no longer has",
               state.snapshot.tables.size(), all_keys, chunks);
}

}  // namespace pg2sr::engine
