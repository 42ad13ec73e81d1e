// pg2sr_torture: one seeded torture run (issue 13). On a dedicated PostgreSQL 15 cluster it
// creates the seed's schema and rows in database `src`, starts pg2sr (snapshot "initial",
// small throttled chunks; postgres sink with create_tables into database `dst` of a second
// cluster, or starrocks sink into the in-process emulator with tables from pg2sr's own
// mapping), runs two workload sessions and the seed's faults, waits until pg2sr has caught
// up, stops it with SIGTERM and compares every table row for row. Exit 0: equal; 1: differences (or pg2sr
// did not catch up / stop cleanly); 2: the harness itself failed.
//
// The last line is machine-readable for scripts/torture.sh:
//   TORTURE-RESULT seed=N result=PASS|FAIL rows=... kill9=... walsender_terminated=... ...
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/emulator/pg2sr_tables.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scoped_cluster.hpp"
#include "tests/torture/compare.hpp"
#include "tests/torture/plan.hpp"

namespace fs = std::filesystem;
using namespace pg2sr;
using namespace pg2sr::torture;
using clock_type = std::chrono::steady_clock;
namespace emu = pg2sr::test::starrocks;

namespace {

const char* pipeline_name = "torture";
const char* slot_name = "pg2sr_torture";
const char* starrocks_db = "torture";
const char* starrocks_password = "torture-sr-secret";

// SIGINT / SIGTERM: the run stops at the next check, and its clusters, emulator and pg2sr
// go with the stack (a soak run interrupted leaves nothing running).
volatile std::sig_atomic_t interrupted = 0;
void check_interrupted() {
  if (interrupted) throw std::runtime_error("interrupted");
}

struct run_options {
  std::uint64_t seed = 1;
  plan_options plan;
  std::string work_dir = "/tmp/pg2sr-torture";
  std::string pg2sr_binary = PG2SR_TORTURE_BINARY;
  std::string sink = "postgres";
  int catchup_timeout_s = 300;
  bool keep = false;
  bool faults = true;
};

// Counters shared by the sessions, the fault loop and the report.
struct run_stats {
  std::mutex mutex;
  std::map<std::string, long> counts;  // commits, rollbacks, errors by SQLSTATE, faults by kind...
  void add(const std::string& what, long n = 1) {
    std::lock_guard lock(mutex);
    counts[what] += n;
  }
  long get(const std::string& what) {
    std::lock_guard lock(mutex);
    return counts.count(what) ? counts[what] : 0;
  }
};

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string fixed(double v, int digits = 1) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  for (std::size_t n = 0; n <= lines && at > 0; ++n) {
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) return text;
  }
  return text.substr(at + 1);
}

// A connection that survives server restarts: reconnects (for up to a minute) when lost.
class session_conn {
 public:
  explicit session_conn(std::string conninfo) : conninfo_(std::move(conninfo)) { reconnect(); }
  PGconn* get() { return conn_.get(); }
  bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  void reconnect() {
    auto until = clock_type::now() + std::chrono::seconds(60);
    for (;;) {
      try {
        conn_ = test::connect(conninfo_);
        PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);  // DROP ... IF EXISTS chatter
        return;
      } catch (const std::exception&) {
        if (clock_type::now() > until) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }
  /// query() that reconnects and retries once the server is back.
  std::vector<std::vector<std::string>> query(const std::string& sql) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!ok()) reconnect();
        return test::query(conn_.get(), sql);
      } catch (const std::exception&) {
        if (ok() || attempt > 100) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

 private:
  std::string conninfo_;
  test::pg_conn conn_;
};

// pg2sr as a supervised child: a run that ends on its own is counted and started again
// (what systemd would do), every start is marked in the log.
class pg2sr_process {
 public:
  pg2sr_process(fs::path dir, std::string binary) : dir_(std::move(dir)), binary_(std::move(binary)) {}
  fs::path log_path() const { return dir_ / "pg2sr.log"; }
  std::string log() const { return test::read_text(log_path().string()); }

