// The pipeline's publication, kept as the configured mode says:
//   all_tables -> created FOR ALL TABLES when missing;
//   filtered   -> created, or altered, to publish exactly the selected tables;
//   disabled   -> must exist already and cover the selected tables (never touched).
// pg2sr creates it WITH (publish_via_partition_root = true) and switches an existing one
// (all_tables, filtered) that must publish a partitioned table: a partition's changes then
// name the root, the one table pg2sr keeps for the tree.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// What ensure_publication did, for the log.
enum class publication_action { none, created, altered };

/// Brings the publication in line with `mode`; throws std::runtime_error with the remedy
/// when it cannot (disabled and missing or incomplete, all_tables on an existing
/// publication that is not FOR ALL TABLES).
publication_action ensure_publication(actors::pg_connection& conn, const std::string& name,
                                      config::publication_mode mode, const std::vector<source_table>& tables);

/// Selected tables the existing publication does not publish ("schema.table"); all of them
/// when it does not exist.
std::vector<std::string> tables_missing_from_publication(actors::pg_connection& conn, const std::string& name,
                                                         const std::vector<source_table>& tables);

/// The tables the publication publishes ("schema.table"), a partition counted as its root.
std::set<std::string> published_tables(actors::pg_connection& conn, const std::string& name);

/// Whether the publication names a partition's changes by its root (false when missing).
bool publishes_via_root(actors::pg_connection& conn, const std::string& name);

/// Whether the publication exists.
bool publication_exists(actors::pg_connection& conn, const std::string& name);

}  // namespace pg2sr::engine
