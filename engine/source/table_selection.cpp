// Table selection against pg_class: regexes decide, the catalog tells keys and identity.
#include "engine/source/table_selection.hpp"

#include <regex>

namespace pg2sr::engine {

namespace {
bool any_match(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns)
    if (std::regex_match(name, std::regex(p, std::regex::ECMAScript))) return true;
  return false;
}
}  // namespace

bool table_selected(const config::tables_section& rules, const std::string& qualified_name) {
  return any_match(rules.include, qualified_name) && !any_match(rules.exclude, qualified_name);
}

std::vector<source_table> select_tables(actors::pg_connection& conn, const config::tables_section& rules) {
  auto rows = conn.query(
      "SELECT n.nspname, c.relname, c.oid::text, "
      "       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)::text, "
      "       c.relreplident::text, (c.relkind = 'p')::text "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
      "ORDER BY 1, 2");
  std::vector<source_table> out;
  for (const auto& r : rows) {
    source_table t;
    t.schema = *r[0];
    t.name = *r[1];
    if (!table_selected(rules, t.qualified())) continue;
    t.oid = static_cast<std::uint32_t>(std::stoul(*r[2]));
    t.has_primary_key = *r[3] == "true";
    t.replica_identity = (*r[4])[0];
    t.partitioned = *r[5] == "true";
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace pg2sr::engine
