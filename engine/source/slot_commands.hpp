// Replication slots as the operator sees them: read pg_replication_slots with each slot's
// lag and holder, list them for `pg2sr slot list`, drop the pipeline's own slot for
// `pg2sr slot drop`. Preflight judges the same rows. Also the creation of the pipeline's
// slot by `pg2sr run`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"

namespace pg2sr::engine {

/// One row of pg_replication_slots, with its holder and its distance to the current WAL.
struct server_slot {
  std::string name;
  std::string plugin;     ///< "" for a physical slot
  std::string slot_type;  ///< "logical" or "physical"
  std::string database;   ///< "" for a physical slot
  bool active = false;
  std::optional<int> active_pid;
  std::string holder_application;   ///< application_name of active_pid ("" when unknown)
  std::string holder_address;       ///< client address of active_pid ("" when local or hidden)
  std::string confirmed_flush_lsn;  ///< "X/X", "" when none
  std::string restart_lsn;          ///< "X/X", "" when none
  std::string wal_status;           ///< PG13+: reserved | extended | unreserved | lost ("" before 13)
  std::optional<std::int64_t> lag_bytes;       ///< current WAL - confirmed_flush_lsn
  std::optional<std::int64_t> retained_bytes;  ///< current WAL - restart_lsn: WAL the slot keeps
  /// PG13+: bytes of WAL that can still be written before the slot is invalidated
  /// (max_slot_wal_keep_size); none when that is unlimited (-1) or the slot is lost.
  std::optional<std::int64_t> safe_wal_size;
};

/// How safe the slot's WAL is, when pg2sr may need to say so: "lost" (the WAL it needs is
/// gone), "unreserved" (past max_slot_wal_keep_size: lost at the next checkpoint unless the
/// slot catches up), "extended" (past max_wal_size, within max_slot_wal_keep_size); nothing
/// when reserved or unknown (before PG 13). The text names the slot and what to do.
struct slot_risk {
  std::string wal_status;
  std::string message;
};
std::optional<slot_risk> slot_wal_risk(const server_slot& slot);

/// "wal_status reserved, safe_wal_size 1.2GiB" (what the status line shows; "" before PG 13).
std::string slot_wal_summary(const server_slot& slot);

/// What to do once a slot is lost: the removed WAL's changes are gone for good.
std::string lost_slot_remedy(const std::string& slot);

/// Every replication slot of the cluster (all databases, logical and physical), by name.
std::vector<server_slot> read_slots(actors::pg_connection& conn);

/// The slot named `name`, if the cluster has one.
std::optional<server_slot> find_slot(const std::vector<server_slot>& slots, const std::string& name);

/// "pid 4242 (application pg2sr, client 10.0.0.5)": who holds an active slot.
std::string describe_holder(const server_slot& slot);

/// One `slot list` line: name, ours or not, plugin, active state, LSNs, lag in bytes and
/// human sized, retained WAL.
std::string describe_slot(const server_slot& slot, bool ours);

/// The `slot list` lines: the pipeline's slot `our_slot` first (or that it does not exist
/// yet), then every other logical slot of the connected database, marked "not ours".
std::vector<std::string> slot_list_lines(actors::pg_connection& conn, const std::string& our_slot);

/// What `slot drop` did: dropped or not, and the one line that says so (and why not).
struct slot_drop_result {
  bool dropped = false;
  std::string message;
};

/// Drops `slot` when it is a logical slot of the connected database and nobody holds it.
/// An active slot is refused, naming its holder and how to release it; never forced.
slot_drop_result drop_slot(actors::pg_connection& conn, const std::string& slot);

/// A slot just created: its consistent point, and a connection inside a REPEATABLE READ
/// transaction on the snapshot the slot exported (null when it could not be imported). That
/// transaction sees exactly the transactions committed before the slot, the ones the slot
/// does not stream. It holds back vacuum on the whole server: read what is needed, then
/// let it go.
struct created_slot {
  std::string consistent_point;
  std::unique_ptr<actors::pg_connection> exported;
};

/// Creates logical slot `slot` (pgoutput) on a short replication connection to
/// `conninfo` and imports its snapshot on a new connection to `conninfo`, before the
/// replication connection ends.
created_slot create_slot(const std::string& conninfo, const std::string& slot);

}  // namespace pg2sr::engine
