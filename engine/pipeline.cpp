// Pipeline wiring: the state_dir, the source and the sink prepared, the actors spawned and
// linked, then a wait with signals, snapshot requests and a periodic status line. Each
// part lives with its subsystem: engine/source/, engine/snapshot/, engine/sinks/<name>/.
#include "engine/pipeline.hpp"

#include <caf/all.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <optional>
#include <set>
#include <thread>

#include "actors/core/batcher.hpp"
#include "actors/core/checkpoint.hpp"
#include "actors/snapshot/chunk_reader.hpp"
#include "actors/snapshot/chunker.hpp"
#include "actors/snapshot/watermark.hpp"
#include "actors/source/decoder.hpp"
#include "actors/source/partition_roots.hpp"
#include "actors/source/pg_replication_source.hpp"
#include "actors/source/synthetic_source.hpp"
#include "codecs/pgoutput/lsn.hpp"
#include "config/units.hpp"
#include "engine/sinks/sink.hpp"
#include "engine/snapshot/snapshot_requests.hpp"
#include "engine/snapshot/snapshot_tasks.hpp"
#include "engine/source/partition_watch.hpp"
#include "engine/source/postgres_source.hpp"
#include "engine/source/slot_health.hpp"
#include "engine/state_dir.hpp"
#include "engine/status/status_line.hpp"
#include "engine/stop_signals.hpp"
#include "engine/source/synthetic_params.hpp"

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

// The state_dir of this run: held, and its checkpoint (if any) this source's.
struct run_state {
  std::optional<state_dir_lock> lock;
  std::shared_ptr<checkpoint_store> store;
  checkpoint_state initial;
  bool checkpoint_found = false;
};

// False (after logging why) when the state_dir cannot be this run's.
bool open_state(const config::pipeline_config& cfg, run_state& st) {
  try {
    // Before the slot or the state: a second run on this state_dir would clear the first
    // one's journals and write its checkpoint.
    st.lock.emplace(cfg.pipeline.state_dir);
    st.store = std::make_shared<checkpoint_store>(cfg.pipeline.state_dir);
    if (auto loaded = st.store->load()) {
      st.initial = *loaded;
      st.checkpoint_found = true;
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return false;
  }
  std::string source_id = source_id_of(cfg);
  if (!st.initial.source_id.empty() && st.initial.source_id != source_id) {
    spdlog::error("state_dir {} holds the checkpoint of another source ({}), not {}; use another state_dir",
                  cfg.pipeline.state_dir.string(), st.initial.source_id, source_id);
    return false;
  }
  st.initial.source_id = source_id;
  if (st.initial.durable_lsn != 0)
    spdlog::info("resuming after durable LSN {} from {}", codecs::format_lsn(st.initial.durable_lsn),
                 st.store->file().string());
  return true;
}

void configure_scheduler(caf::actor_system_config& caf_cfg) {
  caf_cfg.set("scheduler.max-threads", static_cast<std::size_t>(std::max(2u, std::thread::hardware_concurrency())));
  // CAF 0.17's work-stealing workers back off into 10 ms sleeps while a pipeline stage
  // waits on its neighbour; measured here that left both cores ~40% idle (667k events/s).
  // The sharing policy wakes a worker per job: 2.3M events/s on the same run.
  caf_cfg.set("scheduler.policy", caf::atom("sharing"));
}

// An entry per selected table, before any actor runs: the deque never grows while they read it.
void add_table_progress(pipeline_metrics& metrics, const std::vector<source_table>& selected,
                        const checkpoint_state& initial) {
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
  metrics.snapshot_chunks_total.store(initial.snapshot.chunks_total());
  metrics.snapshot_chunks_done.store(initial.snapshot.chunks_done());
}

// The running pipeline's actors, each monitored by the engine (`all`).
struct pipeline_actors {
  source_actor source;
  decoder_actor decode;
  watermark_actor merge;
  batcher_actor batch;
  checkpoint_actor checkpointer;
  std::vector<caf::actor> all;
};

// Throws std::runtime_error ("synthetic source: ...") when the synthetic source's
// parameters cannot generate.
source_actor spawn_source(caf::actor_system& system, const config::pipeline_config& cfg, const run_options& options,
                          std::uint64_t resume_lsn, decoder_actor decode, std::size_t max_chunk_bytes,
                          pipeline_metrics& metrics) {
  if (cfg.source.kind == config::source_kind::postgres) {
    replication_settings rs;
    rs.conninfo = config::conninfo(cfg.source.postgres, true);
    rs.where = where_of(cfg.source.postgres);
    rs.slot = cfg.source.slot;
    rs.publication = cfg.source.publication;
    rs.binary = cfg.source.binary;
    rs.streaming = cfg.source.streaming;
    rs.status_interval = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.source.status_interval);
    rs.start_lsn = resume_lsn;
    rs.max_chunk_bytes = max_chunk_bytes;
    rs.stop_at_lsn = options.stop_at_lsn;
    return system.spawn(pg_replication_source, rs, decode, &metrics);
  }
  synthetic_settings ss;
  ss.max_duration = cfg.source.synthetic.max_duration;
  ss.events_per_sec = cfg.source.synthetic.events_per_sec;
  ss.max_chunk_bytes = max_chunk_bytes;
  ss.resume_lsn = resume_lsn;
  try {
    ss.params = generator_params_of(cfg.source.synthetic);
    return system.spawn(synthetic_source, ss, decode, &metrics);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("synthetic source: ") + e.what());
  }
}

