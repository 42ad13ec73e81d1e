// Which source tables a pipeline replicates: [tables] include/exclude regexes on
// "schema.table", matched against the user tables the catalog lists.
#pragma once

#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"

namespace pg2sr::engine {

struct source_table {
  std::string schema;
  std::string name;
  std::uint32_t oid = 0;
  bool has_primary_key = false;
  char replica_identity = 'd';  ///< d(efault), n(othing), f(ull), i(ndex)
  bool partitioned = false;     ///< the root of a partition tree: its partitions are its rows
  std::string qualified() const { return schema + "." + name; }
  /// Updates and deletes of a published table fail on the source without a usable identity.
  bool updatable_when_published() const {
    return replica_identity == 'f' || replica_identity == 'i' || (replica_identity == 'd' && has_primary_key);
  }
};

/// True when "schema.table" matches an include regex and no exclude regex (whole-name match).
bool table_selected(const config::tables_section& rules, const std::string& qualified_name);

/// The ordinary and partitioned user tables (no system schemas) that `rules` select,
/// sorted by schema and name. A partition is never a table of its own: its rows are its
/// root's (a partition the regexes match is read through its root, if that is selected).
std::vector<source_table> select_tables(actors::pg_connection& conn, const config::tables_section& rules);

}  // namespace pg2sr::engine
