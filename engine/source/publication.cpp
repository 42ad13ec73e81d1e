// CREATE / ALTER PUBLICATION according to publication_mode.
#include "engine/source/publication.hpp"

#include <algorithm>
#include <set>

namespace pg2sr::engine {

using actors::quote_ident;
using actors::quote_qualified;

bool publication_exists(actors::pg_connection& conn, const std::string& name) {
  return !conn.query("SELECT 1 FROM pg_publication WHERE pubname = $1", {name}).empty();
}

// A publication without publish_via_partition_root lists the leaves of a partitioned table
// it publishes, not the table: each listed table counts as its partition tree's root.
std::set<std::string> published_tables(actors::pg_connection& conn, const std::string& name) {
  std::set<std::string> published;
  for (const auto& r : conn.query(
           "SELECT DISTINCT rn.nspname || '.' || r.relname FROM pg_publication_tables pt "
           "JOIN pg_namespace n ON n.nspname = pt.schemaname "
           "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
           "JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid), c.oid) "
           "JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE pt.pubname = $1",
           {name}))
    published.insert(*r[0]);
  return published;
}

bool publishes_via_root(actors::pg_connection& conn, const std::string& name) {
  auto r = conn.query("SELECT pubviaroot::text FROM pg_publication WHERE pubname = $1", {name});
  return !r.empty() && *r[0][0] == "true";
}

std::vector<std::string> tables_missing_from_publication(actors::pg_connection& conn, const std::string& name,
                                                         const std::vector<source_table>& tables) {
  auto published = published_tables(conn, name);
  std::vector<std::string> missing;
  for (const auto& t : tables)
    if (!published.count(t.qualified())) missing.push_back(t.qualified());
  return missing;
}

namespace {
std::string table_list(const std::vector<source_table>& tables) {
  std::string list;
  for (const auto& t : tables) list += (list.empty() ? "" : ", ") + quote_qualified(t.schema, t.name);
  return list;
}

// Changes of a partition then name its root, the one table pg2sr keeps for the tree.
const char* via_root = " WITH (publish_via_partition_root = true)";

bool any_partitioned(const std::vector<source_table>& tables) {
  return std::any_of(tables.begin(), tables.end(), [](const auto& t) { return t.partitioned; });
}

// An existing publication is switched to publish via the root when it must publish a
// partitioned table; the changes before the switch name leaves, which the decoder maps.
bool publish_via_root(actors::pg_connection& conn, const std::string& name, const std::vector<source_table>& tables) {
  if (!any_partitioned(tables) || publishes_via_root(conn, name)) return false;
  conn.exec("ALTER PUBLICATION " + quote_ident(name) + " SET (publish_via_partition_root = true)");
  return true;
}
}  // namespace

publication_action ensure_publication(actors::pg_connection& conn, const std::string& name,
                                      config::publication_mode mode, const std::vector<source_table>& tables) {
  bool exists = publication_exists(conn, name);
  switch (mode) {
    case config::publication_mode::disabled: {
      if (!exists)
        throw std::runtime_error("publication \"" + name + "\" does not exist and publication_mode = \"disabled\"; " +
                                 "create it (CREATE PUBLICATION " + quote_ident(name) +
                                 " FOR TABLE ...) or set publication_mode = \"filtered\"");
      auto missing = tables_missing_from_publication(conn, name, tables);
      if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw std::runtime_error("publication \"" + name + "\" does not publish " + std::to_string(missing.size()) +
                                 " selected table(s): " + list + "; add them (ALTER PUBLICATION " +
                                 quote_ident(name) + " ADD TABLE ...) or narrow [tables]");
      }
      return publication_action::none;
    }
    case config::publication_mode::all_tables: {
      if (!exists) {
        conn.exec("CREATE PUBLICATION " + quote_ident(name) + " FOR ALL TABLES" + via_root);
        return publication_action::created;
      }
      auto all = conn.query("SELECT puballtables::text FROM pg_publication WHERE pubname = $1", {name});
      if (*all[0][0] != "true")
        throw std::runtime_error("publication \"" + name + "\" exists but is not FOR ALL TABLES (publication_mode = " +
                                 "\"all_tables\"); drop it, or use publication_mode = \"filtered\"");
      return publish_via_root(conn, name, tables) ? publication_action::altered : publication_action::none;
    }
    case config::publication_mode::filtered: {
      if (tables.empty())
        throw std::runtime_error("no table is selected: [tables] include/exclude match no user table");
      if (!exists) {
        conn.exec("CREATE PUBLICATION " + quote_ident(name) + " FOR TABLE " + table_list(tables) + via_root);
        return publication_action::created;
      }
      auto missing = tables_missing_from_publication(conn, name, tables);
      bool exact = missing.empty() && published_tables(conn, name).size() == tables.size();
      bool switched = publish_via_root(conn, name, tables);
      if (exact) return switched ? publication_action::altered : publication_action::none;
      conn.exec("ALTER PUBLICATION " + quote_ident(name) + " SET TABLE " + table_list(tables));
      return publication_action::altered;
    }
  }
  return publication_action::none;
}

}  // namespace pg2sr::engine