// Source -> decoder -> watermark -> batcher -> loaders -> checkpoint (-> committer), linked
// once all exist; data flows when the batcher grants its capacity.
pipeline_actors spawn_pipeline(caf::actor_system& system, caf::scoped_actor& self, const config::pipeline_config& cfg,
                               const run_options& options, sink& target, const run_state& st,
                               const std::vector<source_table>& selected, pipeline_metrics& metrics) {
  pipeline_actors p;
  auto loaders = target.spawn_loaders(system, metrics);
  p.checkpointer = system.spawn(checkpoint, st.store, st.initial, caf::actor_cast<caf::actor>(self), &metrics,
                                std::chrono::milliseconds(200));
  auto committer = target.spawn_committer(system);
  if (committer) self->send(p.checkpointer, link_committer_msg{*committer});
  batcher_settings bs;
  bs.max_rows = cfg.batch.max_rows;
  bs.max_bytes = cfg.batch.max_bytes;
  bs.flush_interval = cfg.batch.flush_interval;
  bs.capacity_bytes = cfg.pipeline.max_in_flight_bytes;
  target.shape_batches(bs);
  for (const auto& t : selected)
    if (t.replica_identity == 'f' && read_by_ctid(cfg, t)) bs.keyless_relids.insert(t.oid);
  p.batch = system.spawn(batcher, bs, loaders, p.checkpointer, &metrics);
  p.merge = system.spawn(watermark, p.batch, cfg.snapshot.mode == config::snapshot_mode::snapshot_only);
  std::uint64_t raw_window = std::max<std::uint64_t>(64 << 10, cfg.pipeline.max_in_flight_bytes / 16);
  std::set<std::uint32_t> partitioned;
  for (const auto& t : selected)
    if (t.partitioned) partitioned.insert(t.oid);
  codecs::pgoutput::partition_root_lookup roots;
  if (!partitioned.empty()) roots = actors::partition_root_lookup_of(config::conninfo(cfg.source.postgres, true), partitioned);
  p.decode = system.spawn(decoder, p.merge, &metrics, raw_window, std::move(roots));
  std::size_t max_chunk_bytes = std::min<std::uint64_t>(256 << 10, raw_window / 4);
  p.source = spawn_source(system, cfg, options, st.initial.durable_lsn, p.decode, max_chunk_bytes, metrics);
  p.all = {caf::actor_cast<caf::actor>(p.source), caf::actor_cast<caf::actor>(p.decode),
           caf::actor_cast<caf::actor>(p.merge), caf::actor_cast<caf::actor>(p.batch),
           caf::actor_cast<caf::actor>(p.checkpointer)};
  for (auto& l : loaders) p.all.push_back(caf::actor_cast<caf::actor>(l));
  if (committer) p.all.push_back(caf::actor_cast<caf::actor>(*committer));
  for (auto& a : p.all) self->monitor(a);
  self->send(p.checkpointer, link_source_msg{p.source});
  self->send(p.merge, link_source_msg{p.source});
  return p;
}

// The snapshot's chunker and readers, started with the first chunks to read: at start,
// or on a `pg2sr snapshot -c FILE --table T` request on the running pipeline.
class snapshot_reading {
 public:
  snapshot_reading(caf::actor_system& system, caf::scoped_actor& self, const config::pipeline_config& cfg,
                   pipeline_actors& p, pipeline_metrics& metrics)
      : system_(system), self_(self), cfg_(cfg), p_(p), metrics_(metrics) {}

