// The snapshot plan of a start and its chunk tasks (engine/snapshot/snapshot_tasks.hpp).
#include "engine/snapshot/snapshot_tasks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <ctime>
#include <optional>
#include <random>

#include "actors/snapshot/listed_rows.hpp"
#include "actors/snapshot/resync_keys.hpp"
#include "engine/snapshot/snapshot_catalog.hpp"
#include "engine/snapshot/snapshot_plan.hpp"

namespace pg2sr::engine {

using actors::chunk_task;
using actors::chunk_task_ptr;
using actors::checkpoint_state;
using actors::snapshot_table_state;

// [tables.override] key_column of `t`, or "".
std::string key_column_override(const config::pipeline_config& cfg, const source_table& t) {
  auto it = cfg.tables.overrides.find(t.qualified());
  return it == cfg.tables.overrides.end() ? "" : it->second.key_column;
}

// A table without primary key or key_column: its snapshot reads ctid ranges.
bool read_by_ctid(const config::pipeline_config& cfg, const source_table& t) {
  return !t.has_primary_key && key_column_override(cfg, t).empty();
}

// Where the keyless tables' chunks keep the rows they read (actors/snapshot/listed_rows.hpp).
std::filesystem::path listed_rows_dir(const config::pipeline_config& cfg) {
  return cfg.pipeline.state_dir / "snapshot-rows";
}

std::filesystem::path resync_keys_dir(const config::pipeline_config& cfg) {
  return cfg.pipeline.state_dir / "resync-keys";
}

namespace {

// Plans every selected table not in the plan yet (all of them on a first start; a table
// added to the selection later is snapshotted on the next start).
// `exported`: a transaction on the snapshot of a slot created by this start (null otherwise).
// A plan's table, columns and key, without chunks.
snapshot_table_state state_of(const snapshot_table_plan& plan) {
  snapshot_table_state ts;
  ts.relid = plan.relid;
  ts.schema = plan.schema;
  ts.name = plan.name;
  ts.select_list = plan.select_list;
  ts.columns = plan.columns;
  // Without a key, rows are matched by all their columns (REPLICA IDENTITY FULL).
  ts.key_columns = plan.key_columns.empty() ? plan.columns : plan.key_columns;
  ts.key_source = plan.key_source;
  return ts;
}

snapshot_table_state plan_one(const config::pipeline_config& cfg, actors::pg_connection& conn, const source_table& t,
                              actors::pg_connection* exported) {
  auto plan = plan_table(conn, t, key_column_override(cfg, t), cfg.snapshot.chunk_rows);
  snapshot_table_state ts = state_of(plan);
  // A keyless row the stream brings would be loaded twice (nothing to replace it by), so
  // the chunks read only the rows older than the stream. A table planned later joins a
  // stream that may have passed its rows by: it reads them all.
  std::uint64_t listed = 0;
  if (plan.key_source == "ctid" && exported) {
    listed = list_rows_before_slot(*exported, plan, listed_rows_dir(cfg));
    ts.rows_listed = true;
  }
  for (const auto& c : plan.chunks) ts.chunks.push_back({c.index, c.predicate, c.description, c.estimated_rows, false});
  if (plan.key_source == "ctid")
    spdlog::warn("table {} has no key: snapshot by ctid ranges{}; its UPDATEs/DELETEs stream only with REPLICA "
                 "IDENTITY FULL, and the target then gets whole-row deletes and inserts",
                 t.qualified(),
                 ts.rows_listed ? fmt::format(" of the {} row(s) older than the slot", listed)
                                : std::string(" of every row (no snapshot of the slot's start: a row the stream also "
                                              "brings is loaded twice into an append-only target)"));
  spdlog::info("snapshot of {}: {} chunk(s) by {}, about {} rows", t.qualified(), ts.chunks.size(), plan.key_source,
               plan.estimated_rows);
  return ts;
}

// A task per unfinished chunk; a run id in the watermark ids makes watermarks of earlier
// runs (replayed after a restart) unknown, hence ignored.
void add_table_tasks(actors::pg_connection& conn, const snapshot_table_state& t, const config::pipeline_config& cfg,
                     std::vector<chunk_task_ptr>& tasks) {
  // Unique per plan: watermarks of an earlier run or plan (replayed) are unknown, so ignored.
  static const std::string run = std::to_string(std::random_device{}() ^ static_cast<unsigned>(std::time(nullptr)));
  static std::uint64_t plan_no = 0;
  std::string prefix = run + "." + std::to_string(++plan_no);
  {
    auto relation = relation_from_catalog(conn, t.relid, t.key_columns);
    for (const auto& c : t.chunks) {
      if (c.done) continue;
      auto task = std::make_shared<chunk_task>();
      task->ref = {t.relid, c.index};
      task->table_sql = actors::quote_qualified(t.schema, t.name);
      task->source_relid = c.source_relid;
      task->deletes = c.deletes;
      task->target_keys = c.target_keys;
      if (c.target_keys) task->target_keys_file = (resync_keys_dir(cfg) / c.keys_file).string();
      task->select_list = t.select_list;
      task->predicate = t.written_before.empty()
                            ? c.predicate
                            : "(" + c.predicate + " AND " + written_before_predicate(t.written_before) + ")";
      task->description = c.description;
      task->key_columns = t.key_columns;
      task->relation = relation;
      task->watermark_id = prefix + ":" + std::to_string(t.relid) + ":" + std::to_string(c.index);
      task->rows_predate_stream = t.rows_listed || !t.written_before.empty();
      if (t.rows_listed) task->listed_rows = actors::listed_rows_file(listed_rows_dir(cfg), t.relid, c.index).string();
      tasks.push_back(std::move(task));
    }
  }
}

}  // namespace

// Plans the selected tables not in the plan yet: all of them, or with mode = never only
// the ones asked for with `pg2sr snapshot` (`requested`, re-planned even when planned).
// Keyless tables first, while `exported` (the new slot's snapshot, or null) lists their
// rows; it is let go before the others, since its transaction holds back vacuum.
void plan_snapshot(const config::pipeline_config& cfg, actors::pg_connection& conn,
                   const std::vector<source_table>& tables, const std::vector<std::string>& requested,
                   std::unique_ptr<actors::pg_connection>& exported, checkpoint_state& state) {
  auto& planned = state.snapshot.tables;
  // A table read again still owes the deletes of partitions detached from it: the new
  // plan only loads rows.
  std::map<std::uint32_t, std::vector<actors::snapshot_chunk_state>> owed;
  for (const auto& t : planned)
    if (std::find(requested.begin(), requested.end(), t.qualified()) != requested.end())
      for (const auto& c : t.chunks)
        if (c.deletes && !c.done) owed[t.relid].push_back(c);
  for (const auto& r : requested)
    std::erase_if(planned, [&](const snapshot_table_state& t) { return t.qualified() == r; });
  bool all = cfg.snapshot.mode != config::snapshot_mode::never;
  std::vector<std::optional<snapshot_table_state>> plans(tables.size());
  for (bool keyless : {true, false}) {
    if (!keyless) exported.reset();
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const auto& t = tables[i];
      if (read_by_ctid(cfg, t) != keyless || state.snapshot.find(t.oid)) continue;
      if (!all && std::find(requested.begin(), requested.end(), t.qualified()) == requested.end()) continue;
      plans[i] = plan_one(cfg, conn, t, exported.get());
    }
  }
  for (auto& p : plans) {
    if (!p) continue;
    for (auto c : owed[p->relid]) {
      c.index = static_cast<std::uint32_t>(p->chunks.size());
      p->chunks.push_back(std::move(c));
    }
    planned.push_back(std::move(*p));
  }
}

std::vector<chunk_task_ptr> snapshot_tasks(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                           const checkpoint_state& state) {
  std::vector<chunk_task_ptr> tasks;
  for (const auto& t : state.snapshot.tables)
    if (t.chunks_done() < t.chunks.size()) add_table_tasks(conn, t, cfg, tasks);
  return tasks;
}

std::vector<chunk_task_ptr> table_tasks(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                        const snapshot_table_state& table) {
  std::vector<chunk_task_ptr> tasks;
  add_table_tasks(conn, table, cfg, tasks);
  return tasks;
}

snapshot_table_state table_shape(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                 const source_table& table) {
  return state_of(plan_table_shape(conn, table, key_column_override(cfg, table)));
}

snapshot_table_state plan_table_again(const config::pipeline_config& cfg, actors::pg_connection& conn,
                                      const source_table& table, std::vector<chunk_task_ptr>& tasks) {
  auto plan = plan_one(cfg, conn, table, nullptr);
  add_table_tasks(conn, plan, cfg, tasks);
  return plan;
}

}  // namespace pg2sr::engine
