// The StarRocks tables a pipeline loads into: each selected PostgreSQL table read from the
// catalog, its columns mapped (codecs/starrocks/starrocks_types), its key and table model chosen, and
// the DDL that creates them (`pg2sr ddl`) or adds a column the stream brings.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "codecs/starrocks/starrocks_types.hpp"
#include "config/config.hpp"
#include "engine/sinks/target_problems.hpp"
#include "engine/source/preflight.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// One replicated column: its PostgreSQL name and declared type, and its StarRocks mapping.
struct starrocks_column {
  std::string name;
  std::string pg_type;  ///< format_type() as declared: a domain keeps its own name
  codecs::starrocks::column_mapping mapping;  ///< for a key column, its primary_key_mapping
};

/// Primary Key tables take upserts and deletes by key; a table without key becomes a
/// Duplicate Key table, which only appends.
enum class starrocks_model { primary_key, duplicate_key };

/// The StarRocks table of one PostgreSQL table.
struct starrocks_table {
  std::string source;    ///< "schema.table" in PostgreSQL
  std::string database;  ///< sink.starrocks.database
  std::string name;      ///< the PostgreSQL table's name
  starrocks_model model = starrocks_model::duplicate_key;
  /// The columns pgoutput sends, in attnum order (generated columns are never sent, so not here).
  std::vector<starrocks_column> columns;
  std::vector<std::string> key_columns;  ///< Primary Key: in key order; empty for Duplicate Key
  std::string key_source;   ///< "key_column", "primary key", "replica identity index"; "" without key
  std::string sort_column;  ///< Duplicate Key: the sort and bucketing column
  std::vector<std::string> notes;  ///< what a reader of the DDL should know, e.g. a key held as text

  const starrocks_column* column(const std::string& column_name) const;
};

/// Every reason the selected tables cannot all be created in StarRocks (unmappable
/// columns, clashing names...), one line each, naming table, column and type, with the fix.
class starrocks_schema_error : public target_problems {
 public:
  explicit starrocks_schema_error(std::vector<std::string> problems);
};

/// The mapping options of [sink] numeric_without_precision, numeric_scale, numeric_nan.
codecs::starrocks::mapping_options mapping_options_of(const config::starrocks_sink& sink);

/// What the catalog says of type `oid` used with `typmod` (a column's atttypmod, or -1):
/// domains resolved to their base type (the domain's typmod when the column has none),
/// array elements and composite fields read in turn. For a column the stream adds.
codecs::starrocks::pg_column_type read_column_type(actors::pg_connection& conn, std::uint32_t oid, std::int32_t typmod);

/// The StarRocks table of each of `tables` (from select_tables): columns mapped with the
/// sink's options, key from [tables.override] key_column, else the primary key, else the
/// REPLICA IDENTITY index. Throws starrocks_schema_error listing every problem of every
/// table at once; pg_error when the catalog cannot be read.
std::vector<starrocks_table> describe_starrocks_tables(actors::pg_connection& conn,
                                                       const std::vector<source_table>& tables,
                                                       const config::pipeline_config& cfg);

/// "CREATE DATABASE IF NOT EXISTS `db`;"
std::string create_database_sql(const std::string& database);

/// A StarRocks identifier in backquotes, a backquote in it doubled.
std::string backquoted(const std::string& name);

/// The table's CREATE TABLE, after comment lines saying where it comes from and its notes.
/// Primary Key: key columns first in key order, NOT NULL, PRIMARY KEY and DISTRIBUTED BY
/// HASH on them. Duplicate Key: the sort column first, DUPLICATE KEY and HASH on it. Other
/// columns stay nullable, whatever PostgreSQL says, so that a later DROP NOT NULL there
/// cannot stop the loads; each carries its PostgreSQL type as COMMENT.
std::string create_table_sql(const starrocks_table& table);

/// "ALTER TABLE `db`.`t` ADD COLUMN `c` TYPE COMMENT ...;" for a column the target lacks.
std::string add_column_sql(const std::string& database, const std::string& table, const starrocks_column& column);

/// "-- <text>\n" with every control character written as \n, \r, \t or \xNN: a name that
/// holds a line break cannot end the comment and start a statement.
std::string ddl_comment(const std::string& text);

/// For `pg2sr check` with a StarRocks sink: one ok result when every selected table maps,
/// else one fail result per problem. Nothing when the source cannot be reached (the
/// preflight reports that).
std::vector<check_result> check_starrocks_tables(const config::pipeline_config& cfg);

}  // namespace pg2sr::engine
