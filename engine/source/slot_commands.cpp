// pg_replication_slots read, described and (for the pipeline's own slot) dropped.
#include "engine/source/slot_commands.hpp"

#include <cstdlib>

#include "config/units.hpp"

namespace pg2sr::engine {

using actors::pg_error;

namespace {

std::optional<std::int64_t> to_int64(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return std::stoll(*v);
}

std::string in_quotes(const std::string& name) { return "\"" + name + "\""; }

std::string current_database(actors::pg_connection& conn) { return *conn.query("SELECT current_database()")[0][0]; }

}  // namespace

// The lag is computed by the server (pg_wal_lsn_diff) against the WAL position it is at:
// pg_current_wal_lsn() on a primary, the replay position on a standby (where the former fails).
std::vector<server_slot> read_slots(actors::pg_connection& conn) {
  const char* wal_status = conn.server_version() >= 130000 ? "coalesce(s.wal_status, ''), s.safe_wal_size::text"
                                                           : "'', NULL::text";
  auto rows = conn.query(
      std::string("SELECT s.slot_name, coalesce(s.plugin, ''), s.slot_type, coalesce(s.database, ''), s.active::text, "
                  "       s.active_pid::text, coalesce(a.application_name, ''), coalesce(host(a.client_addr), ''), "
                  "       coalesce(s.confirmed_flush_lsn::text, ''), coalesce(s.restart_lsn::text, ''), ") +
      wal_status +
      ", pg_wal_lsn_diff(w.lsn, s.confirmed_flush_lsn)::bigint::text, pg_wal_lsn_diff(w.lsn, s.restart_lsn)::bigint::text "
      "FROM pg_replication_slots s "
      "LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid "
      "CROSS JOIN (SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
      "                        ELSE pg_current_wal_lsn() END AS lsn) w "
      "ORDER BY s.slot_name");
  std::vector<server_slot> out;
  for (auto& r : rows) {
    server_slot s;
    s.name = *r[0];
    s.plugin = *r[1];
    s.slot_type = *r[2];
    s.database = *r[3];
    s.active = *r[4] == "true";
    if (r[5]) s.active_pid = std::stoi(*r[5]);
    s.holder_application = *r[6];
    s.holder_address = *r[7];
    s.confirmed_flush_lsn = *r[8];
    s.restart_lsn = *r[9];
    s.wal_status = *r[10];
    s.safe_wal_size = to_int64(r[11]);
    s.lag_bytes = to_int64(r[12]);
    s.retained_bytes = to_int64(r[13]);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<server_slot> find_slot(const std::vector<server_slot>& slots, const std::string& name) {
  for (const auto& s : slots)
    if (s.name == name) return s;
  return std::nullopt;
}

std::string describe_holder(const server_slot& slot) {
  std::string out = "pid " + (slot.active_pid ? std::to_string(*slot.active_pid) : std::string("?"));
  std::string app = slot.holder_application.empty() ? "unknown" : slot.holder_application;
  out += " (application " + app;
  if (!slot.holder_address.empty()) out += ", client " + slot.holder_address;
  return out + ")";
}

std::string describe_slot(const server_slot& slot, bool ours) {
  std::string out = "slot " + in_quotes(slot.name) + (ours ? " (ours): " : " (not ours): ");
  out += slot.plugin.empty() ? slot.slot_type : "plugin " + slot.plugin;
  out += slot.active ? ", active, held by " + describe_holder(slot) : ", inactive";
  out += ", confirmed_flush_lsn " + (slot.confirmed_flush_lsn.empty() ? "none" : slot.confirmed_flush_lsn);
  out += ", restart_lsn " + (slot.restart_lsn.empty() ? "none" : slot.restart_lsn);
  if (slot.lag_bytes) {
    auto lag = std::max<std::int64_t>(0, *slot.lag_bytes);
    out += ", lag " + std::to_string(lag) + " bytes (" + config::format_size(static_cast<std::uint64_t>(lag)) + ")";
  }
  if (slot.retained_bytes)
    out += ", retains " + config::format_size(static_cast<std::uint64_t>(std::max<std::int64_t>(0, *slot.retained_bytes))) +
           " of WAL";
  if (auto risk = slot_wal_risk(slot)) out += "; " + risk->message;
  else if (!slot.wal_status.empty()) out += ", " + slot_wal_summary(slot);
  return out;
}

std::string slot_wal_summary(const server_slot& slot) {
  if (slot.wal_status.empty()) return "";
  std::string out = "wal_status " + slot.wal_status;
  if (slot.safe_wal_size)
    out += ", safe_wal_size " + (*slot.safe_wal_size < 0 ? "-" : std::string()) +
           config::format_size(static_cast<std::uint64_t>(std::llabs(*slot.safe_wal_size)));
  return out;
}

std::string lost_slot_remedy(const std::string& slot) {
  return "the changes in the removed WAL cannot be read any more, so the target may miss them (deletes included); "
         "to recover: `pg2sr resync -c FILE`, then start pg2sr again (or set [source] on_lost_slot = \"resync\"): the "
         "slot is created again and every table's snapshot taken again while streaming, deleting from the target the "
         "rows the source no longer has. To keep it from happening: raise max_slot_wal_keep_size (or -1: unlimited) "
         "or keep pg2sr from stopping that long. Slot " +
         in_quotes(slot);
}

std::optional<slot_risk> slot_wal_risk(const server_slot& slot) {
  std::string name = "slot " + in_quotes(slot.name);
  if (slot.wal_status == "lost")
    return slot_risk{slot.wal_status, name + " is INVALIDATED (wal_status lost): PostgreSQL removed WAL it still "
                                             "needed (max_slot_wal_keep_size); " + lost_slot_remedy(slot.name)};
  if (slot.wal_status == "unreserved")
    return slot_risk{slot.wal_status,
                     name + " is at risk (" + slot_wal_summary(slot) + "): it holds more WAL than "
                                "max_slot_wal_keep_size allows and is invalidated at the next checkpoint unless "
                                "pg2sr catches up; raise max_slot_wal_keep_size now"};
  if (slot.wal_status == "extended")
    return slot_risk{slot.wal_status, name + " holds more WAL than max_wal_size (" + slot_wal_summary(slot) +
                                          "); it is lost once past max_slot_wal_keep_size"};
  return std::nullopt;
}

std::vector<std::string> slot_list_lines(actors::pg_connection& conn, const std::string& our_slot) {
  auto db = current_database(conn);
  auto slots = read_slots(conn);
  std::vector<std::string> lines;
  auto ours = find_slot(slots, our_slot);
  if (!ours)
    lines.push_back("slot " + in_quotes(our_slot) + " (ours): does not exist yet; pg2sr run creates it");
  else if (ours->database != db)
    lines.push_back("slot " + in_quotes(our_slot) + " (ours by name): belongs to " +
                    (ours->database.empty() ? "no database (a physical slot)" : "database " + in_quotes(ours->database)) +
                    ", not " + in_quotes(db) + "; set source.slot to another name");
  else
    lines.push_back(describe_slot(*ours, true));
  for (const auto& s : slots)
    if (s.name != our_slot && s.slot_type == "logical" && s.database == db) lines.push_back(describe_slot(s, false));
  return lines;
}

// Checked first, then dropped: the checks give the precise reason and remedy. A holder that
// appears in between makes the server refuse (55006), which is reported the same way.
slot_drop_result drop_slot(actors::pg_connection& conn, const std::string& slot) {
  auto db = current_database(conn);
  auto found = find_slot(read_slots(conn), slot);
  if (!found) return {false, "slot " + in_quotes(slot) + " does not exist; nothing dropped (check source.slot)"};
  if (found->slot_type != "logical" || found->database != db)
    return {false, "slot " + in_quotes(slot) + " is not a logical slot of database " + in_quotes(db) +
                       " (it is " + found->slot_type +
                       (found->database.empty() ? "" : ", in database " + in_quotes(found->database)) +
                       "): not pg2sr's; nothing dropped"};
  std::string release = "stop the process that streams from it";
  if (found->active)
    return {false, "slot " + in_quotes(slot) + " is active, held by " + describe_holder(*found) + "; not dropped: " + release +
                       (found->active_pid ? " (or SELECT pg_terminate_backend(" + std::to_string(*found->active_pid) + "))"
                                          : std::string()) +
                       ", then drop again"};
  try {
    conn.query("SELECT pg_drop_replication_slot($1)", {slot});
  } catch (const pg_error& e) {
    if (e.sqlstate() == "55006")
      return {false, "slot " + in_quotes(slot) + " became active while dropping (" + e.what() + "); not dropped: " +
                         release + ", then drop again"};
    return {false, "cannot drop slot " + in_quotes(slot) + ": " + e.what()};
  }
  return {true, "dropped slot " + in_quotes(slot) + " (it was at confirmed_flush_lsn " +
                    (found->confirmed_flush_lsn.empty() ? "none" : found->confirmed_flush_lsn) + ")"};
}

created_slot create_slot(const std::string& conninfo, const std::string& slot) {
  // Connected first: a server out of connections then refuses before the slot exists. The
  // listing it does may take a while; the server's timeouts must not end it.
  std::unique_ptr<actors::pg_connection> exported;
  try {
    exported = std::make_unique<actors::pg_connection>(conninfo);
    exported->exec("SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0");
  } catch (const actors::pg_error&) {
    exported.reset();  // the slot is still made, without its snapshot
  }
  // A walsender speaks the simple query protocol only; the exported snapshot lives until
  // the replication connection runs its next command or ends.
  actors::pg_connection repl(conninfo + " replication=database");
  std::string create = "CREATE_REPLICATION_SLOT " + actors::quote_ident(slot) + " LOGICAL pgoutput" +
                       (repl.server_version() >= 150000 ? " (SNAPSHOT 'export')" : " EXPORT_SNAPSHOT");
  auto created = actors::pg_connection::rows(repl.get(), PQexec(repl.get(), create.c_str()));
  if (created.empty() || !created[0].at(1) || !created[0].at(2))
    throw actors::pg_error("CREATE_REPLICATION_SLOT " + slot + " returned no consistent point or snapshot", "");
  created_slot out{*created[0][1], nullptr};
  if (!exported) return out;
  try {
    exported->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    exported->exec("SET TRANSACTION SNAPSHOT " + actors::quote_literal(exported->get(), *created[0][2]));
    out.exported = std::move(exported);
  } catch (const actors::pg_error&) {
    // The slot exists; the caller goes on without its snapshot.
  }
  return out;
}

}  // namespace pg2sr::engine