  void read(std::vector<chunk_task_ptr> tasks) {
    if (chunks_) {
      self_->send(*chunks_, add_tasks_msg{std::move(tasks)});
      return;
    }
    chunk_reader_settings crs;
    crs.conninfo = config::conninfo(cfg_.source.postgres, true);
    crs.max_rows_per_sec = cfg_.snapshot.max_rows_per_sec / static_cast<std::uint64_t>(cfg_.snapshot.parallelism);
    crs.chunk_pause = cfg_.snapshot.chunk_pause;
    std::vector<chunk_reader_actor> readers;
    for (int i = 0; i < cfg_.snapshot.parallelism; ++i)
      readers.push_back(system_.spawn<caf::detached>(chunk_reader, crs, p_.merge, &metrics_));
    spdlog::info("snapshot: {} chunk(s) to read with {} reader(s)", tasks.size(), readers.size());
    chunks_ = system_.spawn(chunker, std::move(tasks), readers, p_.merge);
    self_->send(p_.merge, link_chunker_msg{*chunks_});
    self_->send(p_.checkpointer, link_chunker_msg{*chunks_});
    p_.all.push_back(caf::actor_cast<caf::actor>(*chunks_));
    self_->monitor(*chunks_);
    for (auto& r : readers) p_.all.push_back(caf::actor_cast<caf::actor>(r));
  }

  // The chunks of partitions attached or detached since the last look, into the plan and read.
  void follow_partitions(partition_watch& watch) {
    std::vector<partition_jobs> changed;
    try {
      changed = watch.check();
      if (watch_failing_) spdlog::info("partitions: read again");
      watch_failing_ = false;
    } catch (const std::exception& e) {
      if (!watch_failing_) spdlog::warn("partitions: cannot read which partitions the tables have ({}); trying again", e.what());
      watch_failing_ = true;
      return;
    }
    for (auto& jobs : changed) {
      std::size_t chunks = jobs.plan.table.chunks.size();
      if (auto* progress = metrics_.table(jobs.plan.table.relid)) {
        progress->chunks_total += chunks;
        for (const auto& c : jobs.plan.table.chunks) progress->estimated_rows += c.estimated_rows;
      }
      metrics_.snapshot_chunks_total.fetch_add(chunks);
      self_->send(p_.checkpointer, std::move(jobs.plan));
      if (!jobs.tasks.empty()) read(std::move(jobs.tasks));
    }
  }

  // Plans each requested table anew, lets the checkpoint replace its plan, reads its chunks.
  void take_requests(const std::vector<source_table>& selected, partition_watch& partitions) {
    for (const auto& name : take_snapshot_requests(cfg_.pipeline.state_dir)) {
      auto table = std::find_if(selected.begin(), selected.end(), [&](const auto& t) { return t.qualified() == name; });
      auto* progress = table == selected.end() ? nullptr : metrics_.table(table->oid);
      if (!progress) {
        spdlog::warn("snapshot request for {}: not a selected table; ignored", name);
        continue;
      }
      if (progress->chunks_done.load() < progress->chunks_total) {
        spdlog::warn("snapshot request for {}: its snapshot is still running; ignored", name);
        continue;
      }
      try {
        actors::pg_connection conn(config::conninfo(cfg_.source.postgres, true));
        std::vector<chunk_task_ptr> tasks;
        auto plan = plan_table_again(cfg_, conn, *table, tasks);
        progress->chunks_total = plan.chunks.size();
        partitions.replanned(table->oid, plan.chunks.size());
        progress->estimated_rows = 0;
        for (const auto& c : plan.chunks) progress->estimated_rows += c.estimated_rows;
        progress->chunks_done = 0;
        progress->rows_read = 0;
        metrics_.snapshot_chunks_total.fetch_add(plan.chunks.size());
        self_->send(p_.checkpointer, replan_table_msg{std::move(plan)});
        spdlog::info("snapshot of {} requested: reading it again while streaming goes on", name);
        read(std::move(tasks));
      } catch (const std::exception& e) {
        spdlog::error("snapshot request for {}: {}", name, e.what());
      }
    }
  }

 private:
  caf::actor_system& system_;
  caf::scoped_actor& self_;
  const config::pipeline_config& cfg_;
  pipeline_actors& p_;
  pipeline_metrics& metrics_;
  std::optional<chunker_actor> chunks_;
  bool watch_failing_ = false;
};