  void start(const std::string& why) {
    std::ofstream(log_path(), std::ios::app) << "=== torture: pg2sr start #" << ++starts_ << " (" << why << ")\n";
    child_ = std::make_unique<test::child_process>(
        std::vector<std::string>{binary_, "run", "-c", (dir_ / "p.toml").string()}, log_path().string());
  }
  void kill9() {
    if (!child_) return;
    child_->kill(SIGKILL);
    child_->wait();
    child_.reset();
  }
  bool running() const { return child_ != nullptr; }
  /// `pg2sr resync -c p.toml` (pg2sr stopped): what it printed.
  std::string resync() const { return test::run_command({binary_, "resync", "-c", (dir_ / "p.toml").string()}); }
  /// Restarts pg2sr if it ended on its own; returns the exit description ("" when running).
  std::string supervise() {
    test::process_result r;
    if (!child_ || !child_->try_wait(r)) return "";
    child_.reset();
    std::string how = r.signal ? "signal " + std::to_string(r.signal) : "exit code " + std::to_string(r.exit_code);
    return how;
  }
  /// SIGTERM and wait up to `timeout`; "" on a clean exit 0, else what happened.
  std::string stop(std::chrono::seconds timeout) {
    if (!child_) return "pg2sr was not running at the stop";
    child_->kill(SIGTERM);
    auto until = clock_type::now() + timeout;
    test::process_result r;
    while (!child_->try_wait(r)) {
      if (clock_type::now() > until) {
        kill9();
        return "pg2sr did not exit within " + std::to_string(timeout.count()) + " s of SIGTERM";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    child_.reset();
    if (r.exit_code != 0)
      return "pg2sr ended on SIGTERM with " +
             (r.signal ? "signal " + std::to_string(r.signal) : "exit code " + std::to_string(r.exit_code));
    return "";
  }

 private:
  fs::path dir_;
  std::string binary_;
  std::unique_ptr<test::child_process> child_;
  int starts_ = 0;
};

std::string postgres_sink_toml(int target_port) {
  return "[sink]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(target_port) +
         "\ndbname = \"dst\"\nuser = \"postgres\"\ncreate_tables = true\nmax_concurrent_loads = 3\n";
}

// Exactly once: keyless tables become Duplicate Key tables, which only a 2PC load keeps
// free of doubles across restarts.
std::string starrocks_sink_toml(const run_plan& plan, const emu::starrocks_emulator& emulator) {
  return "[sink]\nkind = \"starrocks\"\nfe_url = \"" + emulator.fe_url() + "\"\ndatabase = \"" + starrocks_db +
         "\"\nuser = \"root\"\npassword_env = \"PG2SR_TORTURE_STARROCKS_PASSWORD\"\nformat = \"" + plan.load_format +
         "\"\ncompression = \"" + plan.compression + "\"\nmax_concurrent_loads = 3\nexactly_once = true\n";
}

std::string config_toml(const run_plan& plan, const fs::path& dir, int source_port, const std::string& sink) {
  std::string p = std::to_string(source_port);
  return "[pipeline]\nname = \"" + std::string(pipeline_name) + "\"\nstate_dir = \"" + (dir / "state").string() +
         "\"\nstatus_interval = \"5s\"\n"
         "[source]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\nport = " + p +
         "\ndbname = \"src\"\nuser = \"postgres\"\nconnect_timeout = \"3s\"\nstatus_interval = \"500ms\"\n"
         "streaming = " + (plan.streaming ? "true" : "false") + "\n"
         "[snapshot]\nmode = \"initial\"\nchunk_rows = " + std::to_string(plan.chunk_rows) +
         "\nparallelism = " + std::to_string(plan.parallelism) + "\nmax_rows_per_sec = " +
         std::to_string(plan.max_rows_per_sec) + "\n"
         "[tables]\ninclude = [\"public\\\\..*\"]\n"
         "[batch]\nflush_interval = \"" + plan.flush_interval + "\"\nmax_rows = " + std::to_string(plan.batch_max_rows) +
         "\n" + sink;
}

// SQLSTATE classes a random workload meets legitimately: unique violations of racing key
// changes (23), deadlocks (40), the server going away (08, 57). Anything else is a bug of
// the harness's SQL and stops the run.
bool expected_error(const std::string& sqlstate) {
  auto cls = sqlstate.substr(0, 2);
  return cls == "23" || cls == "40" || cls == "08" || cls == "57" || sqlstate.empty();
}

struct workload {
  workload(const run_plan& p, std::string c, run_stats& s)
      : plan(p), conninfo(std::move(c)), stats(s), start(clock_type::now()) {}
  const run_plan& plan;
  std::string conninfo;
  run_stats& stats;
  clock_type::time_point start;
  std::atomic<bool> stop{false};
  std::atomic<bool> harness_error{false};
  std::mutex error_mutex;
  std::string error;

  void fail(const std::string& what) {
    std::lock_guard lock(error_mutex);
    if (error.empty()) error = what;
    harness_error = true;
    stop = true;
  }

  // Runs one transaction; false when it did not commit (planned or not).
  bool run_txn(session_conn& conn, const std::vector<std::string>& statements, bool commit) {
    if (!conn.ok()) conn.reconnect();
    std::vector<std::string> all{"BEGIN"};
    all.insert(all.end(), statements.begin(), statements.end());
    all.push_back(commit ? "COMMIT" : "ROLLBACK");
    for (const auto& sql : all) {
      PGresult* res = PQexec(conn.get(), sql.c_str());
      auto status = PQresultStatus(res);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        PQclear(res);
        continue;
      }
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      std::string sqlstate = state ? state : "";
      std::string message = PQresultErrorMessage(res);
      PQclear(res);
      stats.add("error " + (sqlstate.empty() ? std::string("connection") : sqlstate));
      if (!expected_error(sqlstate)) {
        fail("workload SQL failed (" + sqlstate + "): " + message + "in: " + sql.substr(0, 400));
        return false;
      }
      if (conn.ok()) {
        PGresult* rb = PQexec(conn.get(), "ROLLBACK");
        PQclear(rb);
      } else {
        conn.reconnect();
      }
      return false;
    }
    return commit;
  }

  void session(int id) {
    try {
      session_conn conn(conninfo);
      session_plan gen(plan, id);
      bool big_done = false, truncate_done = plan.truncate_at_s < 0;
      std::size_t swaps_done = 0;
      std::map<std::pair<int, std::size_t>, std::string> partition_names;  // after swaps
      while (!stop) {
        double now = seconds_since(start);
        if (id == 0 && !big_done && now >= plan.big_txn_at_s) {
          big_done = true;
          const auto& t = plan.tables[plan.big_txn_table];
          auto began = clock_type::now();
          bool ok = run_txn(conn, {t.insert_range_sql(1000001, 1000000 + plan.options.big_rows, 50)}, true);
          std::cout << "  [" << fixed(now) << "s] big transaction of " << plan.options.big_rows << " rows into "
                    << t.qualified() << (ok ? " committed" : " failed") << " (" << fixed(seconds_since(began)) << " s)"
                    << std::endl;
          stats.add(ok ? "big transaction" : "big transaction failed");
          continue;
        }
        if (id == 1 && !truncate_done && now >= plan.truncate_at_s) {
          truncate_done = true;
          const auto& t = plan.tables[plan.truncate_table];
          bool ok = run_txn(conn, {"TRUNCATE " + t.qualified()}, true);
          std::cout << "  [" << fixed(now) << "s] TRUNCATE " << t.qualified() << (ok ? "" : " failed") << std::endl;
          stats.add(ok ? "truncate" : "truncate failed");
          continue;
        }
        if (id == 1 && swaps_done < plan.swaps.size() && now >= plan.swaps[swaps_done].at_s) {
          const auto& swap = plan.swaps[swaps_done++];
          const auto& t = plan.tables[swap.table];
          auto& name = partition_names.try_emplace({swap.table, swap.partition}, t.partitions[swap.partition].name).first->second;
          std::string suffix = "_s" + std::to_string(swaps_done);
          std::string replacement = t.partitions[swap.partition].name + suffix, retired = name + "_old";
          bool ok = run_txn(conn, t.swap_partition_sql(swap.partition, name, replacement, retired), true);
          std::cout << "  [" << fixed(now) << "s] partition " << name << " of " << t.qualified() << " swapped"
                    << (ok ? " for " + replacement + " (the old one is retired." + retired + ")" : " failed") << std::endl;
          if (ok) name = replacement;
          stats.add(ok ? "partition swap" : "partition swap failed");
          continue;
        }
        auto txn = gen.next();
        if (run_txn(conn, txn.statements, txn.commit))
          stats.add("commit " + txn.kind);
        else
          stats.add("rollback " + txn.kind);
        if (txn.pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(txn.pause_ms));
      }
    } catch (const std::exception& e) {
      fail(std::string("workload session ") + std::to_string(id) + ": " + e.what());
    }
  }
};

// Each table's snapshot done, and again after the last change of its partitions pg2sr saw
// (the rows of a partition attached or detached are chunks of its table). Swaps end well
// before the workload does, so pg2sr has seen the last one by now.
bool all_snapshots_done(const std::string& log, const run_plan& plan, std::string& waiting_for) {
  // After a resync, every table's snapshot again.
  auto resync = log.rfind("table(s) snapshotted again");
  for (const auto& t : plan.tables) {
    std::string said = "partitions of " + t.qualified() + " changed";
    auto changed = log.rfind(said);
    if (changed != std::string::npos && log.compare(changed + said.size(), 13, ": 0 chunk(s),") == 0)
      changed = std::string::npos;  // nothing to read: no "done" follows
    auto done = log.rfind("snapshot of " + t.qualified() + " done");
    if (done == std::string::npos || (changed != std::string::npos && done < changed) ||
        (resync != std::string::npos && done < resync)) {
      waiting_for = t.qualified();
      return false;
    }
  }
  auto sentinel = log.rfind("snapshot of public.torture_sentinel done");
  if (sentinel == std::string::npos || (resync != std::string::npos && sentinel < resync)) {
    waiting_for = "public.torture_sentinel";
    return false;
  }
  return true;
}

std::string replay_command(const char* argv0, const run_options& o) {
  std::ostringstream out;
  out << fs::absolute(argv0).string() << " --seed " << o.seed << " --minutes " << o.plan.minutes << " --max-tables "
      << o.plan.max_tables << " --big-rows " << o.plan.big_rows << " --faults-per-minute " << o.plan.faults_per_minute
      << (o.plan.keyless ? "" : " --no-keyless") << (o.plan.toast ? "" : " --no-toast")
      << (o.plan.partitions ? "" : " --no-partitions") << (o.plan.resync ? "" : " --no-resync") << (o.faults ? "" : " --no-faults") << " --sink " << o.sink
      << " --work-dir " << o.work_dir
      << " --pg2sr " << o.pg2sr_binary;
  return out.str();
}

int run(const run_options& o, const char* argv0) {
  auto plan = make_plan(o.seed, o.plan);
  if (!o.faults) plan.faults.clear();
  fs::path dir = fs::path(o.work_dir) / ("seed-" + std::to_string(o.seed));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "plan.txt") << plan.describe();
  std::cout << plan.describe() << std::flush;
  run_stats stats;

