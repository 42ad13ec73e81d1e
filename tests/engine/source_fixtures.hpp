// Fixtures for tests against a live PostgreSQL source: replication connections held open (a
// walsender, an active slot), slot and role clean-up, pipeline configurations, and running
// the pg2sr executable. (Second clusters: tests/support/scoped_cluster.hpp.)
#pragma once

#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/ports.hpp"

namespace pg2sr::test {

/// fresh_database(), after dropping the inactive slots a stopped run left in that database
/// (a database with slots cannot be dropped).
inline std::string fresh_source_database(const std::string& name) {
  auto admin = connect(cluster().conninfo());
  exec(admin.get(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    "WHERE database = '" + name + "' AND NOT active");
  return fresh_database(name);
}

/// A unique lower-case name for cluster-wide objects (slots, roles): `prefix_<pid>`.
inline std::string unique_name(const std::string& prefix) { return prefix + "_" + std::to_string(::getpid()); }

/// A replication connection (replication=database) held open: a walsender that counts
/// against max_wal_senders, and, after stream(), the holder of an active slot.
class replication_holder {
 public:
  replication_holder(const std::string& conninfo, const std::string& application_name)
      : conn_(connect(conninfo + " replication=database application_name=" + application_name)) {
    query(conn_.get(), "IDENTIFY_SYSTEM");
  }
  /// START_REPLICATION on `slot` (pgoutput, `publication` must exist): the slot turns active.
  void stream(const std::string& slot, const std::string& publication) {
    PGresult* r = PQexec(conn_.get(), ("START_REPLICATION SLOT \"" + slot + "\" LOGICAL 0/0 (proto_version '1', "
                                       "publication_names '\"" + publication + "\"')").c_str());
    auto status = PQresultStatus(r);
    std::string error = PQresultErrorMessage(r);
    PQclear(r);
    if (status != PGRES_COPY_BOTH) throw std::runtime_error("START_REPLICATION failed: " + error);
  }
  /// The walsender's pid (pg_stat_replication.pid, pg_replication_slots.active_pid).
  int pid() const { return PQbackendPID(conn_.get()); }

 private:
  pg_conn conn_;
};

/// Drops `slot` once its holder has gone (a closed walsender releases it a moment later).
inline void drop_slot_when_released(const std::string& conninfo, const std::string& slot) {
  auto conn = connect(conninfo);
  for (int i = 0; i < 100; ++i) {
    auto left = query(conn.get(), "SELECT active::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    if (left.empty()) return;
    if (left[0][0] == "false") {
      exec(conn.get(), "SELECT pg_drop_replication_slot('" + slot + "')");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

/// Drops the slot (if it exists) at the end of the scope: slots belong to the cluster, and
/// an active one is waited for.
class slot_cleanup {
 public:
  slot_cleanup(std::string conninfo, std::string slot) : conninfo_(std::move(conninfo)), slot_(std::move(slot)) {
    drop_slot_when_released(conninfo_, slot_);  // a leftover of an earlier, interrupted run
  }
  ~slot_cleanup() {
    try {
      drop_slot_when_released(conninfo_, slot_);
    } catch (...) {
    }
  }
  slot_cleanup(const slot_cleanup&) = delete;
  slot_cleanup& operator=(const slot_cleanup&) = delete;

 private:
  std::string conninfo_, slot_;
};

/// A login role that exists for the scope (roles belong to the cluster); what it owns or
/// was granted in database `db_conninfo` is dropped with it.
class role_cleanup {
 public:
  role_cleanup(std::string db_conninfo, std::string role) : db_(std::move(db_conninfo)), role_(std::move(role)) {
    drop();
    auto c = connect(cluster().conninfo());
    exec(c.get(), "CREATE ROLE \"" + role_ + "\" LOGIN");
  }
  ~role_cleanup() {
    try {
      drop();
    } catch (...) {
    }
  }
  role_cleanup(const role_cleanup&) = delete;
  role_cleanup& operator=(const role_cleanup&) = delete;

 private:
  void drop() {
    auto admin = connect(cluster().conninfo());
    if (query(admin.get(), "SELECT 1 FROM pg_roles WHERE rolname = '" + role_ + "'").empty()) return;
    auto db = connect(db_);
    exec(db.get(), "DROP OWNED BY \"" + role_ + "\"");
    exec(admin.get(), "DROP ROLE \"" + role_ + "\"");
  }
  std::string db_, role_;
};

/// A pipeline configuration (TOML) reading database `dbname` on 127.0.0.1:`port` through
/// `slot` and `publication`; `extra` is appended (more [source] keys first, then sections).
inline std::string source_toml(int port, const std::string& dbname, const std::string& slot,
                               const std::string& publication, const std::string& extra = "") {
  return "[pipeline]\nname = \"pf\"\nstate_dir = \"/tmp/pg2sr-pf-state\"\n[source]\nkind = \"postgres\"\n"
         "host = \"127.0.0.1\"\nport = " + std::to_string(port) + "\ndbname = \"" + dbname + "\"\n"
         "user = \"postgres\"\nconnect_timeout = \"3s\"\nslot = \"" + slot + "\"\npublication = \"" + publication +
         "\"\n" + extra + "\n[sink]\nkind = \"null\"\n";
}

/// `toml` (from source_toml) with its state_dir replaced by `dir`.
inline std::string with_state_dir(std::string toml, const std::string& dir) {
  const std::string shared = "/tmp/pg2sr-pf-state";
  return toml.replace(toml.find(shared), shared.size(), dir);
}

/// The configuration parsed as pg2sr does.
inline config::pipeline_config load_toml(const std::string& toml) { return config::load_string(toml, "test.toml"); }

/// A configuration file holding `toml`, removed at the end of the scope.
class config_file {
 public:
  config_file(const std::string& name, const std::string& toml)
      : path_((std::filesystem::temp_directory_path() / ("pg2sr_" + unique_name(name) + ".toml")).string()) {
    std::ofstream(path_) << toml;
  }
  ~config_file() { std::filesystem::remove(path_); }
  config_file(const config_file&) = delete;
  config_file& operator=(const config_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct cli_result {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs the pg2sr executable with `args` (and `env` assignments before it) through the shell.
inline cli_result run_pg2sr(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + std::getenv("PG2SR_BINARY") + " " + args + " 2>&1";
  cli_result r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace pg2sr::test
