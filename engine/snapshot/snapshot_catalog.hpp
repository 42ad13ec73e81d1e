// What the snapshot planner reads from the catalog about one table: its columns (and which
// of them pgoutput sends), its primary key, and the Relation that pgoutput would describe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "codecs/pgoutput/relation_cache.hpp"

namespace pg2sr::engine {

/// One live (not dropped) column from pg_attribute.
struct catalog_column {
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t typmod = -1;
  bool not_null = false;
  bool generated = false;  ///< GENERATED ALWAYS AS ... STORED: pgoutput (PG 15) never sends it
};

/// The live columns of `table_oid` in attnum order (generated ones included, flagged).
std::vector<catalog_column> catalog_columns(actors::pg_connection& conn, std::uint32_t table_oid);

/// The primary key's column names in index order; empty when the table has none.
std::vector<std::string> primary_key_columns(actors::pg_connection& conn, std::uint32_t table_oid);

/// The table as pgoutput's Relation message would describe it: columns in attnum order
/// without dropped and generated ones, with type oid and typmod; `is_key` marks the columns
/// named in `key_columns` (which must all be sent columns: throws std::invalid_argument
/// otherwise); nspname, relname, relid and replica identity from pg_class. `version` is 0:
/// the schema does not come from a relation_cache. Publication column lists (PG 15) are not
/// applied: pg2sr publishes whole tables.
std::shared_ptr<codecs::pgoutput::relation_schema> relation_from_catalog(actors::pg_connection& conn,
                                                                          std::uint32_t table_oid,
                                                                          const std::vector<std::string>& key_columns);

}  // namespace pg2sr::engine
