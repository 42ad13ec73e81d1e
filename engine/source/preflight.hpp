// Live preflight of a PostgreSQL source for `pg2sr check`: everything `pg2sr run` needs from
// the server, judged before it runs. Facts are read once (preflight_facts.cpp), then judged
// by pure code (preflight.cpp), so tests can feed made-up facts (e.g. a version below 10).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/source/slot_commands.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// ok: satisfied; info: fine, but `pg2sr run` will change something (e.g. create the
/// publication); fail: `pg2sr run` would fail or misbehave.
enum class check_status { ok, info, fail };

/// One judged check: a short name ("wal_level"), its status, and one line saying what is
/// wrong, where, and how to fix it (or what is fine).
struct check_result {
  std::string name;
  check_status status = check_status::ok;
  std::string message;
};

/// A walsender process, from pg_stat_replication.
struct wal_sender {
  int pid = 0;
  std::string application_name;
  std::string client_addr;  ///< "" when local or hidden from this role
  std::string state;
};

/// What the checks judge, as read from the server.
struct server_facts {
  int server_version = 0;  ///< server_version_num, e.g. 150004
  bool in_recovery = false;
  std::string host_port;   ///< "host:port", for messages
  std::string database;
  std::string role;
  bool role_replication = false;
  bool role_superuser = false;
  std::string wal_level;
  int max_wal_senders = 0;
  std::vector<wal_sender> wal_senders;
  int max_replication_slots = 0;
  std::vector<server_slot> slots;  ///< every slot of the cluster
  int user_tables = 0;             ///< user tables in the database, selected or not
  std::vector<source_table> tables;  ///< the selected ones
  bool publication_exists = false;
  bool publication_all_tables = false;
  bool publication_owned = false;                 ///< the role may ALTER it
  bool publication_via_root = false;              ///< publish_via_partition_root
  std::vector<std::string> unpublished;           ///< selected tables it does not publish
  std::vector<std::string> published_unselected;  ///< tables it publishes that are not selected
  bool may_create_in_database = false;            ///< CREATE on the database
  std::vector<std::string> tables_not_owned;      ///< selected tables the role does not own
  bool replication_probed = false;                ///< a replication connection was tried
  std::string replication_error;                  ///< its failure ("" = it worked)
};

/// The version check alone: fails below PostgreSQL 10 (no pgoutput).
check_result check_server_version(int server_version);

/// Judges the facts against the source settings: one or more results per check, in a fixed
/// order. Pure. Below version 10 only the version result is returned.
std::vector<check_result> evaluate_preflight(const config::source_section& source, const server_facts& facts);

/// Reads the facts over a plain connection (throws actors::pg_error).
server_facts read_server_facts(actors::pg_connection& conn, const config::pipeline_config& cfg);

/// Connects, reads the facts, tries a replication connection, judges. An unreachable server
/// is one fail result carrying libpq's message (never the password nor the conninfo).
std::vector<check_result> run_preflight(const config::pipeline_config& cfg);

/// "ok: <message>", "info: <message>" or "FAIL: <message>" (messages name their subject).
std::string to_line(const check_result& result);

/// True when no result failed.
bool all_passed(const std::vector<check_result>& results);

}  // namespace pg2sr::engine
