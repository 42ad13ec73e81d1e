// Catalog reads for snapshot planning: pg_attribute, pg_index and pg_class of one table.
#include "engine/snapshot/snapshot_catalog.hpp"

#include <algorithm>
#include <stdexcept>

namespace pg2sr::engine {

namespace {
std::uint32_t to_u32(const std::optional<std::string>& text) { return static_cast<std::uint32_t>(std::stoul(*text)); }
}  // namespace

std::vector<catalog_column> catalog_columns(actors::pg_connection& conn, std::uint32_t table_oid) {
  auto rows = conn.query(
      "SELECT attname, atttypid::int8::text, atttypmod::text, attnotnull::text, (attgenerated <> '')::text "
      "FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
      {std::to_string(table_oid)});
  std::vector<catalog_column> out;
  for (const auto& r : rows)
    out.push_back({*r[0], to_u32(r[1]), std::stoi(*r[2]), *r[3] == "true", *r[4] == "true"});
  return out;
}

std::vector<std::string> primary_key_columns(actors::pg_connection& conn, std::uint32_t table_oid) {
  auto rows = conn.query(
      "SELECT a.attname FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord",
      {std::to_string(table_oid)});
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(*r[0]);
  return out;
}

std::shared_ptr<codecs::pgoutput::relation_schema> relation_from_catalog(actors::pg_connection& conn,
                                                                          std::uint32_t table_oid,
                                                                          const std::vector<std::string>& key_columns) {
  auto rel = conn.query(
      "SELECT n.nspname, c.relname, c.relreplident::text FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid",
      {std::to_string(table_oid)});
  if (rel.empty()) throw std::invalid_argument("no table with oid " + std::to_string(table_oid));
  auto schema = std::make_shared<codecs::pgoutput::relation_schema>();
  schema->relid = table_oid;
  schema->nspname = *rel[0][0];
  schema->relname = *rel[0][1];
  schema->replica_identity = (*rel[0][2])[0];

  auto is_named_key = [&](const std::string& name) {
    return std::find(key_columns.begin(), key_columns.end(), name) != key_columns.end();
  };
  for (const auto& c : catalog_columns(conn, table_oid)) {
    if (c.generated) continue;  // logicalrep_write_attrs skips attisdropped || attgenerated (PG 15)
    bool key = is_named_key(c.name);
    if (key) schema->key_columns.push_back(static_cast<std::uint16_t>(schema->columns.size()));
    schema->columns.push_back({c.name, c.type_oid, c.typmod, key, "", ""});
  }
  for (const auto& k : key_columns)
    if (!schema->column_index(k))
      throw std::invalid_argument(schema->qualified_name() + ": key column \"" + k +
                                  "\" is not a column pgoutput sends (missing or generated)");
  return schema;
}

}  // namespace pg2sr::engine
