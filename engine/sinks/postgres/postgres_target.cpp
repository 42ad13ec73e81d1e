// PostgreSQL target: state table, tables and types copied from the source catalog, checks,
// indexes after the snapshot.
#include "engine/sinks/postgres/postgres_target.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "actors/sinks/postgres/postgres_deferred_key.hpp"
#include "engine/snapshot/snapshot_catalog.hpp"

namespace pg2sr::engine {

using actors::pg_connection;
using actors::quote_ident;
using actors::quote_literal;
using actors::quote_qualified;

postgres_target_error::postgres_target_error(std::vector<std::string> problems)
    : target_problems(problems.empty() ? "" : problems.front(), std::move(problems)) {}

std::string target_where(const config::pipeline_config& cfg) {
  const auto& c = cfg.sink.postgres.connection;
  return c.host + ":" + std::to_string(c.port) + "/" + c.dbname;
}

std::vector<std::pair<std::string, std::string>> source_text_settings(pg_connection& source) {
  auto row = source.query(
      "SELECT current_setting('server_encoding'), current_setting('DateStyle'), current_setting('IntervalStyle'), "
      "current_setting('lc_monetary')")[0];
  return {{"client_encoding", *row[0]}, {"DateStyle", *row[1]}, {"IntervalStyle", *row[2]}, {"lc_monetary", *row[3]}};
}

namespace {

// The comment that marks state tables keyed by the quoted "schema"."table". Older ones keyed
// by schema.table unquoted, which "a.b".c and a."b.c" share (issue 19.2).
constexpr const char* state_format = "pg2sr state 2: table_name is the quoted \"schema\".\"table\"";

// Rekeys the rows an older pg2sr wrote, by the tables of this database their unquoted key
// names; one that names two tables cannot be told apart and stops the start.
void migrate_state_tables(pg_connection& target) {
  auto migrated = [&] {
    return target.query("SELECT obj_description('pg2sr.applied'::regclass, 'pg_class') = $1", {state_format})[0][0] ==
           "t";
  };
  if (migrated()) return;
  target.exec("BEGIN");
  try {
    target.exec("LOCK TABLE pg2sr.applied, pg2sr.deferred_keys IN EXCLUSIVE MODE");
    if (migrated()) {  // by another pipeline meanwhile
      target.exec("COMMIT");
      return;
    }
    const std::string matches =
        " s JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND c.relkind IN ('r', 'p')) "
        "ON n.nspname || '.' || c.relname = s.table_name";
    const std::string quoted = "'\"' || replace(n.nspname, '\"', '\"\"') || '\".\"' || replace(c.relname, '\"', '\"\"') || '\"'";
    for (const char* table : {"pg2sr.applied", "pg2sr.deferred_keys"}) {
      auto ambiguous = target.query(std::string("SELECT s.pipeline, s.table_name, string_agg(") + quoted + ", ' and ' ORDER BY " +
                                    quoted + " COLLATE \"C\") FROM " + table + matches + " GROUP BY 1, 2 HAVING count(*) > 1");
      if (!ambiguous.empty())
        throw std::runtime_error(std::string(table) + " (written by an older pg2sr) holds the state of pipeline " +
                                 *ambiguous[0][0] + " for " + *ambiguous[0][1] + ", which names both " +
                                 *ambiguous[0][2] + "; delete that row and load both tables again (pg2sr snapshot)");
      target.exec(std::string("UPDATE ") + table + " s SET table_name = " + quoted +
                  " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relkind IN ('r', 'p') AND n.nspname || '.' || c.relname = s.table_name");
    }
    target.exec(std::string("COMMENT ON TABLE pg2sr.applied IS '") + state_format + "'");  // a constant
    target.exec("COMMIT");
  } catch (...) {
    if (PQstatus(target.get()) == CONNECTION_OK) PQclear(PQexec(target.get(), "ROLLBACK"));
    throw;
  }
}

}  // namespace

void create_state_tables(pg_connection& target) {
  if (*target.query("SELECT count(*) FROM pg_class WHERE oid IN "
                    "(to_regclass('pg2sr.applied'), to_regclass('pg2sr.deferred_keys'))")[0][0] != "2")
    target.exec(
        "CREATE SCHEMA IF NOT EXISTS pg2sr; "
        "CREATE TABLE IF NOT EXISTS pg2sr.applied ("
        " pipeline text NOT NULL,"
        " table_name text NOT NULL,"       // "schema"."table" in the target, quoted
        " commit_lsn pg_lsn NOT NULL,"     // commit LSN of the last change applied
        " lsn pg_lsn NOT NULL,"            // that change's WAL position
        " tie_keys bigint[] NOT NULL,"     // key hashes of the rows applied at exactly (commit_lsn, lsn)
        " applied_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (pipeline, table_name)); "
        "CREATE TABLE IF NOT EXISTS pg2sr.deferred_keys ("  // actors/sinks/postgres/postgres_deferred_key.hpp
        " pipeline text NOT NULL,"
        " table_name text NOT NULL,"   // "schema"."table" in the target, quoted
        " key_columns text NOT NULL,"  // what PRIMARY KEY ( ) takes: quoted names, comma-separated
        " PRIMARY KEY (pipeline, table_name))");
  migrate_state_tables(target);  // also marks new tables: they hold nothing to rekey
}

namespace {

// "schema ... already exists, skipping" and the like: debug lines, not raw stderr.
void quiet_notices(pg_connection& conn) {
  PQsetNoticeProcessor(conn.get(), [](void*, const char* message) { spdlog::debug("target: {}", message); }, nullptr);
}

bool exists_in_target(pg_connection& target, const std::string& schema, const std::string& table) {
  return !target
              .query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                     {schema, table})
              .empty();
}

void create_schema(pg_connection& target, const std::string& schema) {
  target.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(schema));
}

