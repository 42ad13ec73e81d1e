// What `pg2sr run` asks of a sink, whatever it is. Each sink has a folder per layer
// (actors/sinks/<name>/ for its loader actors, engine/sinks/<name>/ for set-up) and one
// line in make_sink (engine/sinks/sink.cpp). The engine calls, in this order:
//   prepare_for_synthetic_source (synthetic source only, before the state_dir is held) ->
//   settle (first call once the run holds the state_dir) -> prepare_target (PostgreSQL
//   source only, before the slot) -> spawn_loaders -> spawn_committer -> shape_batches ->
//   finish_after_snapshot (PostgreSQL source, once the snapshot is durable, and again at a
//   clean stop) -> done_summary. `pg2sr check` asks check, `pg2sr ddl` takes_ddl and ddl.
//   A resync asks resync_unsupported, then resync_table per table.
#pragma once

#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/core/batcher.hpp"
#include "actors/core/checkpoint_store.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"
#include "actors/snapshot/resync_keys.hpp"
#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/source/preflight.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

class sink {
 public:
  virtual ~sink() = default;

  /// A synthetic source has no catalog to prepare the target from: what the target needs
  /// anyway. Throws std::exception naming the target.
  virtual void prepare_for_synthetic_source() {}

  /// After a crash, before anything is loaded: settles what the last run left in the
  /// target (prepared loads, loads in flight), saving `state` through `store` when it
  /// changes. False when the pipeline cannot start (the reasons logged).
  virtual bool settle(actors::checkpoint_state& state, actors::checkpoint_store& store) { return true; }

  /// The selected tables of a PostgreSQL source, read through `source`, before the slot:
  /// checks (and with create_tables, creates) their target tables. Throws
  /// starrocks_schema_error / postgres_target_error listing every problem, or
  /// std::exception.
  virtual void prepare_target(actors::pg_connection& source, const std::vector<source_table>& tables) {}

  /// The sink's own limits on batches (e.g. loads per table at once).
  virtual void shape_batches(actors::batcher_settings& settings) const {}

  /// Spawns the loader actors the batcher sends batches to.
  virtual std::vector<actors::loader_actor> spawn_loaders(caf::actor_system& system,
                                                          actors::pipeline_metrics& metrics) = 0;

  /// The actor that commits loads once the checkpoint recorded them, if the sink has one.
  virtual std::optional<actors::committer_actor> spawn_committer(caf::actor_system& system) { return std::nullopt; }

  /// Once the snapshot of `tables` is durable: what the target gets only then (keys,
  /// indexes). False when that failed (logged): the run exits 1 and the next start tries
  /// again.
  virtual bool finish_after_snapshot(const std::vector<source_table>& tables) { return true; }

  /// Appended to the last log line of a clean stop.
  virtual std::string done_summary(const actors::pipeline_metrics& metrics) const { return ""; }

  /// Resync (a lost slot, engine/source/resync.hpp): why this sink cannot delete from its
  /// target the rows the source no longer has, or "" when it can.
  virtual std::string resync_unsupported() const {
    return "this sink cannot read its target's keys, so the rows deleted in the source while no slot kept its WAL "
           "could not be found";
  }
  /// Resync, `table` just planned again (its snapshot reads every row), before anything
  /// loads: calls `key` with the key of every row of its target table (a text value per
  /// key column, readable as the source's type; rows with a NULL key left out) and returns
  /// true; or empties the target table instead and returns false (keyless rows have no
  /// key to be found by). Throws std::exception naming the target.
  virtual bool resync_table(const actors::snapshot_table_state& table,
                            const std::function<void(actors::target_key&&)>& key) {
    return false;
  }

  /// `pg2sr check`: what the sink can tell of its target before a run.
  virtual std::vector<check_result> check() const { return {}; }

  /// `pg2sr ddl`: whether the sink's target tables are made from DDL pg2sr prints...
  virtual bool takes_ddl() const { return false; }
  /// ...and that DDL for `tables`, read through `source`. Throws target_problems.
  virtual std::string ddl(actors::pg_connection& source, const std::vector<source_table>& tables) const { return ""; }
};

/// The sink `cfg` names.
std::unique_ptr<sink> make_sink(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
