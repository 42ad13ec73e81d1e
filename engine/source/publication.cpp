// CREATE / ALTER PUBLICATION according to publication_mode.
#include "engine/source/publication.hpp"

#include <set>

namespace pg2sr::engine {

using actors::quote_ident;
using actors::quote_qualified;

bool publication_exists(actors::pg_connection& conn, const std::string& name) {
  return !conn.query("SELECT 1 FROM pg_publication WHERE pubname = $1", {name}).empty();
}

std::vector<std::string> tables_missing_from_publication(actors::pg_connection& conn, const std::string& name,
                                                         const std::vector<source_table>& tables) {
  std::set<std::string> published;
  for (const auto& r : conn.query("SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = $1",
                                  {name}))
    published.insert(*r[0]);
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
        conn.exec("CREATE PUBLICATION " + quote_ident(name) + " FOR ALL TABLES");
        return publication_action::created;
      }
      auto all = conn.query("SELECT puballtables::text FROM pg_publication WHERE pubname = $1", {name});
      if (*all[0][0] != "true")
        throw std::runtime_error("publication \"" + name + "\" exists but is not FOR ALL TABLES (publication_mode = " +
                                 "\"all_tables\"); drop it, or use publication_mode = \"filtered\"");
      return publication_action::none;
    }
    case config::publication_mode::filtered: {
      if (tables.empty())
        throw std::runtime_error("no table is selected: [tables] include/exclude match no user table");
      if (!exists) {
        conn.exec("CREATE PUBLICATION " + quote_ident(name) + " FOR TABLE " + table_list(tables));
        return publication_action::created;
      }
      auto missing = tables_missing_from_publication(conn, name, tables);
      auto published = conn.query("SELECT count(*)::text FROM pg_publication_tables WHERE pubname = $1", {name});
      bool exact = missing.empty() && std::stoul(*published[0][0]) == tables.size();
      if (exact) return publication_action::none;
      conn.exec("ALTER PUBLICATION " + quote_ident(name) + " SET TABLE " + table_list(tables));
      return publication_action::altered;
    }
  }
  return publication_action::none;
}

}  // namespace pg2sr::engine