// Creates in the target the user types a column needs, from the source's catalog: extension
// types by their extension, enums, domains and composites by definition (arrays through
// their element). Built-in types exist everywhere.
class type_copier {
 public:
  type_copier(pg_connection& source, pg_connection& target, std::vector<std::string>& problems)
      : source_(source), target_(target), problems_(problems) {}

  void ensure(std::uint32_t oid, const std::string& used_by) {
    if (oid < 16384 || !seen_.insert(oid).second) return;  // FirstNormalObjectId: built-in
    auto rows = source_.query(
        "SELECT t.typtype::text, t.typcategory::text, t.typelem::int8::text, t.typbasetype::int8::text, "
        "t.typtypmod::text, t.typrelid::int8::text, n.nspname, t.typname, t.typnotnull::text, "
        "(SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid "
        "  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.refclassid = 'pg_extension'::regclass "
        "  AND d.deptype = 'e'), "
        "(SELECT en.nspname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid "
        "  JOIN pg_namespace en ON en.oid = e.extnamespace "
        "  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.refclassid = 'pg_extension'::regclass "
        "  AND d.deptype = 'e'), "
        "coalesce((SELECT relkind::text FROM pg_class WHERE oid = t.typrelid), '') "
        "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1::oid",
        {std::to_string(oid)});
    if (rows.empty()) return;
    const auto& r = rows[0];
    const std::string &schema = *r[6], &name = *r[7];
    std::string qualified = quote_qualified(schema, name);
    if (r[9]) {
      create_schema(target_, *r[10]);
      target_.exec("CREATE EXTENSION IF NOT EXISTS " + quote_ident(*r[9]) + " WITH SCHEMA " + quote_ident(*r[10]));
      return;
    }
    if ((*r[1])[0] == 'A' && *r[2] != "0") {
      ensure(static_cast<std::uint32_t>(std::stoul(*r[2])), used_by);  // the array type comes with it
      return;
    }
    if (!target_.query("SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                       "WHERE n.nspname = $1 AND t.typname = $2",
                       {schema, name})
             .empty())
      return;
    char kind = (*r[0])[0];
    if (kind == 'e') {
      std::string labels;
      for (const auto& l : source_.query("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = $1::oid "
                                         "ORDER BY enumsortorder",
                                         {std::to_string(oid)}))
        labels += (labels.empty() ? "" : ", ") + quote_literal(target_.get(), *l[0]);
      create(schema, "CREATE TYPE " + qualified + " AS ENUM (" + labels + ")");
    } else if (kind == 'd') {
      auto base = static_cast<std::uint32_t>(std::stoul(*r[3]));
      ensure(base, used_by);
      std::string sql = "CREATE DOMAIN " + qualified + " AS " +
                        *source_.query("SELECT format_type($1::oid, $2::int)", {*r[3], *r[4]})[0][0];
      if (*r[8] == "true") sql += " NOT NULL";
      for (const auto& c : source_.query("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                         "WHERE contypid = $1::oid AND contype = 'c'",
                                         {std::to_string(oid)}))
        sql += " CONSTRAINT " + quote_ident(*c[0]) + " " + *c[1];
      create(schema, sql);
    } else if (kind == 'c' && *r[11] == "c") {
      std::string fields;
      for (const auto& f : source_.query("SELECT attname, atttypid::int8::text, format_type(atttypid, atttypmod) "
                                         "FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 "
                                         "AND NOT attisdropped ORDER BY attnum",
                                         {*r[5]})) {
        ensure(static_cast<std::uint32_t>(std::stoul(*f[1])), used_by);
        fields += (fields.empty() ? "" : ", ") + quote_ident(*f[0]) + " " + *f[2];
      }
      create(schema, "CREATE TYPE " + qualified + " AS (" + fields + ")");
    } else {
      problems_.push_back("type " + qualified + " of " + used_by +
                          " cannot be created by pg2sr (only enums, domains, composites and extension types are); "
                          "create it in the target first");
    }
  }

