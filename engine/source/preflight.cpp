// Preflight judgement: server facts + source settings -> one line per check, each failure
// saying what is wrong, where, and the fix. Pure: no connection here.
#include "engine/source/preflight.hpp"

#include <algorithm>
#include <set>

namespace pg2sr::engine {

using actors::quote_ident;
using actors::quote_qualified;
using config::publication_mode;

namespace {

check_result ok(std::string name, std::string message) { return {std::move(name), check_status::ok, std::move(message)}; }
check_result info(std::string name, std::string message) {
  return {std::move(name), check_status::info, std::move(message)};
}
check_result fail(std::string name, std::string message) {
  return {std::move(name), check_status::fail, std::move(message)};
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

// "a, b, c and 7 more": long lists stay one readable line.
std::string name_list(const std::vector<std::string>& names, std::size_t max_shown = 10) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max_shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > max_shown) out += " and " + std::to_string(names.size() - max_shown) + " more";
  return out;
}

// The selected tables named in `which` ("schema.table"), quoted for SQL.
std::string sql_table_list(const std::vector<source_table>& tables, const std::vector<std::string>& which) {
  std::set<std::string> wanted(which.begin(), which.end());
  std::vector<std::string> names;
  for (const auto& t : tables)
    if (wanted.count(t.qualified())) names.push_back(quote_qualified(t.schema, t.name));
  return name_list(names);
}

std::vector<std::string> qualified_names(const std::vector<source_table>& tables) {
  std::vector<std::string> names;
  for (const auto& t : tables) names.push_back(t.qualified());
  return names;
}

std::string version_text(int v) {
  if (v >= 100000) return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

check_result check_recovery(const server_facts& f) {
  if (!f.in_recovery) return ok("recovery", "server at " + f.host_port + " is a primary (not in recovery)");
  if (f.server_version >= 160000)
    return info("recovery", "server at " + f.host_port + " is a standby: logical decoding on a standby works from " +
                                "PostgreSQL 16, but the slot is lost on failover");
  return fail("recovery", "server at " + f.host_port + " is a standby (in recovery): PostgreSQL " +
                              version_text(f.server_version) +
                              " decodes only on the primary; point source.host at the primary");
}

check_result check_wal_level(const server_facts& f) {
  if (f.wal_level == "logical") return ok("wal_level", "wal_level = logical");
  return fail("wal_level", "wal_level = " + f.wal_level + " on " + f.host_port +
                               ", but logical replication needs logical; fix: ALTER SYSTEM SET wal_level = logical; "
                               "then restart PostgreSQL");
}

check_result check_role(const server_facts& f) {
  if (f.role_superuser) return ok("role", "role " + in_quotes(f.role) + " is a superuser (replication allowed)");
  if (f.role_replication) return ok("role", "role " + in_quotes(f.role) + " has REPLICATION");
  return fail("role", "role " + in_quotes(f.role) + " has neither REPLICATION nor superuser, so it cannot open a " +
                          "replication connection; fix (as a superuser): ALTER ROLE " + quote_ident(f.role) +
                          " REPLICATION");
}

// pg2sr needs exactly one walsender; every sender in use is named so the user can tell
// a stalled consumer from a live one.
check_result check_wal_senders(const server_facts& f) {
  int used = static_cast<int>(f.wal_senders.size());
  int free = f.max_wal_senders - used;
  if (free >= 1)
    return ok("max_wal_senders", "max_wal_senders = " + std::to_string(f.max_wal_senders) + ": " +
                                     std::to_string(used) + " in use, " + std::to_string(free) +
                                     " free (pg2sr needs 1)");
  std::vector<std::string> users;
  for (const auto& s : f.wal_senders)
    users.push_back("pid " + std::to_string(s.pid) + " (application " +
                    (s.application_name.empty() ? "unknown" : s.application_name) +
                    (s.client_addr.empty() ? "" : ", client " + s.client_addr) +
                    (s.state.empty() ? "" : ", " + s.state) + ")");
  return fail("max_wal_senders",
              "max_wal_senders = " + std::to_string(f.max_wal_senders) + " and " + std::to_string(used) +
                  " in use: no walsender free for pg2sr's replication connection" +
                  (users.empty() ? "" : "; used by " + name_list(users)) +
                  "; fix: stop one of them, or ALTER SYSTEM SET max_wal_senders = " +
                  std::to_string(std::max(used, f.max_wal_senders) + 1) + " and restart PostgreSQL");
}

// An existing slot of ours is reused, so only a missing one needs a free place.
check_result check_slot_capacity(const config::source_section& src, const server_facts& f) {
  std::string limit = "max_replication_slots = " + std::to_string(f.max_replication_slots);
  if (find_slot(f.slots, src.slot)) return ok("max_replication_slots", limit + ": slot " + in_quotes(src.slot) +
                                                                          " exists, no new slot needed");
  int used = static_cast<int>(f.slots.size());
  if (used < f.max_replication_slots)
    return ok("max_replication_slots", limit + ": " + std::to_string(used) + " in use, " +
                                           std::to_string(f.max_replication_slots - used) + " free (slot " +
                                           in_quotes(src.slot) + " will be created)");
  std::vector<std::string> users;
  for (const auto& s : f.slots)
    users.push_back(s.name + " (" + (s.plugin.empty() ? s.slot_type : s.plugin) +
                    (s.database.empty() ? "" : ", database " + s.database) +
                    (s.active_pid ? ", active pid " + std::to_string(*s.active_pid) : std::string(", inactive")) + ")");
  return fail("max_replication_slots",
              limit + " and " + std::to_string(used) + " in use: no place to create slot " + in_quotes(src.slot) +
                  "; used by " + name_list(users) +
                  "; fix: drop an unused slot (SELECT pg_drop_replication_slot('name')), or ALTER SYSTEM SET "
                  "max_replication_slots = " +
                  std::to_string(used + 1) + " and restart PostgreSQL");
}

check_result check_replication_connection(const server_facts& f) {
  if (f.replication_error.empty())
    return ok("replication connection", "replication connection accepted (replication=database, IDENTIFY_SYSTEM)");
  return fail("replication connection",
              "replication connection refused: " + f.replication_error +
                  "; fix: allow it in pg_hba.conf (a rule for database " + in_quotes(f.database) + " and user " +
                  in_quotes(f.role) + "), then SELECT pg_reload_conf()");
}

check_result check_tables(const server_facts& f) {
  if (!f.tables.empty())
    return ok("tables", std::to_string(f.tables.size()) + " of " + std::to_string(f.user_tables) +
                            " user table(s) selected in database " + in_quotes(f.database));
  return fail("tables", "no table selected: [tables] include/exclude match none of the " +
                            std::to_string(f.user_tables) + " user table(s) in database " + in_quotes(f.database) +
                            "; fix the include/exclude regexes (they match \"schema.table\" entirely)");
}

std::vector<check_result> check_replica_identity(const server_facts& f) {
  std::vector<check_result> out;
  for (const auto& t : f.tables) {
    if (t.updatable_when_published()) continue;
    std::string identity = t.replica_identity == 'n' ? "NOTHING" : "DEFAULT";
    out.push_back(fail("replica identity",
                       "table " + t.qualified() + " has no primary key and REPLICA IDENTITY " + identity +
                           ": once published, UPDATE and DELETE on it fail on the source; fix: ALTER TABLE " +
                           quote_qualified(t.schema, t.name) + " REPLICA IDENTITY FULL, or add a primary key"));
  }
  if (out.empty() && !f.tables.empty())
    out.push_back(ok("replica identity", "all " + std::to_string(f.tables.size()) +
                                             " selected table(s) have a primary key or REPLICA IDENTITY FULL/INDEX"));
  return out;
}

// What pg2sr run will do to the publication, or why it cannot; see engine/source/publication.hpp.
check_result check_publication(const config::source_section& src, const server_facts& f) {
  std::string pub = "publication " + in_quotes(src.publication);
  std::string mode = "publication_mode = \"" + std::string(config::to_string(src.publication_mode)) + "\"";
  switch (src.publication_mode) {
    case publication_mode::disabled:
      if (!f.publication_exists)
        return fail("publication", pub + " does not exist and " + mode + " (pg2sr never creates it); fix: " +
                                       "CREATE PUBLICATION " + quote_ident(src.publication) + " FOR TABLE " +
                                       sql_table_list(f.tables, qualified_names(f.tables)) +
                                       ", or set publication_mode = \"filtered\"");
      if (!f.unpublished.empty())
        return fail("publication", pub + " does not publish " + std::to_string(f.unpublished.size()) +
                                       " selected table(s): " + name_list(f.unpublished) + " (" + mode +
                                       "); fix: ALTER PUBLICATION " + quote_ident(src.publication) + " ADD TABLE " +
                                       sql_table_list(f.tables, f.unpublished) + ", or narrow [tables]");
      return ok("publication", pub + " publishes all " + std::to_string(f.tables.size()) + " selected table(s)");
    case publication_mode::all_tables:
      if (!f.publication_exists) return info("publication", pub + " does not exist: pg2sr run creates it FOR ALL TABLES");
      if (!f.publication_all_tables)
        return fail("publication", pub + " exists but is not FOR ALL TABLES, and " + mode +
                                       "; fix: DROP PUBLICATION " + quote_ident(src.publication) +
                                       " (pg2sr run recreates it FOR ALL TABLES), or set publication_mode = "
                                       "\"filtered\"");
      return ok("publication", pub + " exists FOR ALL TABLES");
    case publication_mode::filtered:
      if (!f.publication_exists)
        return info("publication", pub + " does not exist: pg2sr run creates it FOR TABLE the " +
                                       std::to_string(f.tables.size()) + " selected table(s)");
      if (f.unpublished.empty() && f.published_unselected.empty())
        return ok("publication", pub + " publishes exactly the " + std::to_string(f.tables.size()) +
                                     " selected table(s)");
      if (f.publication_all_tables)
        return fail("publication", pub + " is FOR ALL TABLES, which " + mode +
                                       " cannot narrow to the selected tables; fix: set publication_mode = "
                                       "\"all_tables\", or DROP PUBLICATION " +
                                       quote_ident(src.publication) + " so that pg2sr run creates it");
      return info("publication",
                  pub + " will be altered by pg2sr run to publish exactly the " + std::to_string(f.tables.size()) +
                      " selected table(s)" +
                      (f.unpublished.empty() ? "" : "; adding " + name_list(f.unpublished)) +
                      (f.published_unselected.empty() ? "" : "; removing " + name_list(f.published_unselected)));
  }
  return ok("publication", pub);
}

// A partitioned table is one target table, named after its root: how the stream names a
// partition's changes. Nothing to say when no selected table is partitioned.
std::optional<check_result> check_partitions(const config::source_section& src, const server_facts& f) {
  std::vector<std::string> roots;
  for (const auto& t : f.tables)
    if (t.partitioned) roots.push_back(t.qualified());
  if (roots.empty()) return std::nullopt;
  std::string what = std::to_string(roots.size()) + " partitioned table(s) (" + name_list(roots) +
                     ") are each one target table, with the rows of all their partitions";
  std::string pub = "publication " + in_quotes(src.publication);
  if (!f.publication_exists)
    return info("partitions", what + "; pg2sr run creates " + pub + " WITH (publish_via_partition_root = true)");
  if (f.publication_via_root)
    return ok("partitions", what + "; " + pub + " names their changes by the root (publish_via_partition_root)");
  if (src.publication_mode != publication_mode::disabled)
    return info("partitions", what + "; pg2sr run sets publish_via_partition_root = true on " + pub);
  return info("partitions", what + "; " + pub + " names each change by its partition, which pg2sr maps to the "
                                   "root as long as the partition is still attached when pg2sr reads the change; to "
                                   "name the root in the stream itself: ALTER PUBLICATION " +
                                   quote_ident(src.publication) + " SET (publish_via_partition_root = true)");
}

// Creating or altering a publication needs rights the REPLICATION attribute does not give:
// FOR ALL TABLES needs a superuser; FOR TABLE needs CREATE on the database and ownership
// of every table; ALTER needs ownership of the publication.
std::optional<check_result> check_publication_rights(const config::source_section& src, const server_facts& f) {
  if (f.role_superuser || src.publication_mode == publication_mode::disabled) return std::nullopt;
  std::string who = "role " + in_quotes(f.role);
  std::string pub = quote_ident(src.publication);
  if (src.publication_mode == publication_mode::all_tables) {
    if (f.publication_exists) return std::nullopt;
    return fail("publication rights", who + " cannot create publication " + in_quotes(src.publication) +
                                          " FOR ALL TABLES (that needs a superuser); fix: as a superuser, CREATE "
                                          "PUBLICATION " + pub + " FOR ALL TABLES, or use publication_mode = "
                                          "\"filtered\"");
  }
  bool exact = f.publication_exists && f.unpublished.empty() && f.published_unselected.empty();
  if (exact || f.tables.empty()) return std::nullopt;
  std::vector<std::string> missing;
  if (!f.publication_exists && !f.may_create_in_database)
    missing.push_back("CREATE on database " + in_quotes(f.database) + " (GRANT CREATE ON DATABASE " +
                      quote_ident(f.database) + " TO " + quote_ident(f.role) + ")");
  if (f.publication_exists && !f.publication_owned)
    missing.push_back("ownership of publication " + in_quotes(src.publication) + " (ALTER PUBLICATION " + pub +
                      " OWNER TO " + quote_ident(f.role) + ")");
  if (!f.tables_not_owned.empty())
    missing.push_back("ownership of " + name_list(f.tables_not_owned) + " (a publication adds only tables its " +
                      "owner owns)");
  if (missing.empty()) return std::nullopt;
  return fail("publication rights",
              who + " cannot " + (f.publication_exists ? "alter" : "create") + " publication " +
                  in_quotes(src.publication) + ": it lacks " + name_list(missing, missing.size()) +
                  "; fix: grant what it lacks, or have the owner create the publication and set "
                  "publication_mode = \"disabled\"");
}

std::vector<check_result> check_slot(const config::source_section& src, const server_facts& f) {
  std::string slot = "slot " + in_quotes(src.slot);
  auto found = find_slot(f.slots, src.slot);
  if (!found) return {info("slot", slot + " does not exist: pg2sr run creates it (pgoutput)")};
  std::vector<check_result> out;
  std::string rename = "set source.slot to another name";
  if (found->slot_type != "logical")
    return {fail("slot", slot + " is a " + found->slot_type + " slot, but pg2sr needs a logical pgoutput slot; fix: " +
                             rename)};
  if (found->database != f.database)
    out.push_back(fail("slot", slot + " belongs to database " + in_quotes(found->database) + ", not " +
                                   in_quotes(f.database) + " (logical slots are per database); fix: " + rename));
  if (found->plugin != "pgoutput")
    out.push_back(fail("slot", slot + " uses plugin " + found->plugin + ", but pg2sr needs pgoutput; fix: drop it " +
                                   "if nothing else uses it (pg2sr slot drop -c FILE), or " + rename));
  if (found->active)
    out.push_back(fail("slot", slot + " is active, held by " + describe_holder(*found) +
                                   ": another consumer streams from it; fix: stop it" +
                                   (found->active_pid ? " (or SELECT pg_terminate_backend(" +
                                                            std::to_string(*found->active_pid) + "))"
                                                      : std::string()) +
                                   ", or " + rename));
  auto risk = slot_wal_risk(*found);
  if (risk && risk->wal_status == "lost") out.push_back(fail("slot", risk->message));
  else if (risk) out.push_back(info("slot", risk->message));
  std::string health = slot_wal_summary(*found);
  if (out.empty())
    out.push_back(ok("slot", slot + " exists (pgoutput, inactive): pg2sr run resumes from confirmed_flush_lsn " +
                                 (found->confirmed_flush_lsn.empty() ? "none" : found->confirmed_flush_lsn) +
                                 (health.empty() ? "" : "; " + health)));
  return out;
}

}  // namespace

check_result check_server_version(int v) {
  if (v >= 100000) return ok("server version", "PostgreSQL " + version_text(v) + " (10 or newer needed)");
  return fail("server version", "PostgreSQL " + version_text(v) + " is too old: pgoutput logical replication " +
                                    "needs PostgreSQL 10 or newer; fix: upgrade the server");
}

std::vector<check_result> evaluate_preflight(const config::source_section& src, const server_facts& f) {
  std::vector<check_result> out{check_server_version(f.server_version)};
  if (out.back().status == check_status::fail) return out;
  out.push_back(check_recovery(f));
  out.push_back(check_wal_level(f));
  out.push_back(check_role(f));
  out.push_back(check_wal_senders(f));
  out.push_back(check_slot_capacity(src, f));
  // A refused probe is only news when the role and the walsender count allowed it.
  bool probe_meaningful = out[3].status != check_status::fail && out[4].status != check_status::fail;
  if (f.replication_probed && probe_meaningful) out.push_back(check_replication_connection(f));
  out.push_back(check_tables(f));
  for (auto& r : check_replica_identity(f)) out.push_back(std::move(r));
  // Without tables the publication cannot be judged (FOR TABLE needs some); "tables" failed.
  if (!f.tables.empty() || src.publication_mode == publication_mode::all_tables)
    out.push_back(check_publication(src, f));
  if (auto r = check_partitions(src, f)) out.push_back(std::move(*r));
  if (auto r = check_publication_rights(src, f)) out.push_back(std::move(*r));
  for (auto& r : check_slot(src, f)) out.push_back(std::move(r));
  return out;
}

std::string to_line(const check_result& r) {
  const char* tag = r.status == check_status::ok ? "ok: " : r.status == check_status::info ? "info: " : "FAIL: ";
  return tag + r.message;
}

bool all_passed(const std::vector<check_result>& results) {
  return std::none_of(results.begin(), results.end(), [](const auto& r) { return r.status == check_status::fail; });
}

}  // namespace pg2sr::engine
