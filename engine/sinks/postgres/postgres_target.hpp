// A PostgreSQL target (sink kind "postgres") before and after the stream: the state table
// that makes loads exactly-once, the target tables created from the source's definitions
// (with create_tables), the checks that every selected table can be loaded, and the source's
// other indexes and constraints once the snapshot is done.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/sinks/target_problems.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// Everything that keeps the pipeline from starting, one line each with its fix.
class postgres_target_error : public target_problems {
 public:
  explicit postgres_target_error(std::vector<std::string> problems);
};

/// "host:port/dbname" of the target, without credentials.
std::string target_where(const config::pipeline_config& cfg);

/// The source's settings that shape its text output (server_encoding as client_encoding,
/// DateStyle, IntervalStyle, lc_monetary): a target session set alike reads it back exactly.
std::vector<std::pair<std::string, std::string>> source_text_settings(actors::pg_connection& source);

/// Creates pg2sr.applied (the position of every table, per pipeline) and
/// pg2sr.deferred_keys (postgres_deferred_key.hpp) when missing.
void create_state_tables(actors::pg_connection& target);

/// Before streaming from a PostgreSQL source: the state table; with create_tables the
/// selected tables missing in the target, with the schemas, extensions, enums, domains and
/// composites their columns need (columns, types, NOT NULL, collations, generated columns;
/// the primary key now, or with key_after_snapshot deferred: pg2sr.deferred_keys); then
/// every selected table must exist with every column the stream sends (a missing column
/// is added with add_columns). Throws postgres_target_error.
void prepare_postgres_target(actors::pg_connection& source, const std::vector<source_table>& tables,
                             const config::pipeline_config& cfg);

/// Once the snapshot is done: the primary keys deferred for it (the loaders build one
/// earlier when the stream brings a change for its table). False when one failed (logged).
bool build_deferred_keys(const config::pipeline_config& cfg, const std::vector<source_table>& tables);

/// Once the snapshot is done (create_tables): the source's indexes other than the primary
/// key and its UNIQUE, CHECK and EXCLUDE constraints, where the target lacks them. Foreign
/// keys are not created: tables load independently, so a child row may arrive before its
/// parent. Failures are logged, not fatal.
void create_target_indexes(const config::pipeline_config& cfg, const std::vector<source_table>& tables);

/// The SQL type of a source column (format_type on the source), for ADD COLUMN.
std::string source_column_type(const config::pipeline_config& cfg, std::uint32_t type_oid, std::int32_t typmod);

}  // namespace pg2sr::engine