 private:
  void create(const std::string& schema, const std::string& sql) {
    create_schema(target_, schema);
    spdlog::info("target: {}", sql);
    target_.exec(sql);
  }

  pg_connection& source_;
  pg_connection& target_;
  std::vector<std::string>& problems_;
  std::set<std::uint32_t> seen_;
};

// CREATE TABLE of a source table: columns with their types, collations, NOT NULL and
// generated expressions; the primary key's columns (quoted, comma-separated) in `key`.
// Defaults and identity are left out: every row arrives with its values.
std::string create_table_sql(pg_connection& source, const source_table& t, type_copier& types, std::string& key) {
  auto columns = source.query(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, a.atttypid::int8::text, "
      "CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation "
      "  THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END, "
      "CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) END "
      "FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
      "LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace "
      "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      {std::to_string(t.oid)});
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_qualified(t.schema, t.name) + " (";
  bool first = true;
  for (const auto& c : columns) {
    types.ensure(static_cast<std::uint32_t>(std::stoul(*c[3])), t.qualified() + "." + *c[0]);
    sql += (first ? "\n  " : ",\n  ") + quote_ident(*c[0]) + " " + *c[1];
    if (c[4]) sql += " COLLATE " + *c[4];
    if (c[5]) sql += " GENERATED ALWAYS AS (" + *c[5] + ") STORED";
    if (*c[2] == "true") sql += " NOT NULL";
    first = false;
  }
  key.clear();
  for (const auto& k : primary_key_columns(source, t.oid)) key += (key.empty() ? "" : ", ") + quote_ident(k);
  return sql;
}

}  // namespace

