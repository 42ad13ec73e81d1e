// Preparing a PostgreSQL source for `pg2sr run` (engine/source/postgres_source.hpp).
#include "engine/source/postgres_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/snapshot/listed_rows.hpp"
#include "actors/snapshot/resync_keys.hpp"
#include "actors/source/pg_replication_source.hpp"
#include "engine/sinks/target_problems.hpp"
#include "engine/snapshot/snapshot_requests.hpp"
#include "engine/snapshot/snapshot_tasks.hpp"
#include "engine/source/partition_watch.hpp"
#include "engine/source/publication.hpp"
#include "engine/source/resync.hpp"
#include "engine/source/slot_commands.hpp"
#include "engine/state_dir.hpp"
#include "engine/stop_signals.hpp"

namespace pg2sr::engine {

using actors::checkpoint_state;
using actors::checkpoint_store;
using actors::chunk_task_ptr;

// "host:port/dbname": where the source is, without credentials.
std::string where_of(const config::postgres_connection& pg) {
  return pg.host + ":" + std::to_string(pg.port) + "/" + pg.dbname;
}

namespace {

// Creates the pipeline's slot; returns a transaction on the snapshot it exported, or null.
// Keyless tables to snapshot need that snapshot (see plan_snapshot), which takes a walsender for
// a moment; without them, or when no walsender is free (the reader waits for one later),
// the SQL function creates the slot and keyless tables are read whole.
std::unique_ptr<actors::pg_connection> create_pipeline_slot(const config::pipeline_config& cfg,
                                                            actors::pg_connection& conn,
                                                            const std::vector<source_table>& tables, bool snapshot) {
  const auto& src = cfg.source;
  bool keyless = snapshot &&
                 std::any_of(tables.begin(), tables.end(), [&](const source_table& t) { return read_by_ctid(cfg, t); });
  if (keyless) {
    try {
      auto created = create_slot(config::conninfo(src.postgres, true), src.slot);
      spdlog::info("source {}: created replication slot {} at {}", where_of(src.postgres), src.slot,
                   created.consistent_point);
      if (!created.exported)
        spdlog::warn("source {}: the snapshot slot {} exported could not be imported; keyless tables are read whole",
                     where_of(src.postgres), src.slot);
      return std::move(created.exported);
    } catch (const actors::pg_error& e) {
      if (actors::replication_error_is_permanent(e.sqlstate(), e.what())) throw;
      spdlog::warn("source {}: no replication connection to create slot {} with its snapshot ({}); creating it "
                   "without: keyless tables are read whole, so a row the stream also brings is loaded twice into "
                   "an append-only target",
                   where_of(src.postgres), src.slot, actors::explain_replication_error(e.sqlstate(), e.what(), src.slot));
    }
  }
  auto created = conn.query("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", {src.slot});
  spdlog::info("source {}: created replication slot {} at {}", where_of(src.postgres), src.slot,
               created[0][0].value_or("?"));
  return nullptr;
}

}  // namespace

// Before streaming from PostgreSQL: which tables, a publication that covers them, the slot
// (created now, so that snapshot watermarks written from now on are in it), and the
// snapshot plan (made once, kept in the checkpoint) with a task per unfinished chunk.
// Returns false (after logging why) when the pipeline cannot start.
bool prepare_postgres_source(const config::pipeline_config& cfg, checkpoint_state& state, bool checkpoint_found,
                             checkpoint_store& store, sink& target, std::vector<chunk_task_ptr>& tasks,
                             std::vector<source_table>& selected) {
  const auto& src = cfg.source;
  try {
    actors::pg_connection conn(config::conninfo(src.postgres, true));
    auto tables = select_tables(conn, cfg.tables);
    if (tables.empty() && src.publication_mode != config::publication_mode::all_tables) {
      spdlog::error("no table of {} matches [tables] include/exclude; nothing to replicate", where_of(src.postgres));
      return false;
    }
    target.prepare_target(conn, tables);  // before anything is created on the source
    for (const auto& t : tables)
      if (!t.updatable_when_published())
        spdlog::warn("table {} has no primary key and REPLICA IDENTITY {}: its UPDATEs and DELETEs will fail on the "
                     "source once published; add a primary key or ALTER TABLE ... REPLICA IDENTITY FULL",
                     t.qualified(), t.replica_identity == 'n' ? "NOTHING" : "DEFAULT");
    auto action = ensure_publication(conn, src.publication, src.publication_mode, tables);
    spdlog::info("source {}: {} table(s) selected; publication {} {}", where_of(src.postgres), tables.size(),
                 src.publication,
                 action == publication_action::created   ? "created"
                 : action == publication_action::altered ? "altered to the selection"
                                                         : "as it is");
    std::unique_ptr<actors::pg_connection> exported;  // sees what the new slot will not stream
    stop_if_signalled();
    const auto& dir = cfg.pipeline.state_dir;
    auto ours = find_slot(read_slots(conn), src.slot);
    bool slot_exists = ours.has_value();
    if (slot_exists && !checkpoint_found && slot_unplanned(dir, src.slot)) {
      // Made by the last start, which stopped before saving its plan: nothing was loaded.
      auto dropped = drop_slot(conn, src.slot);
      if (!dropped.dropped) {
        spdlog::error("source {}: {}", where_of(src.postgres), dropped.message);
        return false;
      }
      spdlog::info("source {}: the last start created slot {} and stopped before it saved its snapshot plan; {}, to "
                   "be created again with a snapshot to plan by",
                   where_of(src.postgres), src.slot, dropped.message);
      slot_exists = false;
    }
    if (!slot_exists) ours.reset();
    bool resync = state.snapshot.resync_pending;
    if (auto lost = lost_changes(src.slot, ours, state, checkpoint_found); !lost.empty() && !resync) {
      if (src.on_lost_slot == config::lost_slot_action::fail) {
        spdlog::error("source {}: {}", where_of(src.postgres), lost);
        return false;
      }
      spdlog::warn("source {}: {}", where_of(src.postgres), lost);
      spdlog::warn("source {}: on_lost_slot = \"resync\": resyncing now", where_of(src.postgres));
      resync = true;
    } else if (auto risk = ours ? slot_wal_risk(*ours) : std::nullopt; risk && !resync) {
      spdlog::warn("source {}: {}", where_of(src.postgres), risk->message);
    }
    if (resync) {
      if (auto why = target.resync_unsupported(); !why.empty()) {
        spdlog::error("resync: sink {}: {}; start over instead: `pg2sr slot drop -c FILE`, empty the target tables, "
                      "remove {}, and run again",
                      config::to_string(cfg.sink.kind), why, store.file().string());
        return false;
      }
      begin_resync(conn, src.slot, slot_exists, state, store);
      spdlog::info("source {}: resync: slot {} is created again and every selected table's snapshot taken again",
                   where_of(src.postgres), src.slot);
      slot_exists = false;
    }
    bool snapshot = cfg.snapshot.mode != config::snapshot_mode::never || resync;
    if (!slot_exists) {
      if (snapshot) mark_slot_unplanned(dir, src.slot);
      exported = create_pipeline_slot(cfg, conn, tables, snapshot);
    } else if (!checkpoint_found && cfg.snapshot.mode != config::snapshot_mode::never)
      spdlog::warn("replication slot {} exists but {} holds no checkpoint (lost, or another state_dir than the "
                   "last run's): the snapshot is taken again, since what the target already holds is unknown; its "
                   "rows are loaded again (tables with a primary key end the same, Duplicate Key tables and jsonl "
                   "get them twice). Stop now and restore {} to resume instead",
                   src.slot, cfg.pipeline.state_dir.string(), store.file().string());
    selected = tables;
    // The partitions a root has when first seen: from then on the running pipeline follows
    // their changes (engine/source/partition_watch.hpp). Kept as they are for a root read
    // again: the changes since are still owed.
    bool recorded = false;
    for (auto& [root, leaves] : partition_leaves(conn, tables))
      recorded = state.snapshot.partition_leaves.try_emplace(root, leaves).second || recorded;
    auto requested = take_snapshot_requests(cfg.pipeline.state_dir);
    if (resync)
      for (const auto& t : tables) requested.push_back(t.qualified());
    if (cfg.snapshot.mode == config::snapshot_mode::never && requested.empty()) {
      if (recorded) store.save(state);
      // An earlier plan's unfinished chunks (a resync, a `pg2sr snapshot` request) go on.
      if (!state.snapshot.complete()) tasks = snapshot_tasks(cfg, conn, state);
      return true;
    }
    plan_snapshot(cfg, conn, tables, requested, exported, state);
    exported.reset();
    if (resync) plan_resync(target, state, resync_keys_dir(cfg), std::max<std::uint64_t>(cfg.snapshot.chunk_rows, 1));
    store.save(state);  // the plan is durable before the first chunk is read
    clear_slot_unplanned(dir);
    if (auto gone = actors::remove_unneeded_listed_rows(listed_rows_dir(cfg), state.snapshot))
      spdlog::info("removed {} list(s) of rows that no unfinished snapshot chunk reads", gone);
    if (auto gone = actors::remove_unneeded_resync_keys(resync_keys_dir(cfg), state.snapshot))
      spdlog::info("removed {} list(s) of target keys that no unfinished resync chunk reads", gone);
    tasks = snapshot_tasks(cfg, conn, state);
    return true;
  } catch (const target_problems& e) {
    for (const auto& problem : e.problems()) spdlog::error("{}", problem);
    return false;
  } catch (const std::exception& e) {
    spdlog::error("source {}: {}", where_of(src.postgres), e.what());
    return false;
  }
}

}  // namespace pg2sr::engine
