// Preflight facts read from the live source: settings, role, walsenders, slots, tables and
// publication over one plain connection, plus one real replication connection attempt.
#include <algorithm>
#include <optional>
#include <set>

#include "engine/source/preflight.hpp"
#include "engine/source/publication.hpp"

namespace pg2sr::engine {

using actors::pg_connection;
using actors::pg_error;

namespace {

std::string host_port(const config::postgres_connection& pg) { return pg.host + ":" + std::to_string(pg.port); }

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running...?");
// a check result is one line. The password is masked in case a server ever echoes it.
std::string one_line(std::string message, const config::secret& password) {
  for (auto& c : message)
    if (c == '\n' || c == '\t') c = ' ';
  message.erase(std::unique(message.begin(), message.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
                message.end());
  while (!message.empty() && message.back() == ' ') message.pop_back();
  if (!password.empty())
    for (auto at = message.find(password.reveal()); at != std::string::npos; at = message.find(password.reveal()))
      message.replace(at, password.reveal().size(), config::secret::redacted);
  return message;
}

void read_settings(pg_connection& conn, server_facts& f) {
  auto r = conn.query(
      "SELECT current_database(), current_user, r.rolreplication::text, r.rolsuper::text, "
      "       current_setting('wal_level'), current_setting('max_wal_senders'), "
      "       current_setting('max_replication_slots'), pg_is_in_recovery()::text, "
      "       has_database_privilege(current_database(), 'CREATE')::text "
      "FROM pg_roles r WHERE r.rolname = current_user")[0];
  f.database = *r[0];
  f.role = *r[1];
  f.role_replication = *r[2] == "true";
  f.role_superuser = *r[3] == "true";
  f.wal_level = *r[4];
  f.max_wal_senders = std::stoi(*r[5]);
  f.max_replication_slots = std::stoi(*r[6]);
  f.in_recovery = *r[7] == "true";
  f.may_create_in_database = *r[8] == "true";
}

void read_wal_senders(pg_connection& conn, server_facts& f) {
  for (auto& r : conn.query("SELECT pid::text, coalesce(application_name, ''), coalesce(host(client_addr), ''), "
                            "       coalesce(state, '') FROM pg_stat_replication ORDER BY pid"))
    f.wal_senders.push_back({std::stoi(*r[0]), *r[1], *r[2], *r[3]});
}

void read_tables(pg_connection& conn, const config::tables_section& rules, server_facts& f) {
  f.tables = select_tables(conn, rules);
  config::tables_section every;
  every.include = {".*"};
  f.user_tables = static_cast<int>(select_tables(conn, every).size());
  if (f.tables.empty()) return;
  std::string oids = "{";
  for (const auto& t : f.tables) oids += (oids.size() > 1 ? "," : "") + std::to_string(t.oid);
  for (auto& r : conn.query("SELECT n.nspname || '.' || c.relname FROM pg_class c "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE c.oid = ANY($1::oid[]) AND NOT pg_has_role(c.relowner, 'USAGE') ORDER BY 1",
                            {oids + "}"}))
    f.tables_not_owned.push_back(*r[0]);
}

void read_publication(pg_connection& conn, const std::string& name, server_facts& f) {
  auto pub = conn.query("SELECT puballtables::text, pg_has_role(pubowner, 'USAGE')::text "
                        "FROM pg_publication WHERE pubname = $1",
                        {name});
  f.publication_exists = !pub.empty();
  if (!f.publication_exists) return;
  f.publication_all_tables = *pub[0][0] == "true";
  f.publication_owned = *pub[0][1] == "true";
  f.publication_via_root = publishes_via_root(conn, name);
  f.unpublished = tables_missing_from_publication(conn, name, f.tables);
  std::set<std::string> selected;
  for (const auto& t : f.tables) selected.insert(t.qualified());
  for (const auto& t : published_tables(conn, name))
    if (!selected.count(t)) f.published_unselected.push_back(t);
}

// What pg2sr run does first: a replication=database connection and IDENTIFY_SYSTEM
// (simple protocol: a walsender refuses the extended one). It catches pg_hba.conf rules
// and limits that the catalogs do not show.
void probe_replication(const config::pipeline_config& cfg, server_facts& f) {
  f.replication_probed = true;
  try {
    pg_connection repl(config::conninfo(cfg.source.postgres, true) + " replication=database");
    repl.exec("IDENTIFY_SYSTEM");
  } catch (const pg_error& e) {
    f.replication_error = one_line(e.what(), cfg.source.postgres.password);
  }
}

}  // namespace

server_facts read_server_facts(pg_connection& conn, const config::pipeline_config& cfg) {
  server_facts f;
  f.host_port = host_port(cfg.source.postgres);
  f.server_version = conn.server_version();
  if (f.server_version < 100000) return f;  // the catalogs below do not exist yet
  read_settings(conn, f);
  read_wal_senders(conn, f);
  f.slots = read_slots(conn);
  read_tables(conn, cfg.tables, f);
  read_publication(conn, cfg.source.publication, f);
  return f;
}

std::vector<check_result> run_preflight(const config::pipeline_config& cfg) {
  const auto& pg = cfg.source.postgres;
  std::string where = "PostgreSQL at " + host_port(pg) + " (database \"" + pg.dbname + "\", user \"" + pg.user + "\")";
  std::optional<pg_connection> conn;
  try {
    conn.emplace(config::conninfo(pg, true));
  } catch (const pg_error& e) {
    return {{"connection", check_status::fail,
             "cannot connect to " + where + ": " + one_line(e.what(), pg.password) +
                 "; fix: check source.host, port, dbname, user and the password (password_env/password_file or "
                 "~/.pgpass), and that the server is running"}};
  }
  std::vector<check_result> out{{"connection", check_status::ok, "connected to " + where}};
  server_facts facts;
  try {
    facts = read_server_facts(*conn, cfg);
  } catch (const pg_error& e) {
    out.push_back({"catalogs", check_status::fail,
                   "reading the server's settings and catalogs as \"" + pg.user + "\" failed: " +
                       one_line(e.what(), pg.password) + "; fix: grant that role access (or use another source.user)"});
    return out;
  }
  // Probed after reading pg_stat_replication, so that the probe does not count itself.
  if (facts.server_version >= 100000) probe_replication(cfg, facts);
  for (auto& r : evaluate_preflight(cfg.source, facts)) out.push_back(std::move(r));
  return out;
}

}  // namespace pg2sr::engine