void prepare_postgres_target(pg_connection& source, const std::vector<source_table>& tables,
                             const config::pipeline_config& cfg) {
  const auto& sink = cfg.sink.postgres;
  pg_connection target(config::conninfo(sink.connection, true));
  quiet_notices(target);
  create_state_tables(target);
  std::vector<std::string> problems;
  type_copier types(source, target, problems);
  bool defer_keys = sink.key_after_snapshot && cfg.snapshot.mode != config::snapshot_mode::never;
  for (const auto& t : tables) {
    if (sink.create_tables && !exists_in_target(target, t.schema, t.name)) {
      std::size_t before = problems.size();
      std::string key;
      std::string sql = create_table_sql(source, t, types, key);
      if (problems.size() > before) continue;  // a type it needs is missing
      create_schema(target, t.schema);
      if (!key.empty() && !defer_keys) sql += ",\n  PRIMARY KEY (" + key + ")";
      sql += "\n)";
      // Autovacuum would scan the table while it loads, and hold up the key's build until
      // it is cancelled (deadlock_timeout later): back on with the key.
      if (!key.empty() && defer_keys) sql += " WITH (autovacuum_enabled = false)";
      target.exec("BEGIN");
      target.exec(sql);
      if (!key.empty() && defer_keys) actors::defer_key(target, cfg.pipeline.name, quote_qualified(t.schema, t.name), key);
      target.exec("COMMIT");
      spdlog::info("target {}: {}{}", target_where(cfg), sql,
                   key.empty() || !defer_keys ? "" : " (its PRIMARY KEY (" + key + ") once the snapshot rows are in)");
    }
    if (!exists_in_target(target, t.schema, t.name)) {
      problems.push_back("target table " + t.qualified() + " does not exist in " + target_where(cfg) +
                         "; create it, or set sink.create_tables = true to create it from the source");
      continue;
    }
    // Every column the stream sends (generated ones are not sent) must be in the target.
    auto missing = source.query(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
        "AND a.attname <> ALL ($2::text[])",
        {std::to_string(t.oid),
         *target.query("SELECT coalesce(array_agg(attname)::text, '{}') FROM pg_attribute "
                       "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                       {quote_qualified(t.schema, t.name)})[0][0]});
    for (const auto& m : missing) {
      std::string alter = "ALTER TABLE " + quote_qualified(t.schema, t.name) + " ADD COLUMN " + quote_ident(*m[0]) +
                          " " + *m[1];
      if (sink.add_columns) {
        spdlog::info("target {}: {}", target_where(cfg), alter);
        target.exec(alter);
      } else {
        problems.push_back("target table " + t.qualified() + " in " + target_where(cfg) + " lacks column " +
                           quote_ident(*m[0]) + "; run " + alter + "; (or set sink.add_columns = true)");
      }
    }
  }
  if (!problems.empty()) throw postgres_target_error(std::move(problems));
}

bool build_deferred_keys(const config::pipeline_config& cfg, const std::vector<source_table>& tables) {
  bool built = true;
  try {
    pg_connection target(config::conninfo(cfg.sink.postgres.connection, true));
    quiet_notices(target);
    std::set<std::string> deferred;  // usually none: one query, not a transaction per table
    for (const auto& r : target.query("SELECT table_name FROM pg2sr.deferred_keys WHERE pipeline = $1",
                                      {cfg.pipeline.name}))
      deferred.insert(*r[0]);
    for (const auto& t : tables) {
      if (!deferred.count(quote_qualified(t.schema, t.name))) continue;
      try {
        actors::build_deferred_key(target, cfg.pipeline.name, t.qualified(), quote_qualified(t.schema, t.name));
      } catch (const std::exception& e) {
        spdlog::error("target {}: the primary key of {} could not be built: {}; pg2sr tries again at its next start",
                      target_where(cfg), t.qualified(), e.what());
        built = false;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("target {}: primary keys after the snapshot: {}; pg2sr tries again at its next start",
                  target_where(cfg), e.what());
    return false;
  }
  return built;
}

void create_target_indexes(const config::pipeline_config& cfg, const std::vector<source_table>& tables) {
  try {
    pg_connection source(config::conninfo(cfg.source.postgres, true));
    pg_connection target(config::conninfo(cfg.sink.postgres.connection, true));
    quiet_notices(target);
    for (const auto& t : tables) {
      std::string table = quote_qualified(t.schema, t.name);
      std::vector<std::string> statements;
      for (const auto& i : source.query("SELECT pg_get_indexdef(i.indexrelid), c.relname FROM pg_index i "
                                        "JOIN pg_class c ON c.oid = i.indexrelid "
                                        "WHERE i.indrelid = $1::oid AND NOT i.indisprimary AND NOT EXISTS "
                                        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                                        "AND c.conrelid = i.indrelid)",
                                        {std::to_string(t.oid)})) {
        if (!target.query("SELECT to_regclass($1)::text", {quote_qualified(t.schema, *i[1])})[0][0]) {
          std::string sql = *i[0];
          sql.insert(sql.find("INDEX ") + 6, "IF NOT EXISTS ");
          statements.push_back(sql);
        }
      }
      for (const auto& c : source.query("SELECT conname, pg_get_constraintdef(oid), contype::text FROM pg_constraint "
                                        "WHERE conrelid = $1::oid AND contype IN ('u', 'x', 'c', 'f') ORDER BY conname",
                                        {std::to_string(t.oid)})) {
        if (*c[2] == "f") {
          spdlog::info("target: foreign key {} of {} not created (tables load independently): {}", *c[0],
                       t.qualified(), *c[1]);
          continue;
        }
        if (target.query("SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2", {table, *c[0]})
                .empty())
          statements.push_back("ALTER TABLE " + table + " ADD CONSTRAINT " + quote_ident(*c[0]) + " " + *c[1]);
      }
      for (const auto& sql : statements) {
        try {
          spdlog::info("target {}: {}", target_where(cfg), sql);
          target.exec(sql);
        } catch (const std::exception& e) {
          spdlog::warn("target {}: {} failed: {}", target_where(cfg), sql, e.what());
        }
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("target {}: indexes and constraints after the snapshot: {}", target_where(cfg), e.what());
  }
}

std::string source_column_type(const config::pipeline_config& cfg, std::uint32_t type_oid, std::int32_t typmod) {
  pg_connection source(config::conninfo(cfg.source.postgres, true));
  return *source.query("SELECT format_type($1::oid, $2::int)", {std::to_string(type_oid), std::to_string(typmod)})[0][0];
}

}  // namespace pg2sr::engine