  // The target on a server of its own: a fast restart of the source must not take the sink
  // down with it (the walsender's shutdown waits for pg2sr, which waits for its target).
  // Named after the process: runs of one seed side by side (other work dirs) get their own.
  std::string cluster_name = "torture_" + std::to_string(o.seed) + "_" + std::to_string(::getpid());
  bool starrocks = o.sink == "starrocks";
  // Small, so that the big transaction and a few others go over it: spilled by the
  // walsender, or streamed to pg2sr before their end, as the seed draws.
  test::scoped_cluster server(cluster_name + "_src", {"logical_decoding_work_mem = 1MB"});
  std::optional<test::scoped_cluster> target_server;
  std::optional<emu::starrocks_emulator> emulator;
  if (starrocks) {
    emulator.emplace(emu::emulator_options{"127.0.0.1", 0, 0, "root", starrocks_password, false});
    emulator->start();
    setenv("PG2SR_TORTURE_STARROCKS_PASSWORD", starrocks_password, 1);
  } else {
    target_server.emplace(cluster_name + "_dst");
  }
  auto keep_server_logs = [&] {
    for (const char* side : {"src", "dst"}) {
      auto pgroot = test::read_text("/tmp/pg2sr_cluster_" + cluster_name + "_" + side + "/pgroot");
      while (!pgroot.empty() && pgroot.back() == '\n') pgroot.pop_back();
      std::error_code ec;
      fs::copy_file(pgroot + "/server.log", dir / ("postgres-" + std::string(side) + ".log"),
                    fs::copy_options::overwrite_existing, ec);
    }
  };
  session_conn admin(server.conninfo());
  admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
              std::string(slot_name) + "'");
  test::exec(admin.get(), "DROP DATABASE IF EXISTS src WITH (FORCE)");
  test::exec(admin.get(), "CREATE DATABASE src");
  if (target_server) {
    session_conn target_admin(target_server->conninfo());
    test::exec(target_admin.get(), "DROP DATABASE IF EXISTS dst WITH (FORCE)");
    test::exec(target_admin.get(), "CREATE DATABASE dst");
  }
  session_conn source(server.conninfo("src"));
  test::exec(source.get(), "CREATE TABLE public.torture_sentinel (id int PRIMARY KEY); CREATE SCHEMA retired");
  for (const auto& t : plan.tables) {
    test::exec(source.get(), t.create_sql());
    test::exec(source.get(), t.insert_range_sql(1, t.initial_rows, 1));
  }
  test::exec(source.get(), "ANALYZE");

  std::ofstream(dir / "p.toml") << config_toml(plan, dir, server.port(),
                                               starrocks ? starrocks_sink_toml(plan, *emulator)
                                                         : postgres_sink_toml(target_server->port()));
  if (starrocks) emu::create_pipeline_tables(*emulator, dir / "p.toml");
  pg2sr_process pg2sr(dir, o.pg2sr_binary);
  workload work(plan, server.conninfo("src"), stats);
  pg2sr.start("first");
  std::vector<std::thread> sessions;
  for (int id = 0; id < 2; ++id) sessions.emplace_back([&work, id] { work.session(id); });
  struct joiner {  // also when a fault throws: no thread may outlive what it uses
    workload& work;
    std::vector<std::thread>& threads;
    ~joiner() {
      work.stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } join_sessions{work, sessions};

  auto event = [&](const std::string& what) {
    std::cout << "  [" << fixed(seconds_since(work.start)) << "s] " << what << std::endl;
  };
  auto supervise = [&] {
    auto ended = pg2sr.supervise();
    if (ended.empty()) return;
    stats.add("pg2sr ended on its own");
    event("pg2sr ended on its own (" + ended + "); restarting it");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    pg2sr.start("after it ended with " + ended);
  };

  // The workload and the faults, each fault at its planned time.
  double duration_s = o.plan.minutes * 60;
  std::size_t next_fault = 0;
  while (seconds_since(work.start) < duration_s && !work.harness_error) {
    check_interrupted();
    if (next_fault < plan.faults.size() && seconds_since(work.start) >= plan.faults[next_fault].at_s) {
      const auto& f = plan.faults[next_fault++];
      stats.add(std::string("fault ") + fault_kind_name(f.kind));
      switch (f.kind) {
        case fault_kind::kill9:
          event("kill -9 pg2sr, down " + fixed(f.pause_s) + " s");
          pg2sr.kill9();
          std::this_thread::sleep_for(std::chrono::duration<double>(f.pause_s));
          pg2sr.start("after kill -9");
          break;
        case fault_kind::walsender: {
          auto killed = admin.query("SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots "
                                    "WHERE slot_name = '" + std::string(slot_name) + "' AND active_pid IS NOT NULL");
          event("pg_terminate_backend of the walsender (" + killed.at(0).at(0) + " terminated)");
          break;
        }
        case fault_kind::pg_restart:
          event("PostgreSQL fast restart");
          server.restart();
          break;
        case fault_kind::lost_slot: {
          event("slot lost: pg2sr killed, its slot dropped, down " + fixed(f.pause_s) + " s, then pg2sr resync");
          pg2sr.kill9();
          for (int i = 0; i < 100; ++i) {  // the walsender lets go of the slot a moment later
            auto active = admin.query("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" +
                                      std::string(slot_name) + "' AND active");
            if (active.at(0).at(0) == "0") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
          admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
                      std::string(slot_name) + "'");
          std::this_thread::sleep_for(std::chrono::duration<double>(f.pause_s));
          // A Duplicate Key table cannot be emptied over HTTP: the user's TRUNCATE TABLE.
          if (emulator)
            for (const auto& t : plan.tables)
              if (t.key == key_kind::none) emu::create_pipeline_tables(*emulator, dir / "p.toml", t.name);
          std::string said = pg2sr.resync();
          if (said.find("resync requested") == std::string::npos)
            throw std::runtime_error("pg2sr resync failed: " + said);
          pg2sr.start("after the slot was lost and pg2sr resync");
          break;
        }
        case fault_kind::emulator:
          event("emulator fault " + f.emulator_fault + " on the next " + std::to_string(f.count) + " load(s)");
          if (emulator)
            emulator->inject_fault({emu::fault_kind_from_string(f.emulator_fault), f.count,
                                    std::chrono::milliseconds(f.delay_ms), ""});
          break;
      }
    }
    supervise();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  work.stop = true;
  for (auto& s : sessions) s.join();
  if (work.harness_error) {
    pg2sr.kill9();
    throw std::runtime_error(work.error);
  }
  event("workload stopped; waiting for pg2sr to catch up");

  // Caught up: every snapshot durable and the slot confirmed past a commit made after the
  // workload (the sentinel: a change of a published table, so the stream must pass it).
  bool caught_up = false;
  std::string waiting_for;
  source.query("INSERT INTO public.torture_sentinel VALUES (1) RETURNING id");
  auto target_lsn = source.query("SELECT pg_current_wal_insert_lsn()").at(0).at(0);
  // A throttled snapshot may still owe every row of a table (the big transaction can land in
  // one not read yet): the limit grows by the time the throttle needs for all source rows.
  long source_rows_now = 0;
  for (const auto& t : plan.tables)
    source_rows_now += std::stol(source.query("SELECT count(*) FROM " + t.qualified()).at(0).at(0));
  // Small chunks are bound by their own cost (two watermarks, a COPY): ~40 a second here.
  const int catchup_limit_s = o.catchup_timeout_s +
                              static_cast<int>(source_rows_now / std::max(1, plan.max_rows_per_sec)) +
                              static_cast<int>(source_rows_now / std::max(1, plan.chunk_rows) / 20);
  event("catch-up limit " + std::to_string(catchup_limit_s) + " s (" + std::to_string(source_rows_now) +
        " source rows at most " + std::to_string(plan.max_rows_per_sec) + " rows/s)");
  auto until = clock_type::now() + std::chrono::seconds(catchup_limit_s);
  while (clock_type::now() < until) {
    check_interrupted();
    supervise();
    auto confirmed = admin.query("SELECT coalesce(confirmed_flush_lsn >= '" + target_lsn +
                                 "'::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = '" + slot_name + "'");
    bool slot_ok = !confirmed.empty() && confirmed[0][0] == "t";
    if (!slot_ok) waiting_for = "confirmed_flush_lsn >= " + target_lsn;
    if (slot_ok && all_snapshots_done(pg2sr.log(), plan, waiting_for)) {
      caught_up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string stop_problem = pg2sr.running() ? pg2sr.stop(std::chrono::seconds(60)) : "pg2sr was not running at the stop";
  event(caught_up ? "caught up; pg2sr stopped" : "pg2sr did not catch up (waiting for " + waiting_for + ")");

  // Row for row.
  std::vector<table_comparison> results;
  std::size_t rows = 0, differing_tables = 0;
  std::optional<session_conn> target;
  if (target_server) target.emplace(target_server->conninfo("dst"));
  std::vector<table_plan> compared = plan.tables;
  table_plan sentinel;
  sentinel.name = "torture_sentinel";
  sentinel.columns = {{"id", "int"}};
  sentinel.key_columns = {"id"};
  compared.push_back(sentinel);
  for (const auto& t : compared) {
    results.push_back(starrocks ? compare_table_starrocks(source.get(), *emulator, starrocks_db, t)
                                : compare_table(source.get(), target->get(), t));
    rows += results.back().source_rows;
    if (!results.back().equal()) ++differing_tables;
  }
  bool pass = caught_up && stop_problem.empty() && differing_tables == 0;

  std::ostringstream faults;
  for (auto k : {fault_kind::kill9, fault_kind::walsender, fault_kind::pg_restart, fault_kind::emulator,
                 fault_kind::lost_slot})
    faults << " " << fault_kind_name(k) << "=" << stats.get(std::string("fault ") + fault_kind_name(k));
  long commits = 0, rollbacks = 0, errors = 0;
  std::string error_kinds;  // SQLSTATE x count
  for (const auto& [what, n] : stats.counts) {
    if (what.rfind("commit ", 0) == 0) commits += n;
    if (what.rfind("rollback ", 0) == 0) rollbacks += n;
    if (what.rfind("error ", 0) == 0) {
      errors += n;
      error_kinds += (error_kinds.empty() ? " (" : ", ") + what.substr(6) + " x" + std::to_string(n);
    }
  }
  if (!error_kinds.empty()) error_kinds += ")";
  std::cout << "seed " << o.seed << ": " << (pass ? "PASS" : "FAIL") << " (" << compared.size() << " tables, " << rows
            << " rows compared, " << commits << " commits, " << rollbacks << " rollbacks, " << errors
            << " workload errors" << error_kinds << "; faults" << faults.str() << "; pg2sr ended on its own "
            << stats.get("pg2sr ended on its own") << "x)\n";
  if (!pass) {
    if (!caught_up) std::cout << "  pg2sr did not catch up within " << catchup_limit_s << " s: waiting for " << waiting_for << "\n";
    if (!stop_problem.empty()) std::cout << "  " << stop_problem << "\n";
    for (const auto& r : results) {
      if (r.equal()) continue;
      std::cout << "  " << r.table << ": source " << r.source_rows << " rows, target " << r.target_rows << ", "
                << r.differences << " difference(s)\n";
      for (const auto& line : r.shown) std::cout << "    " << line << "\n";
    }
    std::cout << "  pg2sr log tail (" << pg2sr.log_path().string() << "):\n" << tail_lines(pg2sr.log(), 25);
    std::cout << "  replay: " << replay_command(argv0, o) << "\n";
    std::cout << "  state_dir, config, plan and logs kept in " << dir.string() << "\n";
    keep_server_logs();
  } else if (!o.keep) {
    fs::remove_all(dir);
  }
  std::cout << "TORTURE-RESULT seed=" << o.seed << " result=" << (pass ? "PASS" : "FAIL") << " rows=" << rows
            << " tables=" << compared.size() << faults.str() << " pg2sr_exits=" << stats.get("pg2sr ended on its own")
            << " commits=" << commits << " rollbacks=" << rollbacks << " differences=";
  std::size_t differences = 0;
  for (const auto& r : results) differences += r.differences;
  std::cout << differences << std::endl;
  return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  run_options o;
  CLI::App app{"pg2sr_torture: one seeded run of random schema, workload and faults, then a row-for-row compare"};
  app.add_option("--seed", o.seed, "the seed: same seed -> same schema, workload plan and fault plan")->required();
  app.add_option("--minutes", o.plan.minutes, "how long the workload and faults run")->capture_default_str();
  app.add_option("--max-tables", o.plan.max_tables, "tables are drawn from 1..N")->capture_default_str();
  app.add_option("--big-rows", o.plan.big_rows, "rows of the one big transaction")->capture_default_str();
  app.add_option("--faults-per-minute", o.plan.faults_per_minute)->capture_default_str();
  bool no_keyless = false, no_partitions = false, no_resync = false;
  app.add_flag("--no-keyless", no_keyless, "no keyless (REPLICA IDENTITY FULL) tables");
  bool no_toast = false;
  app.add_flag("--no-toast", no_toast, "no TOAST columns (to narrow down a failure)");
  app.add_flag("--no-faults", [&](std::int64_t) { o.faults = false; }, "no faults");
  app.add_flag("--no-partitions", no_partitions, "no partitioned tables (to narrow down a failure)");
  app.add_flag("--no-resync", no_resync, "no lost slot and resync (to narrow down a failure)");
  app.add_option("--sink", o.sink, "postgres (create_tables) or starrocks (the emulator, tables from pg2sr's mapping)")
      ->check(CLI::IsMember({"postgres", "starrocks"}))
      ->capture_default_str();
  app.add_option("--work-dir", o.work_dir, "runs keep their state_dir and logs in <dir>/seed-N")->capture_default_str();
  app.add_option("--pg2sr", o.pg2sr_binary, "the pg2sr executable")->capture_default_str();
  app.add_option("--catchup-timeout", o.catchup_timeout_s, "seconds, plus the source rows over the throttle")->capture_default_str();
  app.add_flag("--keep", o.keep, "keep the run folder also when the seed passes");
  bool plan_only = false;
  app.add_flag("--plan-only", plan_only, "print the seed's plan and exit");
  CLI11_PARSE(app, argc, argv);
  o.plan.keyless = !no_keyless;
  o.plan.toast = !no_toast;
  o.plan.partitions = !no_partitions;
  o.plan.resync = !no_resync;
  if (o.sink == "starrocks") {  // what a StarRocks table cannot hold or Stream Load cannot do
    o.plan.special_values = false;
    o.plan.append_only_keyless = true;
    o.plan.truncate = false;
    o.plan.starrocks = true;
  }
  if (plan_only) {
    auto plan = make_plan(o.seed, o.plan);
    if (!o.faults) plan.faults.clear();
    std::cout << plan.describe();
    return 0;
  }
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  // scoped_cluster runs scripts/pg-cluster.sh from the source tree.
  setenv("PG2SR_SOURCE_DIR", PG2SR_TORTURE_SOURCE_DIR, 0);
  try {
    return run(o, argv[0]);
  } catch (const std::exception& e) {
    std::cout << "seed " << o.seed << ": HARNESS ERROR: " << e.what() << "\n";
    std::cout << "TORTURE-RESULT seed=" << o.seed << " result=ERROR" << std::endl;
    return 2;
  }
}
