// Pipeline wiring: checkpoint store -> actor system -> actors -> wait, with signals and a
// periodic status line.
#include "engine/pipeline.hpp"

#include <caf/all.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <optional>
#include <random>
#include <thread>

#include "actors/core/batcher.hpp"
#include "actors/snapshot/chunk_reader.hpp"
#include "actors/snapshot/chunker.hpp"
#include "actors/core/checkpoint.hpp"
#include "actors/source/decoder.hpp"
#include "actors/sinks/jsonl/jsonl_loader.hpp"
#include "actors/snapshot/listed_rows.hpp"
#include "actors/sinks/null/null_loader.hpp"
#include "actors/source/pg_connection.hpp"
#include "actors/source/pg_replication_source.hpp"
#include "actors/sinks/postgres/postgres_loader.hpp"
#include "actors/sinks/starrocks/starrocks_committer.hpp"
#include "actors/sinks/starrocks/starrocks_loader.hpp"
#include "actors/source/synthetic_source.hpp"
#include "actors/snapshot/watermark.hpp"
#include "codecs/pgoutput/lsn.hpp"
#include "config/units.hpp"
#include "engine/logging.hpp"
#include "engine/sinks/postgres/postgres_target.hpp"
#include "engine/source/publication.hpp"
#include "engine/snapshot/snapshot_catalog.hpp"
#include "engine/snapshot/snapshot_plan.hpp"
#include "engine/snapshot/snapshot_requests.hpp"
#include "engine/state_dir.hpp"
#include "engine/status_file.hpp"
#include "engine/sinks/starrocks/starrocks_schema.hpp"
#include "engine/synthetic_params.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

using namespace pg2sr::actors;