// Until the pipeline is done or an actor fails: once a second, snapshot requests, the
// target's after-snapshot work and the status line. Returns the exit code.
int run_until_done(caf::scoped_actor& self, const config::pipeline_config& cfg, sink& target, pipeline_actors& p,
                   const std::vector<source_table>& selected, pipeline_metrics& metrics, snapshot_reading& snapshot,
                   partition_watch& partitions) {
  bool postgres_source = cfg.source.kind == config::source_kind::postgres;
  bool take_requests = postgres_source && cfg.snapshot.mode != config::snapshot_mode::snapshot_only;
  auto started = std::chrono::steady_clock::now();
  status_line status(metrics, cfg.pipeline.name, cfg.pipeline.state_dir);
  status.log();
  auto next_status = started + cfg.pipeline.status_interval;
  std::optional<slot_health> slot;
  if (postgres_source) slot.emplace(config::conninfo(cfg.source.postgres, true), cfg.source.slot);
  auto report_slot = [&] {  // before each status line: a slot at risk is said loudly
    if (!slot) return;
    auto now = slot->read();
    if (!now) return;
    status.set_slot(slot_wal_summary(*now));
    if (auto risk = slot_wal_risk(*now)) spdlog::warn("{}", risk->message);
  };
  report_slot();
  bool after_snapshot_pending = postgres_source, target_finished = true;
  auto finish_target_after_snapshot = [&] {
    if (!after_snapshot_pending || metrics.snapshot_chunks_done.load() < metrics.snapshot_chunks_total.load()) return;
    after_snapshot_pending = false;
    target_finished = target.finish_after_snapshot(selected);
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
        if (take_requests) snapshot.take_requests(selected, partitions);
        if (take_requests && !partitions.empty()) snapshot.follow_partitions(partitions);
        finish_target_after_snapshot();
        if (std::chrono::steady_clock::now() >= next_status) {
          report_slot();
          status.log();
          next_status = std::chrono::steady_clock::now() + cfg.pipeline.status_interval;
        }
      });
  for (auto& a : p.all) self->send_exit(a, caf::exit_reason::user_shutdown);
  if (exit_code == 0) finish_target_after_snapshot();
  if (exit_code == 0 && !target_finished) exit_code = 1;  // said why; the next start tries again
  status.finish(exit_code == 0 ? "stopped" : "failed");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (exit_code == 0)
    spdlog::info("done: {} events, {} rows loaded in {} loads, {} source chunks, {:.2f} s ({} events/s), durable LSN {}{}",
                 metrics.events.load(), metrics.rows_loaded.load(), metrics.loads.load(), metrics.source_chunks.load(),
                 secs, rate(static_cast<double>(metrics.events.load()) / std::max(secs, 1e-3)),
                 codecs::format_lsn(final_lsn), target.done_summary(metrics));
  return exit_code;
}

// run_pipeline after the stop signals are blocked.
int start_and_run(const config::pipeline_config& cfg, const run_options& options) {
  auto target = make_sink(cfg);
  try {
    if (cfg.source.kind == config::source_kind::synthetic) target->prepare_for_synthetic_source();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  run_state st;
  if (!open_state(cfg, st)) return 1;
  stop_if_signalled();
  if (!target->settle(st.initial, *st.store)) return 1;
  stop_if_signalled();
  std::vector<chunk_task_ptr> snapshot_chunks;
  std::vector<source_table> selected;
  if (cfg.source.kind == config::source_kind::postgres &&
      !prepare_postgres_source(cfg, st.initial, st.checkpoint_found, *st.store, *target, snapshot_chunks, selected))
    return 1;
  stop_if_signalled();  // a signal from here on is the watcher's (below): the pipeline drains what it has

  caf::actor_system_config caf_cfg;
  configure_scheduler(caf_cfg);
  caf::actor_system system{caf_cfg};
  pipeline_metrics metrics;
  add_table_progress(metrics, selected, st.initial);
  caf::scoped_actor self{system};
  pipeline_actors p;
  try {
    p = spawn_pipeline(system, self, cfg, options, *target, st, selected, metrics);
  } catch (const std::runtime_error& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
  snapshot_reading snapshot(system, self, cfg, p, metrics);
  if (!snapshot_chunks.empty()) snapshot.read(std::move(snapshot_chunks));
  else if (cfg.source.kind == config::source_kind::postgres && cfg.snapshot.mode == config::snapshot_mode::snapshot_only)
    self->send(p.merge, snapshot_read_msg{});
  self->send(p.decode, link_source_msg{p.source});
  self->send(p.merge, link_decoder_msg{p.decode});
  self->send(p.batch, link_watermark_msg{p.merge});  // grants the capacity: data starts to flow

  std::atomic<int> stop_signals{0};
  signal_watcher signals([&](int sig) {
    if (stop_signals.fetch_add(1) == 0) {
      spdlog::info("received {}: draining what is in flight, then stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      caf::anon_send(p.source, stop_atom::value);
    } else {
      spdlog::warn("second stop signal: stopping now; the checkpoint stays at what was durably loaded");
      caf::anon_send_exit(caf::actor_cast<caf::actor>(p.source), caf::exit_reason::user_shutdown);
    }
  });
  spdlog::info("pipeline {}: {} source -> {} sink, capacity {}", cfg.pipeline.name, config::to_string(cfg.source.kind),
               config::to_string(cfg.sink.kind), config::format_size(cfg.pipeline.max_in_flight_bytes));
  partition_watch partitions(cfg, selected, st.initial.snapshot);
  return run_until_done(self, cfg, *target, p, selected, metrics, snapshot, partitions);
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
