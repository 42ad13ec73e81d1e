// StarRocks tables from the PostgreSQL catalog: types resolved, columns mapped, keys chosen,
// DDL written.
#include "engine/sinks/starrocks/starrocks_schema.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "engine/snapshot/snapshot_catalog.hpp"

namespace pg2sr::engine {

namespace sr = codecs::starrocks;

namespace {

// ---- reading types -------------------------------------------------------------------------

std::uint32_t to_oid(const std::optional<std::string>& text) { return static_cast<std::uint32_t>(std::stoul(*text)); }

struct pg_type_row {
  char typtype = 'b';
  char category = 'U';
  std::uint32_t base_type = 0;  ///< domains
  std::int32_t domain_typmod = -1;
  std::uint32_t element = 0;  ///< arrays (and a few fixed-size types such as point)
  std::uint32_t relation = 0;  ///< composites: the pg_class row holding their fields
};

// Reads pg_type rows and type names once per describe: tables share most of their types.
class type_reader {
 public:
  explicit type_reader(actors::pg_connection& conn) : conn_(conn) {}

  sr::pg_column_type read(std::uint32_t oid, std::int32_t typmod) {
    const pg_type_row* row = &type_row(oid);
    // A domain's values are its base type's; the column's typmod, else the outermost domain's that has one.
    while (row->typtype == 'd') {
      if (typmod < 0) typmod = row->domain_typmod;
      oid = row->base_type;
      row = &type_row(oid);
    }
    sr::pg_column_type type;
    type.oid = oid;
    type.typmod = typmod;
    type.name = format_type(oid, typmod);
    type.typtype = row->typtype;
    // An array column's typmod is its elements'.
    if (row->category == 'A' && row->element != 0)
      type.element = std::make_shared<const sr::pg_column_type>(read(row->element, typmod));
    if (row->typtype == 'c')
      for (const auto& field : catalog_columns(conn_, row->relation))
        type.fields.emplace_back(field.name, read(field.type_oid, field.typmod));
    return type;
  }

  std::string format_type(std::uint32_t oid, std::int32_t typmod) {
    auto key = std::make_pair(oid, typmod);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
    auto rows = conn_.query("SELECT format_type($1::oid, $2::int)", {std::to_string(oid), std::to_string(typmod)});
    return names_[key] = *rows.at(0)[0];
  }

 private:
  const pg_type_row& type_row(std::uint32_t oid) {
    auto it = rows_.find(oid);
    if (it != rows_.end()) return it->second;
    auto rows = conn_.query(
        "SELECT typtype::text, typcategory::text, typbasetype::int8::text, typtypmod::text, typelem::int8::text, "
        "typrelid::int8::text FROM pg_type WHERE oid = $1::oid",
        {std::to_string(oid)});
    if (rows.empty()) throw std::invalid_argument("pg_type has no type with oid " + std::to_string(oid));
    const auto& r = rows[0];
    pg_type_row row{(*r[0])[0], (*r[1])[0], to_oid(r[2]), std::stoi(*r[3]), to_oid(r[4]), to_oid(r[5])};
    return rows_.emplace(oid, row).first->second;
  }