namespace {

// What a state_dir belongs to: a reused folder must not resume another source's position.
std::string source_id_of(const config::pipeline_config& cfg) {
  if (cfg.source.kind == config::source_kind::synthetic)
    return "synthetic:seed=" + std::to_string(cfg.source.synthetic.seed);
  const auto& pg = cfg.source.postgres;
  return "postgres:" + pg.host + ":" + std::to_string(pg.port) + "/" + pg.dbname + "/" + cfg.source.slot;
}

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// SIGINT/SIGTERM are blocked in every thread and collected by one watcher thread, which
// asks the source to end the stream; the pipeline then drains normally.
class signal_watcher {
 public:
  explicit signal_watcher(std::function<void(int)> on_signal) {
    thread_ = std::thread([this, cb = std::move(on_signal)] {
      sigset_t set = stop_signal_set();
      timespec timeout{0, 100'000'000};
      while (!done_.load()) {
        int sig = sigtimedwait(&set, nullptr, &timeout);
        if (sig > 0) cb(sig);
      }
    });
  }
  ~signal_watcher() {
    done_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void block_stop_signals() {
  sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// A stop signal that came during start-up (blocked from its first step, so that it cannot
// end the process without a word): the start ends between two steps, before the next
// thing it would create on the source or the target.
struct stopped_during_start_up {
  int signal = 0;
};

void stop_if_signalled() {
  sigset_t set = stop_signal_set();
  timespec now{0, 0};
  int sig = sigtimedwait(&set, nullptr, &now);
  if (sig > 0) throw stopped_during_start_up{sig};
}

std::string rate(double per_sec) {
  char buf[32];
  if (per_sec >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", per_sec / 1e6);
  else if (per_sec >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", per_sec / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", per_sec);
  return buf;
}

/// Samples the metrics and logs one line: rates since the last line, in-flight, durable,
/// lag; during a snapshot one line per unfinished table; and rewrites status.json.
class status_line {
 public:
  status_line(const pipeline_metrics& m, std::string pipeline, std::filesystem::path state_dir)
      : m_(m), pipeline_(std::move(pipeline)), state_dir_(std::move(state_dir)), last_(std::chrono::steady_clock::now()) {}

  /// Final status.json once the pipeline ended.
  void finish(const std::string& state) { write_status_file(state_dir_, status_json(pipeline_, m_, 0, 0, state)); }

  void log() {
    auto now = std::chrono::steady_clock::now();
    double secs = std::max(1e-3, std::chrono::duration<double>(now - last_).count());
    std::uint64_t events = m_.events.load(), bytes = m_.source_bytes.load();
    std::uint64_t durable = m_.durable_lsn.load(), source = m_.source_lsn.load();
    std::string status = fmt::format("status: {} events/s, {}B/s, in flight {}, rows loaded {}, durable LSN {}, lag {}",
                                     rate(static_cast<double>(events - events_) / secs),
                                     rate(static_cast<double>(bytes - bytes_) / secs),
                                     config::format_size(m_.in_flight_bytes.load()), m_.rows_loaded.load(),
                                     codecs::format_lsn(durable),
                                     config::format_size(source > durable ? source - durable : 0));
    double snapshot_rate = 0;
    if (auto total = m_.snapshot_chunks_total.load(); total > 0 && m_.snapshot_chunks_done.load() < total) {
      std::uint64_t rows = m_.snapshot_rows_read.load();
      snapshot_rate = static_cast<double>(rows - snapshot_rows_) / secs;
      std::string summary = fmt::format("snapshot: {}/{} chunks durable, {} rows read ({} rows/s)",
                                        m_.snapshot_chunks_done.load(), total, rows, rate(snapshot_rate));
      if (terminal_) {
        draw_progress(status + "\n\033[2K" + summary, snapshot_rate);
      } else {
        spdlog::info("{}", status);
        spdlog::info("{}", summary);
      }
      if (!terminal_)
        for (const auto& t : m_.tables) {
          auto done = t.chunks_done.load(), read = t.rows_read.load();
          if (done == t.chunks_total) continue;
          spdlog::info("snapshot {}: {}/{} chunks, {} of ~{} rows{}", t.name, done, t.chunks_total, read,
                       t.estimated_rows, eta(t, snapshot_rate));
        }
      snapshot_rows_ = rows;
    } else {
      spdlog::info("{}", status);
    }
    write_status_file(state_dir_, status_json(pipeline_, m_, static_cast<double>(events - events_) / secs,
                                              snapshot_rate, "running"));
    events_ = events;
    bytes_ = bytes;
    last_ = now;
  }

 private:
  static std::string eta(const table_progress& t, double rows_per_sec) {
    std::uint64_t read = t.rows_read.load();
    if (rows_per_sec <= 0 || t.estimated_rows <= read) return "";
    return ", ETA " + config::format_duration(
                          std::chrono::seconds(static_cast<long>((t.estimated_rows - read) / rows_per_sec) + 1));
  }

  // On a terminal: one line per table with a bar, redrawn in place while nothing else was
  // logged in between (else drawn anew below).
  void draw_progress(const std::string& head, double rows_per_sec) {
    std::string block = "\033[2K" + head + "\n";
    std::size_t lines = 2;
    for (const auto& t : m_.tables) {
      if (t.chunks_total == 0) continue;
      auto done = t.chunks_done.load();
      constexpr int width = 24;
      int filled = static_cast<int>(width * done / t.chunks_total);
      block += fmt::format("\033[2Ksnapshot {:<32} [{}{}] {}/{} chunks, {} rows{}\n", t.name, std::string(filled, '#'),
                           std::string(width - filled, '.'), done, t.chunks_total, t.rows_read.load(),
                           done == t.chunks_total ? " (done)" : eta(t, rows_per_sec) + ", " + rate(rows_per_sec) + " rows/s");
      ++lines;
    }
    if (drawn_lines_ > 0 && log_lines_written() == lines_at_draw_) std::fprintf(stderr, "\033[%zuA", drawn_lines_);
    std::fputs(block.c_str(), stderr);
    std::fflush(stderr);
    drawn_lines_ = lines;
    lines_at_draw_ = log_lines_written();
  }

  const pipeline_metrics& m_;
  bool terminal_ = ::isatty(STDERR_FILENO) == 1;
  std::size_t drawn_lines_ = 0;
  std::uint64_t lines_at_draw_ = 0;
  std::string pipeline_;
  std::filesystem::path state_dir_;
  std::chrono::steady_clock::time_point last_;
  std::uint64_t events_ = 0, bytes_ = 0, snapshot_rows_ = 0;
};

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

// Plans every selected table not in the plan yet (all of them on a first start; a table
// added to the selection later is snapshotted on the next start).
// `exported`: a transaction on the snapshot of a slot created by this start (null otherwise).
snapshot_table_state plan_one(const config::pipeline_config& cfg, actors::pg_connection& conn, const source_table& t,
                              actors::pg_connection* exported) {
  auto plan = plan_table(conn, t, key_column_override(cfg, t), cfg.snapshot.chunk_rows);
  snapshot_table_state ts;
  ts.relid = plan.relid;
  ts.schema = plan.schema;
  ts.name = plan.name;
  ts.select_list = plan.select_list;
  ts.columns = plan.columns;
  // Without a key, rows are matched by all their columns (REPLICA IDENTITY FULL).
  ts.key_columns = plan.key_columns.empty() ? plan.columns : plan.key_columns;
  ts.key_source = plan.key_source;
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

// Plans the selected tables not in the plan yet: all of them, or with mode = never only
// the ones asked for with `pg2sr snapshot` (`requested`, re-planned even when planned).
// Keyless tables first, while `exported` (the new slot's snapshot, or null) lists their
// rows; it is let go before the others, since its transaction holds back vacuum.
void plan_snapshot(const config::pipeline_config& cfg, actors::pg_connection& conn,
                   const std::vector<source_table>& tables, const std::vector<std::string>& requested,
                   std::unique_ptr<actors::pg_connection>& exported, checkpoint_state& state) {
  auto& planned = state.snapshot.tables;
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
  for (auto& p : plans)
    if (p) planned.push_back(std::move(*p));
}

// A task per unfinished chunk; a run id in the watermark ids makes watermarks of earlier
// runs (replayed after a restart) unknown, hence ignored.
void add_table_tasks(actors::pg_connection& conn, const snapshot_table_state& t, const std::filesystem::path& listed_dir,
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
      task->select_list = t.select_list;
      task->predicate = t.written_before.empty()
                            ? c.predicate
                            : "(" + c.predicate + " AND " + written_before_predicate(t.written_before) + ")";
      task->description = c.description;
      task->key_columns = t.key_columns;
      task->relation = relation;
      task->watermark_id = prefix + ":" + std::to_string(t.relid) + ":" + std::to_string(c.index);
      task->rows_predate_stream = t.rows_listed || !t.written_before.empty();
      if (t.rows_listed) task->listed_rows = actors::listed_rows_file(listed_dir, t.relid, c.index).string();
      tasks.push_back(std::move(task));
    }
  }
}

std::vector<chunk_task_ptr> snapshot_tasks(actors::pg_connection& conn, const checkpoint_state& state,
                                           const std::filesystem::path& listed_dir) {
  std::vector<chunk_task_ptr> tasks;
  for (const auto& t : state.snapshot.tables)
    if (t.chunks_done() < t.chunks.size()) add_table_tasks(conn, t, listed_dir, tasks);
  return tasks;
}

// The loaders' view of the StarRocks tables of the selection, by source relid.
actors::starrocks_targets starrocks_targets_of(actors::pg_connection& conn, const std::vector<source_table>& tables,
                                               const config::pipeline_config& cfg) {
  actors::starrocks_targets targets;
  for (const auto& t : describe_starrocks_tables(conn, tables, cfg)) {
    auto source = std::find_if(tables.begin(), tables.end(), [&](const auto& s) { return s.qualified() == t.source; });
    if (source == tables.end()) continue;
    auto& target = targets[source->oid];
    target.db = t.database;
    target.name = t.name;
    target.primary_key = t.model == starrocks_model::primary_key;
    for (const auto& c : t.columns) {
      target.columns.names.push_back(c.name);
      target.columns.columns.push_back(c.mapping);
    }
  }
  return targets;
}

// The ALTER TABLE for a column the stream brought, its type read from the source's
// catalog (enums, domains, composites need it); or why it cannot be added.
std::string new_column_sql(const config::pipeline_config& cfg, const codecs::starrocks::mapping_options& mapping,
                           const actors::starrocks_target& target, const codecs::pgoutput::column_schema& column) {
  try {
    actors::pg_connection conn(config::conninfo(cfg.source.postgres, true));
    auto type = read_column_type(conn, column.type_oid, column.typmod);
    auto mapped = codecs::starrocks::map_type(type, mapping);
    if (auto* error = std::get_if<codecs::starrocks::mapping_error>(&mapped))
      return ddl_comment("column `" + column.name + "`: " + error->message);
    return add_column_sql(target.db, target.name, {column.name, type.name, std::get<codecs::starrocks::column_mapping>(mapped)});
  } catch (const std::exception& e) {
    return ddl_comment("column `" + column.name + "` (type oid " + std::to_string(column.type_oid) + "): " + e.what());
  }
}

// Exactly once after a crash: the 2PC loads the checkpoint recorded are committed (their
// rows are below the durable LSN: the stream will not send them again), every other label
// the loaders journaled is rolled back (its rows come again). Then both lists are empty.
void settle_two_phase_loads(actors::stream_load_client& client, checkpoint_state& state, checkpoint_store& store,
                            actors::prepared_journal& journal) {
  auto journaled = journal.entries();
  if (state.prepared.empty() && journaled.empty()) return;
  for (const auto& load : state.prepared) actors::commit_prepared(client, load);
  std::size_t rolled_back = 0;
  for (const auto& entry : journaled) {
    bool recorded = std::any_of(state.prepared.begin(), state.prepared.end(),
                                [&](const auto& p) { return p.label == entry.label; });
    if (recorded) continue;
    actors::roll_back_label(client, entry.db, entry.table, entry.label);
    ++rolled_back;
  }
  spdlog::info("exactly once: committed {} recorded prepared load(s), rolled back {} unrecorded one(s)",
               state.prepared.size(), rolled_back);
  state.prepared.clear();
  store.save(state);
  journal.clear();
}

// A load the last run sent but did not see answered may still commit: were it to land after
// this run's loads of its table, it would bring back what they changed. Each such label is
// taken by this run (or its load waited for); one still running after load_timeout stops
// the start (false), its label kept in the journal. A settled label leaves the journal at
// once: a start killed after holding one must not wait on its own hold.
bool settle_loads_in_flight(const config::pipeline_config& cfg, actors::stream_load_client& client,
                            actors::prepared_journal& in_flight) {
  auto waiting = in_flight.entries();
  if (waiting.empty()) return true;
  const auto& sr = cfg.sink.starrocks;
  auto load_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(sr.load_timeout);
  auto deadline = std::chrono::steady_clock::now() + load_timeout;
  std::size_t held = 0, unsettled = 0;
  for (const auto& load : waiting) {
    auto settled = actors::settle_unanswered_label(client, load, deadline, load_timeout, stop_if_signalled);
    using outcome = actors::label_settlement::outcome;
    if (settled.result == outcome::unsettled) {
      ++unsettled;
      spdlog::error("label {} of a load the last run sent into {}.{} has no final state in StarRocks after "
                    "load_timeout ({} s; last answer: {}): it may still commit, and after this run's loads it "
                    "would bring back rows they change. Start again once get_load_state "
                    "({}/api/{}/get_load_state?label={}) answers VISIBLE, COMMITTED or ABORTED; if it stays "
                    "UNKNOWN (the load never reached StarRocks, or its label expired), remove its line from {} first",
                    load.label, load.db, load.table,
                    std::chrono::duration_cast<std::chrono::seconds>(sr.load_timeout).count(), settled.last_answer,
                    sr.fe_url, load.db, load.label, in_flight.file().string());
      continue;
    }
    if (settled.result == outcome::held) ++held;
    in_flight.remove({load});
  }
  if (unsettled > 0) return false;
  spdlog::info("settled {} load(s) the last run sent: {} finished in StarRocks, {} label(s) held by this run "
               "until StarRocks times them out (PREPARE transactions without data: leave them)",
               waiting.size(), waiting.size() - held, held);
  return true;
}

// After a crash, before anything is loaded: what the last run left in StarRocks. The 2PC
// loads first: a prepared transaction expires, and it is in another table than any load in
// flight (2PC is for Duplicate Key tables).
bool settle_prepared_loads(const config::pipeline_config& cfg, checkpoint_state& state, checkpoint_store& store) {
  if (cfg.sink.kind != config::sink_kind::starrocks) return true;
  try {
    actors::prepared_journal journal(cfg.pipeline.state_dir / "starrocks-2pc.journal");
    actors::prepared_journal in_flight(cfg.pipeline.state_dir / "starrocks-inflight.journal");
    if (state.prepared.empty() && journal.entries().empty() && in_flight.entries().empty()) return true;
    actors::stream_load_client client(actors::stream_load_settings_of(cfg.sink.starrocks));
    settle_two_phase_loads(client, state, store, journal);
    return settle_loads_in_flight(cfg, client, in_flight);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return false;
  }
}

// "host:port/dbname": where the source is, without credentials.
std::string where_of(const config::postgres_connection& pg) {
  return pg.host + ":" + std::to_string(pg.port) + "/" + pg.dbname;
}

// Creates the pipeline's slot; returns a transaction on the snapshot it exported, or null.
// Keyless tables to snapshot need that snapshot (see plan_one), which takes a walsender for
// a moment; without them, or when no walsender is free (the reader waits for one later),
// the SQL function creates the slot and keyless tables are read whole.
std::unique_ptr<actors::pg_connection> create_pipeline_slot(const config::pipeline_config& cfg,
                                                            actors::pg_connection& conn,
                                                            const std::vector<source_table>& tables) {
  const auto& src = cfg.source;
  bool keyless = cfg.snapshot.mode != config::snapshot_mode::never &&
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

// Before streaming from PostgreSQL: which tables, a publication that covers them, the slot
// (created now, so that snapshot watermarks written from now on are in it), and the
// snapshot plan (made once, kept in the checkpoint) with a task per unfinished chunk.
// Returns false (after logging why) when the pipeline cannot start.
bool prepare_postgres_source(const config::pipeline_config& cfg, checkpoint_state& state, bool checkpoint_found,
                             checkpoint_store& store, std::vector<chunk_task_ptr>& tasks,
                             std::vector<source_table>& selected, actors::starrocks_targets& targets,
                             std::vector<std::pair<std::string, std::string>>& target_session) {
  const auto& src = cfg.source;
  try {
    actors::pg_connection conn(config::conninfo(src.postgres, true));
    auto tables = select_tables(conn, cfg.tables);
    if (tables.empty() && src.publication_mode != config::publication_mode::all_tables) {
      spdlog::error("no table of {} matches [tables] include/exclude; nothing to replicate", where_of(src.postgres));
      return false;
    }
    // Every column must map before anything is created on the source.
    if (cfg.sink.kind == config::sink_kind::starrocks) targets = starrocks_targets_of(conn, tables, cfg);
    if (cfg.sink.kind == config::sink_kind::postgres) {
      prepare_postgres_target(conn, tables, cfg);
      target_session = source_text_settings(conn);
    }
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
    bool slot_exists = !conn.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", {src.slot}).empty();
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
    if (!slot_exists) {
      if (cfg.snapshot.mode != config::snapshot_mode::never) mark_slot_unplanned(dir, src.slot);
      exported = create_pipeline_slot(cfg, conn, tables);
    } else if (!checkpoint_found && cfg.snapshot.mode != config::snapshot_mode::never)
      spdlog::warn("replication slot {} exists but {} holds no checkpoint (lost, or another state_dir than the "
                   "last run's): the snapshot is taken again, since what the target already holds is unknown; its "
                   "rows are loaded again (tables with a primary key end the same, Duplicate Key tables and jsonl "
                   "get them twice). Stop now and restore {} to resume instead",
                   src.slot, cfg.pipeline.state_dir.string(), store.file().string());
    selected = tables;
    auto requested = take_snapshot_requests(cfg.pipeline.state_dir);
    if (cfg.snapshot.mode == config::snapshot_mode::never && requested.empty()) return true;
    plan_snapshot(cfg, conn, tables, requested, exported, state);
    exported.reset();
    store.save(state);  // the plan is durable before the first chunk is read
    clear_slot_unplanned(dir);
    if (auto gone = actors::remove_unneeded_listed_rows(listed_rows_dir(cfg), state.snapshot))
      spdlog::info("removed {} list(s) of rows that no unfinished snapshot chunk reads", gone);
    tasks = snapshot_tasks(conn, state, listed_rows_dir(cfg));
    return true;
  } catch (const starrocks_schema_error& e) {
    for (const auto& problem : e.problems()) spdlog::error("{}", problem);
    return false;
  } catch (const postgres_target_error& e) {
    for (const auto& problem : e.problems()) spdlog::error("{}", problem);
    return false;
  } catch (const std::exception& e) {
    spdlog::error("source {}: {}", where_of(src.postgres), e.what());
    return false;
  }
}

// run_pipeline after the stop signals are blocked.
int start_and_run(const config::pipeline_config& cfg, const run_options& options) {
  if (cfg.sink.kind == config::sink_kind::postgres && cfg.source.kind == config::source_kind::synthetic) {
    try {  // a PostgreSQL source prepares the target with its tables
      actors::pg_connection target(config::conninfo(cfg.sink.postgres.connection, true));
      create_state_tables(target);
    } catch (const std::exception& e) {
      spdlog::error("target {}: {}", target_where(cfg), e.what());
      return 1;
    }
  }

  // Before the slot or the state: a second run on this state_dir would clear the first
  // one's journals and write its checkpoint.
  std::optional<state_dir_lock> state_lock;
  try {
    state_lock.emplace(cfg.pipeline.state_dir);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  auto store = std::make_shared<checkpoint_store>(cfg.pipeline.state_dir);
  checkpoint_state initial;
  bool checkpoint_found = false;
  try {
    if (auto loaded = store->load()) {
      initial = *loaded;
      checkpoint_found = true;
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  std::string source_id = source_id_of(cfg);
  if (!initial.source_id.empty() && initial.source_id != source_id) {
    spdlog::error("state_dir {} holds the checkpoint of another source ({}), not {}; use another state_dir",
                  cfg.pipeline.state_dir.string(), initial.source_id, source_id);
    return 1;
  }
  initial.source_id = source_id;
  if (initial.durable_lsn != 0)
    spdlog::info("resuming after durable LSN {} from {}", codecs::format_lsn(initial.durable_lsn),
                 store->file().string());
  stop_if_signalled();
  if (!settle_prepared_loads(cfg, initial, *store)) return 1;
  stop_if_signalled();
  std::vector<chunk_task_ptr> snapshot_chunks;
  std::vector<source_table> selected;
  auto targets = std::make_shared<actors::starrocks_targets>();
  std::vector<std::pair<std::string, std::string>> target_session;
  if (cfg.source.kind == config::source_kind::postgres &&
      !prepare_postgres_source(cfg, initial, checkpoint_found, *store, snapshot_chunks, selected, *targets, target_session))
    return 1;
  // A signal from here on is the watcher's (below): the pipeline drains what it has.
  stop_if_signalled();
  caf::actor_system_config caf_cfg;
  caf_cfg.set("scheduler.max-threads", static_cast<std::size_t>(std::max(2u, std::thread::hardware_concurrency())));
  // CAF 0.17's work-stealing workers back off into 10 ms sleeps while a pipeline stage
  // waits on its neighbour; measured here that left both cores ~40% idle (667k events/s).
  // The sharing policy wakes a worker per job: 2.3M events/s on the same run.
  caf_cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system system{caf_cfg};
  pipeline_metrics metrics;
  // An entry per selected table now: the deque never grows while actors read it.
  for (const auto& s : selected) {
    auto& progress = metrics.tables.emplace_back();
    progress.relid = s.oid;
    progress.name = s.qualified();
    if (const auto* t = initial.snapshot.find(s.oid)) {
      progress.chunks_total = t->chunks.size();
      progress.chunks_done = t->chunks_done();
      for (const auto& c : t->chunks) progress.estimated_rows += c.estimated_rows;
    }
  }
  caf::scoped_actor self{system};

  auto journal = std::make_shared<prepared_journal>(cfg.pipeline.state_dir / "starrocks-2pc.journal");
  auto in_flight = std::make_shared<prepared_journal>(cfg.pipeline.state_dir / "starrocks-inflight.journal");
  std::vector<loader_actor> loaders;
  if (cfg.sink.kind == config::sink_kind::jsonl) {
    loaders.push_back(system.spawn<caf::detached>(jsonl_loader, cfg.sink.jsonl.path, cfg.sink.jsonl.fsync,
                                                  cfg.pipeline.state_dir / "jsonl-output"));
  } else if (cfg.sink.kind == config::sink_kind::starrocks) {
    const auto& sr = cfg.sink.starrocks;
    starrocks_loader_settings ls;
    ls.http = stream_load_settings_of(sr);
    ls.pipeline = cfg.pipeline.name;
    // Labels of this run differ from every earlier run's (see codecs::stream_load::label).
    ls.run = std::random_device{}() ^ static_cast<std::uint32_t>(std::time(nullptr));
    ls.format = sr.format;
    ls.compression = sr.compression;
    ls.mapping = mapping_options_of(sr);
    ls.targets = targets;
    ls.exactly_once = sr.exactly_once;
    ls.journal = journal;
    ls.in_flight = in_flight;
    if (cfg.source.kind == config::source_kind::postgres) ls.source_conninfo = config::conninfo(cfg.source.postgres, true);
    if (cfg.source.kind == config::source_kind::postgres)
      ls.add_column_sql = [&cfg, mapping = ls.mapping](const starrocks_target& target, const codecs::pgoutput::column_schema& c) {
        return new_column_sql(cfg, mapping, target, c);
      };
    // The synthetic source's tables are not in a catalog: their targets follow the stream.
    if (cfg.source.kind == config::source_kind::synthetic) ls.derive_targets_in = sr.database;
    for (int i = 0; i < sr.max_concurrent_loads; ++i)
      loaders.push_back(system.spawn<caf::detached>(starrocks_loader, ls, &metrics));
  } else if (cfg.sink.kind == config::sink_kind::postgres) {
    const auto& pg = cfg.sink.postgres;
    postgres_loader_settings ls;
    if (cfg.source.kind == config::source_kind::postgres) ls.source_conninfo = config::conninfo(cfg.source.postgres, true);
    ls.conninfo = config::conninfo(pg.connection, true);
    ls.where = target_where(cfg);
    ls.pipeline = cfg.pipeline.name;
    ls.session = target_session;
    ls.add_columns = pg.add_columns;
    if (cfg.source.kind == config::source_kind::postgres)
      ls.column_type = [&cfg](const codecs::pgoutput::column_schema& c) {
        try {
          return source_column_type(cfg, c.type_oid, c.typmod);
        } catch (const std::exception& e) {
          return "<type oid " + std::to_string(c.type_oid) + " on the source: " + e.what() + ">";
        }
      };
    for (int i = 0; i < pg.max_concurrent_loads; ++i)
      loaders.push_back(system.spawn<caf::detached>(postgres_loader, ls));
  } else if (cfg.sink.null_rows_per_sec > 0) {
    // A throttled null sink stands for a slow target: it blocks, so it runs detached.
    for (int i = 0; i < 2; ++i)
      loaders.push_back(system.spawn<caf::detached>(null_loader, &metrics, cfg.sink.null_rows_per_sec));
  } else {
    for (int i = 0; i < 2; ++i) loaders.push_back(system.spawn(null_loader, &metrics, std::uint64_t{0}));
  }
  auto checkpointer = system.spawn(checkpoint, store, initial, caf::actor_cast<caf::actor>(self), &metrics,
                                   std::chrono::milliseconds(200));
  std::optional<committer_actor> committer;
  if (cfg.sink.kind == config::sink_kind::starrocks && cfg.sink.starrocks.exactly_once) {
    const auto& sr = cfg.sink.starrocks;
    committer = system.spawn<caf::detached>(
        starrocks_committer,
        stream_load_settings_of(sr),
        journal);
    self->send(checkpointer, link_committer_msg{*committer});
  }
  batcher_settings bs;
  bs.max_rows = cfg.batch.max_rows;
  bs.max_bytes = cfg.batch.max_bytes;
  bs.flush_interval = cfg.batch.flush_interval;
  bs.capacity_bytes = cfg.pipeline.max_in_flight_bytes;
  // A PostgreSQL target takes a table's snapshot chunks in two sessions: one COPY session
  // would be the snapshot's bound.
  if (cfg.sink.kind == config::sink_kind::postgres)
    bs.snapshot_loads_per_table = static_cast<std::size_t>(std::min(2, cfg.sink.postgres.max_concurrent_loads));
  for (const auto& t : selected)
    if (!t.has_primary_key && t.replica_identity == 'f' && key_column_override(cfg, t).empty())
      bs.keyless_relids.insert(t.oid);
  auto batch = system.spawn(batcher, bs, loaders, checkpointer, &metrics);
  bool snapshot_only = cfg.snapshot.mode == config::snapshot_mode::snapshot_only;
  auto merge = system.spawn(watermark, batch, snapshot_only);
  std::uint64_t raw_window = std::max<std::uint64_t>(64 << 10, cfg.pipeline.max_in_flight_bytes / 16);
  auto decode = system.spawn(decoder, merge, &metrics, raw_window);

  std::size_t max_chunk_bytes = std::min<std::uint64_t>(256 << 10, raw_window / 4);
  source_actor source;
  if (cfg.source.kind == config::source_kind::postgres) {
    replication_settings rs;
    rs.conninfo = config::conninfo(cfg.source.postgres, true);
    rs.where = where_of(cfg.source.postgres);
    rs.slot = cfg.source.slot;
    rs.publication = cfg.source.publication;
    rs.binary = cfg.source.binary;
    rs.status_interval = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.source.status_interval);
    rs.start_lsn = initial.durable_lsn;
    rs.max_chunk_bytes = max_chunk_bytes;
    rs.stop_at_lsn = options.stop_at_lsn;
    source = system.spawn(pg_replication_source, rs, decode, &metrics);
  } else {
    synthetic_settings ss;
    ss.params = generator_params_of(cfg.source.synthetic);
    ss.resume_lsn = initial.durable_lsn;
    ss.max_duration = cfg.source.synthetic.max_duration;
    ss.events_per_sec = cfg.source.synthetic.events_per_sec;
    ss.max_chunk_bytes = max_chunk_bytes;
    try {
      source = system.spawn(synthetic_source, ss, decode, &metrics);
    } catch (const std::exception& e) {
      spdlog::error("synthetic source: {}", e.what());
      return 2;
    }
  }
  std::vector<caf::actor> all{caf::actor_cast<caf::actor>(source), caf::actor_cast<caf::actor>(decode),
                              caf::actor_cast<caf::actor>(merge), caf::actor_cast<caf::actor>(batch),
                              caf::actor_cast<caf::actor>(checkpointer)};
  for (auto& l : loaders) all.push_back(caf::actor_cast<caf::actor>(l));
  if (committer) all.push_back(caf::actor_cast<caf::actor>(*committer));
  for (auto& a : all) self->monitor(a);
  self->send(checkpointer, link_source_msg{source});
  self->send(merge, link_source_msg{source});
  metrics.snapshot_chunks_total.store(initial.snapshot.chunks_total());
  metrics.snapshot_chunks_done.store(initial.snapshot.chunks_done());
  // The chunker and its readers start when there are chunks to read: now, or later on a
  // `pg2sr snapshot` request.
  std::optional<chunker_actor> chunks;
  auto read_chunks = [&](std::vector<chunk_task_ptr> tasks) {
    if (chunks) {
      self->send(*chunks, add_tasks_msg{std::move(tasks)});
      return;
    }
    chunk_reader_settings crs;
    crs.conninfo = config::conninfo(cfg.source.postgres, true);
    crs.max_rows_per_sec = cfg.snapshot.max_rows_per_sec / static_cast<std::uint64_t>(cfg.snapshot.parallelism);
    crs.chunk_pause = cfg.snapshot.chunk_pause;
    std::vector<chunk_reader_actor> readers;
    for (int i = 0; i < cfg.snapshot.parallelism; ++i)
      readers.push_back(system.spawn<caf::detached>(chunk_reader, crs, merge, &metrics));
    spdlog::info("snapshot: {} chunk(s) to read with {} reader(s)", tasks.size(), readers.size());
    chunks = system.spawn(chunker, std::move(tasks), readers, merge);
    self->send(merge, link_chunker_msg{*chunks});
    self->send(checkpointer, link_chunker_msg{*chunks});
    all.push_back(caf::actor_cast<caf::actor>(*chunks));
    self->monitor(*chunks);
    for (auto& r : readers) all.push_back(caf::actor_cast<caf::actor>(r));
  };
  if (cfg.source.kind == config::source_kind::postgres) {
    if (!snapshot_chunks.empty()) read_chunks(std::move(snapshot_chunks));
    else if (snapshot_only) self->send(merge, snapshot_read_msg{});
  }
  // `pg2sr snapshot -c FILE --table T` on the running pipeline: plan T anew, let the
  // checkpoint replace its plan, read its chunks.
  auto take_requests = [&] {
    if (cfg.source.kind != config::source_kind::postgres || snapshot_only) return;
    for (const auto& name : take_snapshot_requests(cfg.pipeline.state_dir)) {
      auto table = std::find_if(selected.begin(), selected.end(), [&](const auto& t) { return t.qualified() == name; });
      auto* progress = table == selected.end() ? nullptr : metrics.table(table->oid);
      if (!progress) {
        spdlog::warn("snapshot request for {}: not a selected table; ignored", name);
        continue;
      }
      if (progress->chunks_done.load() < progress->chunks_total) {
        spdlog::warn("snapshot request for {}: its snapshot is still running; ignored", name);
        continue;
      }
      try {
        actors::pg_connection conn(config::conninfo(cfg.source.postgres, true));
        auto plan = plan_one(cfg, conn, *table, nullptr);
        std::vector<chunk_task_ptr> tasks;
        add_table_tasks(conn, plan, listed_rows_dir(cfg), tasks);
        progress->chunks_total = plan.chunks.size();
        progress->estimated_rows = 0;
        for (const auto& c : plan.chunks) progress->estimated_rows += c.estimated_rows;
        progress->chunks_done = 0;
        progress->rows_read = 0;
        metrics.snapshot_chunks_total.fetch_add(plan.chunks.size());
        self->send(checkpointer, replan_table_msg{std::move(plan)});
        spdlog::info("snapshot of {} requested: reading it again while streaming goes on", name);
        read_chunks(std::move(tasks));
      } catch (const std::exception& e) {
        spdlog::error("snapshot request for {}: {}", name, e.what());
      }
    }
  };
  self->send(decode, link_source_msg{source});
  self->send(merge, link_decoder_msg{decode});
  self->send(batch, link_watermark_msg{merge});  // grants the capacity: data starts to flow

  std::atomic<int> stop_signals{0};
  signal_watcher signals([&](int sig) {
    if (stop_signals.fetch_add(1) == 0) {
      spdlog::info("received {}: draining what is in flight, then stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      caf::anon_send(source, stop_atom::value);
    } else {
      spdlog::warn("second stop signal: stopping now; the checkpoint stays at what was durably loaded");
      caf::anon_send_exit(caf::actor_cast<caf::actor>(source), caf::exit_reason::user_shutdown);
    }
  });

  spdlog::info("pipeline {}: {} source -> {} sink, capacity {}", cfg.pipeline.name, config::to_string(cfg.source.kind),
               config::to_string(cfg.sink.kind), config::format_size(cfg.pipeline.max_in_flight_bytes));
  auto started = std::chrono::steady_clock::now();
  status_line status(metrics, cfg.pipeline.name, cfg.pipeline.state_dir);
  status.log();
  auto next_status = std::chrono::steady_clock::now() + cfg.pipeline.status_interval;
  // A PostgreSQL target gets its deferred primary keys once the snapshot is in, and with
  // create_tables the source's other indexes.
  bool after_snapshot_pending =
      cfg.sink.kind == config::sink_kind::postgres && cfg.source.kind == config::source_kind::postgres;
  bool keys_built = true;
  auto finish_target_after_snapshot = [&] {
    if (!after_snapshot_pending || metrics.snapshot_chunks_done.load() < metrics.snapshot_chunks_total.load()) return;
    after_snapshot_pending = false;
    keys_built = build_deferred_keys(cfg, selected);
    if (cfg.sink.postgres.create_tables) create_target_indexes(cfg, selected);
  };
  int exit_code = -1;
  std::uint64_t final_lsn = 0;
  self->receive_while([&] { return exit_code < 0; })(
      [&](pipeline_done_msg& done) {
        final_lsn = done.durable_lsn;
        exit_code = 0;
      },
      [&](caf::down_msg& down) {
        spdlog::error("pipeline stopped: {}", down.reason ? describe(down.reason) : "an actor ended unexpectedly");
        exit_code = 1;
      },
      caf::after(std::chrono::seconds(1)) >> [&] {
        take_requests();
        finish_target_after_snapshot();
        if (std::chrono::steady_clock::now() >= next_status) {
          status.log();
          next_status = std::chrono::steady_clock::now() + cfg.pipeline.status_interval;
        }
      });
  for (auto& a : all) self->send_exit(a, caf::exit_reason::user_shutdown);
  if (exit_code == 0) finish_target_after_snapshot();
  if (exit_code == 0 && !keys_built) exit_code = 1;  // said why; the next start builds them
  status.finish(exit_code == 0 ? "stopped" : "failed");

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (exit_code == 0) {
    spdlog::info("done: {} events, {} rows loaded in {} loads, {} source chunks, {:.2f} s ({} events/s), durable LSN {}{}",
                 metrics.events.load(), metrics.rows_loaded.load(), metrics.loads.load(), metrics.source_chunks.load(), secs,
                 rate(static_cast<double>(metrics.events.load()) / std::max(secs, 1e-3)),
                 codecs::format_lsn(final_lsn),
                 cfg.sink.kind == config::sink_kind::null ? fmt::format(", checksum {:016x}", metrics.checksum.load())
                                                          : std::string());
  }
  return exit_code;
}

}  // namespace

int run_pipeline(const config::pipeline_config& cfg, const run_options& options) {
  block_stop_signals();  // first: CAF's threads, started later, inherit the mask
  try {
    return start_and_run(cfg, options);
  } catch (const stopped_during_start_up& stop) {
    spdlog::info("received {} during start-up: stopped before streaming; the next start goes on from the checkpoint",
                 stop.signal == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
  }
}

}  // namespace pg2sr::engine