  actors::pg_connection& conn_;
  std::map<std::uint32_t, pg_type_row> rows_;
  std::map<std::pair<std::uint32_t, std::int32_t>, std::string> names_;
};

// The columns of the REPLICA IDENTITY USING INDEX index, in index order.
std::vector<std::string> replica_identity_columns(actors::pg_connection& conn, std::uint32_t table_oid) {
  auto rows = conn.query(
      "SELECT a.attname FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1::oid AND i.indisreplident ORDER BY k.ord",
      {std::to_string(table_oid)});
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(*r[0]);
  return out;
}

// ---- describing a table ----------------------------------------------------------------------

struct table_key {
  std::vector<std::string> columns;
  std::string source;
};

table_key key_of(actors::pg_connection& conn, const source_table& table, const config::pipeline_config& cfg) {
  auto override_it = cfg.tables.overrides.find(table.qualified());
  if (override_it != cfg.tables.overrides.end() && !override_it->second.key_column.empty())
    return {{override_it->second.key_column}, "key_column"};
  if (auto pk = primary_key_columns(conn, table.oid); !pk.empty()) return {pk, "primary key"};
  if (table.replica_identity == 'i') return {replica_identity_columns(conn, table.oid), "replica identity index"};
  return {};
}

std::string unmappable(const source_table& table, const catalog_column& column, const std::string& declared,
                       const sr::pg_column_type& resolved, const std::string& message) {
  std::string where = table.qualified() + "." + column.name;
  if (declared != resolved.name) where += " (declared " + declared + ")";
  std::string column_sql = actors::quote_ident(column.name);
  return where + ": " + message + "; how to fix: change the column to a type with a mapping (e.g. ALTER TABLE " +
         actors::quote_qualified(table.schema, table.name) + " ALTER COLUMN " + column_sql + " TYPE text USING " +
         column_sql + "::text), or leave " + table.qualified() + " out with [tables] exclude";
}

void choose_primary_key(starrocks_table& out, const table_key& key, const std::vector<catalog_column>& catalog,
                        std::vector<std::string>& problems) {
  out.model = starrocks_model::primary_key;
  out.key_columns = key.columns;
  out.key_source = key.source;
  for (const auto& name : key.columns) {
    auto in_catalog = std::find_if(catalog.begin(), catalog.end(), [&](const catalog_column& c) { return c.name == name; });
    if (in_catalog == catalog.end() || in_catalog->generated) {
      problems.push_back(out.source + ": key column \"" + name + "\" (" + key.source + ") " +
                         (in_catalog == catalog.end() ? "does not exist" : "is generated, and pgoutput never sends it"));
      continue;
    }
    auto column = std::find_if(out.columns.begin(), out.columns.end(), [&](const starrocks_column& c) { return c.name == name; });
    if (column == out.columns.end()) continue;  // unmappable: reported with its type
    auto key_mapping = sr::primary_key_mapping(column->mapping);
    if (key_mapping.starrocks_type != column->mapping.starrocks_type)
      out.notes.push_back("key column " + name + " (" + column->pg_type + ") is held as " + key_mapping.starrocks_type +
                          " text: StarRocks keys cannot be " + column->mapping.starrocks_type);
    column->mapping = std::move(key_mapping);
    if (!in_catalog->not_null)
      out.notes.push_back("key column " + name +
                          " may be NULL in PostgreSQL; StarRocks refuses a row whose key is NULL, which stops the load");
  }
}

void choose_sort_column(starrocks_table& out, std::vector<std::string>& problems) {
  out.model = starrocks_model::duplicate_key;
  auto usable = std::find_if(out.columns.begin(), out.columns.end(),
                             [](const starrocks_column& c) { return sr::usable_in_sort_key(c.mapping); });
  if (usable == out.columns.end()) {
    problems.push_back(out.source + ": no key and no column StarRocks can sort by (BOOLEAN, integer, DECIMAL, DATE, "
                                    "DATETIME or VARCHAR); how to fix: add a primary key, or set [tables.override.\"" +
                       out.source + "\"] key_column");
    return;
  }
  out.sort_column = usable->name;
  out.notes.push_back("no key: a Duplicate Key table, which Stream Load only appends to (UPDATE and DELETE of this "
                      "table cannot be applied)");
}

starrocks_table describe_one(actors::pg_connection& conn, type_reader& types, const source_table& table,
                             const config::pipeline_config& cfg, std::vector<std::string>& problems) {
  starrocks_table out;
  out.source = table.qualified();
  out.database = cfg.sink.starrocks.database;
  out.name = table.name;
  auto options = mapping_options_of(cfg.sink.starrocks);
  auto catalog = catalog_columns(conn, table.oid);
  for (const auto& column : catalog) {
    if (column.generated) continue;
    auto declared = types.format_type(column.type_oid, column.typmod);
    auto resolved = types.read(column.type_oid, column.typmod);
    auto mapped = sr::map_type(resolved, options);
    if (auto* error = std::get_if<sr::mapping_error>(&mapped))
      problems.push_back(unmappable(table, column, declared, resolved, error->message));
    else
      out.columns.push_back({column.name, declared, std::get<sr::column_mapping>(std::move(mapped))});
  }
  auto key = key_of(conn, table, cfg);
  if (!key.columns.empty())
    choose_primary_key(out, key, catalog, problems);
  else
    choose_sort_column(out, problems);
  return out;
}

// A control character as \n, \r, \t or \xNN: never a line break in the DDL.
void append_escaped(unsigned char c, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  if (c == '\n') out += "\\n";
  else if (c == '\r') out += "\\r";
  else if (c == '\t') out += "\\t";
  else out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// `text` with its control characters escaped, for messages and comments.
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (is_control(static_cast<unsigned char>(c))) append_escaped(static_cast<unsigned char>(c), out);
    else out += c;
  }
  return out;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// StarRocks has one namespace per database (public.t and sales.t cannot both be db.t), and
// its column names ignore case ("Id" and "id" cannot both be columns).
void check_names(const std::vector<starrocks_table>& tables, std::vector<std::string>& problems) {
  // Names travel in Stream Load headers (columns, db, table), where a line break would end
  // one header and start another; StarRocks names cannot hold control characters anyway.
  auto has_control = [](const std::string& name) {
    return std::any_of(name.begin(), name.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
  };
  const std::string cannot = " has a control character, which a StarRocks name cannot hold; how to fix: rename it, or ";
  if (!tables.empty() && has_control(tables[0].database))
    problems.push_back("sink.database \"" + escaped(tables[0].database) + "\"" + cannot + "choose another");
  std::map<std::string, std::string> first_source;
  for (const auto& t : tables) {
    if (has_control(t.name)) problems.push_back(escaped(t.source) + ": the table name" + cannot + "leave it out with [tables] exclude");
    for (const auto& c : t.columns)
      if (has_control(c.name))
        problems.push_back(escaped(t.source) + ": column \"" + escaped(c.name) + "\"" + cannot + "leave " +
                           escaped(t.source) + " out with [tables] exclude");
    auto [it, fresh] = first_source.emplace(t.name, t.source);
    if (!fresh)
      problems.push_back(it->second + " and " + t.source + " both become StarRocks table " + t.database + "." + t.name +
                         "; how to fix: leave one out with [tables] exclude");
    std::map<std::string, std::string> first_column;
    for (const auto& c : t.columns) {
      auto [same, unique] = first_column.emplace(lower(c.name), c.name);
      if (!unique)
        problems.push_back(t.source + ": columns \"" + same->second + "\" and \"" + c.name +
                           "\" differ only in case, which StarRocks column names ignore; how to fix: rename one");
    }
  }
}

// ---- DDL -------------------------------------------------------------------------------------

std::string string_literal(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (is_control(static_cast<unsigned char>(c))) {
      append_escaped(static_cast<unsigned char>(c), out);
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string column_definition(const starrocks_column& column, bool key) {
  return backquoted(column.name) + " " + column.mapping.starrocks_type + (key ? " NOT NULL" : "") + " COMMENT " +
         string_literal(column.pg_type);
}

std::string key_origin(const std::string& key_source) {
  if (key_source == "key_column") return "[tables.override] key_column";
  if (key_source == "replica identity index") return "its REPLICA IDENTITY index";
  return "its primary key";
}

std::string name_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + backquoted(n);
  return out;
}

}  // namespace

const starrocks_column* starrocks_table::column(const std::string& column_name) const {
  auto it = std::find_if(columns.begin(), columns.end(), [&](const starrocks_column& c) { return c.name == column_name; });
  return it == columns.end() ? nullptr : &*it;
}

starrocks_schema_error::starrocks_schema_error(std::vector<std::string> problems)
    : target_problems(
          [&] {
            std::string text = std::to_string(problems.size()) + " problem(s) with the StarRocks tables:";
            for (const auto& p : problems) text += "\n  " + p;
            return text;
          }(),
          std::move(problems)) {}

sr::mapping_options mapping_options_of(const config::starrocks_sink& sink) {
  sr::mapping_options options;
  options.unconstrained_numeric_as_string = sink.numeric_without_precision == config::unconstrained_numeric::string;
  options.unconstrained_numeric_scale = sink.numeric_scale;
  options.numeric_nan_to_null = sink.numeric_nan == config::numeric_special::null;
  return options;
}

sr::pg_column_type read_column_type(actors::pg_connection& conn, std::uint32_t oid, std::int32_t typmod) {
  return type_reader(conn).read(oid, typmod);
}

std::vector<starrocks_table> describe_starrocks_tables(actors::pg_connection& conn,
                                                       const std::vector<source_table>& tables,
                                                       const config::pipeline_config& cfg) {
  type_reader types(conn);
  std::vector<std::string> problems;
  std::vector<starrocks_table> out;
  for (const auto& t : tables) out.push_back(describe_one(conn, types, t, cfg, problems));
  check_names(out, problems);
  if (!problems.empty()) throw starrocks_schema_error(std::move(problems));
  return out;
}

std::string create_database_sql(const std::string& database) {
  return "CREATE DATABASE IF NOT EXISTS " + backquoted(database) + ";\n";
}

std::string create_table_sql(const starrocks_table& table) {
  bool primary = table.model == starrocks_model::primary_key;
  std::vector<std::string> leading = primary ? table.key_columns : std::vector<std::string>{table.sort_column};
  std::string sql = ddl_comment(table.source + ": " +
                                 (primary ? "Primary Key table, key (" + name_list(leading) + ") from " +
                                                key_origin(table.key_source)
                                          : std::string("Duplicate Key table")));
  for (const auto& note : table.notes) sql += ddl_comment("note: " + note);
  sql += "CREATE TABLE IF NOT EXISTS " + backquoted(table.database) + "." + backquoted(table.name) + " (\n";
  std::vector<std::string> definitions;
  for (const auto& name : leading) definitions.push_back(column_definition(*table.column(name), primary));
  for (const auto& c : table.columns)
    if (std::find(leading.begin(), leading.end(), c.name) == leading.end())
      definitions.push_back(column_definition(c, false));
  for (std::size_t i = 0; i < definitions.size(); ++i)
    sql += "  " + definitions[i] + (i + 1 < definitions.size() ? ",\n" : "\n");
  sql += std::string(")\n") + (primary ? "PRIMARY KEY" : "DUPLICATE KEY") + " (" + name_list(leading) + ")\n" +
         "DISTRIBUTED BY HASH (" + name_list(leading) + ");\n";
  return sql;
}

std::string ddl_comment(const std::string& text) { return "-- " + escaped(text) + "\n"; }

std::string add_column_sql(const std::string& database, const std::string& table, const starrocks_column& column) {
  return "ALTER TABLE " + backquoted(database) + "." + backquoted(table) + " ADD COLUMN " +
         column_definition(column, false) + ";\n";
}

std::vector<check_result> check_starrocks_tables(const config::pipeline_config& cfg) {
  const std::string name = "starrocks tables";
  std::optional<actors::pg_connection> conn;
  try {
    conn.emplace(config::conninfo(cfg.source.postgres, true));
  } catch (const actors::pg_error&) {
    return {};
  }
  std::vector<starrocks_table> tables;
  try {
    tables = describe_starrocks_tables(*conn, select_tables(*conn, cfg.tables), cfg);
  } catch (const actors::pg_error& e) {
    return {{name, check_status::fail, std::string("cannot read the catalog to map the selected tables: ") + e.what()}};
  } catch (const starrocks_schema_error& e) {
    std::vector<check_result> out;
    for (const auto& p : e.problems()) out.push_back({name, check_status::fail, p});
    return out;
  }
  auto keyed = std::count_if(tables.begin(), tables.end(),
                             [](const starrocks_table& t) { return t.model == starrocks_model::primary_key; });
  return {{name, check_status::ok,
           std::to_string(tables.size()) + " selected table(s) map to StarRocks database " +
               cfg.sink.starrocks.database + " (" + std::to_string(keyed) + " Primary Key, " +
               std::to_string(tables.size() - static_cast<std::size_t>(keyed)) +
               " Duplicate Key); pg2sr ddl prints their CREATE TABLE"}};
}

std::string backquoted(const std::string& name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

}  // namespace pg2sr::engine
