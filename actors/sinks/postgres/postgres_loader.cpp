// PostgreSQL loader: target catalog, staging tables, the statements of a batch, retries.
#include "actors/sinks/postgres/postgres_loader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <thread>

#include "actors/sinks/postgres/postgres_apply.hpp"
#include "actors/sinks/postgres/postgres_deferred_key.hpp"
#include "codecs/pgoutput/lsn.hpp"

namespace pg2sr::actors {

using codecs::pgoutput::value_kind;
using self_ptr = loader_actor::stateful_pointer<postgres_loader_state>;

namespace {

// A failure that retrying cannot fix; the message says what and how.
struct load_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Connection losses, serialization failures, deadlocks, shutdowns, resource shortages.
bool retryable(const pg_error& e, PGconn* conn) {
  const auto& state = e.sqlstate();
  if (!conn || PQstatus(conn) != CONNECTION_OK) return true;
  return state.starts_with("08") || state.starts_with("40") || state.starts_with("53") || state.starts_with("57P");
}

void connect(postgres_loader_state& st, const postgres_loader_settings& settings) {
  st.conn = std::make_unique<pg_connection>(settings.conninfo);
  // Server notices (e.g. of TRUNCATE) would go to stderr unformatted: debug lines instead.
  PQsetNoticeProcessor(st.conn->get(), [](void*, const char* message) { spdlog::debug("target: {}", message); }, nullptr);
  st.stagings.clear();  // temporary tables die with their session
  st.stagings_created = 0;
  for (const auto& [name, value] : settings.session) {
    try {
      st.conn->query("SELECT set_config($1, $2, false)", {name, value});
    } catch (const pg_error& e) {
      if (name == "client_encoding") throw;
      spdlog::warn("target {}: cannot set {} = '{}' as on the source ({}); values whose text depends on it may not load",
                   settings.where, name, value, e.what());
    }
  }
}

// ---- the target's catalog -------------------------------------------------------------------

// The type staged text is cast to: the column's type without typmod (the assignment to the
// column then applies it, refusing what does not fit instead of truncating); bpchar and bit
// written bare would mean char(1) and bit(1).
std::string cast_type(std::string type) {
  for (auto [bare, unlimited] : {std::pair{"character", "bpchar"}, {"bit", "bit varying"}})
    if (type == bare || type == std::string(bare) + "[]") type.replace(0, std::strlen(bare), unlimited);
  return type;
}

std::optional<postgres_target> read_target(pg_connection& conn, const postgres_loader_settings& settings,
                                           const std::string& schema, const std::string& table) {
  auto oid = conn.query(
      "SELECT c.oid::int8::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
      {schema, table});
  if (oid.empty()) return std::nullopt;
  postgres_target t;
  t.name = schema + "." + table;
  t.sql = quote_qualified(schema, table);
  for (const auto& r : conn.query("SELECT attname, format_type(atttypid, NULL), attnotnull::text FROM pg_attribute "
                                  "WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped",
                                  {*oid[0][0]}))
    t.columns[*r[0]] = {cast_type(*r[1]), *r[2] == "true"};
  // Unique indexes ON CONFLICT can infer: immediate, without predicate or expression.
  auto keys = conn.query(
      "SELECT i.indexrelid::int8::text, i.indisprimary::text, a.attname FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1::oid AND i.indisunique AND i.indimmediate AND i.indisvalid "
      "AND i.indpred IS NULL AND i.indexprs IS NULL ORDER BY i.indexrelid, k.ord",
      {*oid[0][0]});
  std::string index;
  for (const auto& r : keys) {
    if (*r[0] != index) {
      index = *r[0];
      t.unique_keys.emplace_back();
    }
    t.unique_keys.back().insert(*r[2]);
    if (*r[1] == "true") t.primary_key.push_back(*r[2]);
  }
  t.key_deferred = t.primary_key.empty() && deferred_key(conn, settings.pipeline, t.sql, row_lock::none).has_value();
  return t;
}

// The SQL type of a column the target lacks.
std::string column_type_sql(pg_connection& conn, const postgres_loader_settings& settings,
                            const codecs::pgoutput::column_schema& column) {
  if (settings.column_type) return settings.column_type(column);
  if (column.type_oid < 16384)  // built-in types have the same oid everywhere
    return *conn.query("SELECT format_type($1::oid, $2::int)",
                       {std::to_string(column.type_oid), std::to_string(column.typmod)})[0][0];
  return "<type oid " + std::to_string(column.type_oid) + " on the source>";
}

// The target of `rel` with every column the stream sends: a missing one is added (with
// add_columns) or stops the load with the ALTER TABLE to run (its values would be lost).
const postgres_target& target_of(postgres_loader_state& st, const postgres_loader_settings& settings,
                                 const relation_schema& rel) {
  std::string name = quote_qualified(rel.nspname, rel.relname);  // "a.b".c and a."b.c" are two tables
  auto it = st.targets.find(name);
  if (it != st.targets.end() && std::all_of(rel.columns.begin(), rel.columns.end(), [&](const auto& c) {
        return it->second.columns.count(c.name) > 0;
      }))
    return it->second;
  auto target = read_target(*st.conn, settings, rel.nspname, rel.relname);
  if (!target)
    throw load_error("target table " + name + " does not exist in " + settings.where +
                     "; create it (or set sink.create_tables = true and start again)");
  std::vector<std::string> missing;
  for (const auto& c : rel.columns)
    if (!target->columns.count(c.name))
      missing.push_back("ALTER TABLE " + target->sql + " ADD COLUMN " + quote_ident(c.name) + " " +
                        column_type_sql(*st.conn, settings, c) + ";");
  if (!missing.empty()) {
    if (!settings.add_columns) {
      std::string sql;
      for (const auto& m : missing) sql += "\n  " + m;
      throw load_error(rel.qualified_name() + " has " + std::to_string(missing.size()) + " column(s) that " + name +
                       " in " + settings.where + " lacks (added to the source while streaming); run" + sql +
                       "\nthen start pg2sr again (or set sink.add_columns = true): the rows since the last "
                       "checkpoint are applied again");
    }
    for (const auto& m : missing) {
      spdlog::info("target {}: {}", settings.where, m);
      st.conn->exec(m);
    }
    target = read_target(*st.conn, settings, rel.nspname, rel.relname);
  }
  return st.targets[name] = std::move(*target);
}

// ---- staging --------------------------------------------------------------------------------

// The relation columns that identify a target row: the target's primary key when the
// stream carries all of it (the replica identity covers it), else the replica identity.
std::vector<std::size_t> key_of(const relation_schema& rel, const postgres_target& target, bool& whole_row) {
  bool keyless = std::none_of(rel.columns.begin(), rel.columns.end(), [](const auto& c) { return c.is_key; });
  auto sent_as_key = [&](const std::string& name) {
    auto i = rel.column_index(name);
    return i && (keyless || rel.columns[*i].is_key);
  };
  std::vector<std::size_t> key;
  if (!target.primary_key.empty() && std::all_of(target.primary_key.begin(), target.primary_key.end(), sent_as_key)) {
    for (const auto& name : target.primary_key) key.push_back(*rel.column_index(name));
    whole_row = false;
    return key;
  }
  for (std::size_t i = 0; i < rel.columns.size(); ++i)
    if (keyless || rel.columns[i].is_key) key.push_back(i);
  // Under REPLICA IDENTITY FULL (or none) every column is "key": compare whole rows.
  whole_row = keyless || rel.replica_identity == 'f';
  return key;
}

const postgres_staging& staging_of(postgres_loader_state& st, const relation_schema& rel, const postgres_target& target) {
  std::string layout = target.sql;
  for (const auto& c : rel.columns) layout += std::string("\x1f") + c.name + (c.is_key ? "*" : "");
  layout += rel.replica_identity;
  auto it = st.stagings.find(layout);
  if (it != st.stagings.end()) return it->second;
  postgres_staging s;
  s.sql = "pg_temp." + quote_ident("pg2sr_stage_" + std::to_string(++st.stagings_created));
  s.key = key_of(rel, target, s.whole_row);
  std::set<std::string> key_names;
  for (auto i : s.key) key_names.insert(rel.columns[i].name);
  s.on_conflict = !s.whole_row && std::find(target.unique_keys.begin(), target.unique_keys.end(), key_names) !=
                                      target.unique_keys.end();
  // Text columns: values stay the source's text until cast to the target's types, so that
  // domains' NOT NULL and CHECK do not reject the NULLs of delete rows.
  std::string ddl = "CREATE TEMP TABLE " + s.sql + " (";
  for (const auto& c : rel.columns) ddl += quote_ident(c.name) + " text, ";
  ddl += "\"pg2sr.op\" \"char\", \"pg2sr.segment\" int, \"pg2sr.set\" int, \"pg2sr.pair\" int) ON COMMIT DELETE ROWS";
  st.conn->exec(ddl);
  return st.stagings[layout] = std::move(s);
}

// ---- statements -----------------------------------------------------------------------------

struct statement_builder {
  const relation_schema& rel;
  const postgres_target& target;
  const postgres_staging& staging;

  std::string cast(const std::string& alias, std::size_t column) const {
    const auto& name = rel.columns[column].name;
    return alias + "." + quote_ident(name) + "::" + target.columns.at(name).type;
  }

  // A NOT NULL column whose `=` holds whenever two values print the same: comparing it is
  // cheap and never refuses a row the whole-row text matches.
  bool cheap_equality(std::size_t column) const {
    switch (rel.columns[column].type_oid) {
      case 16: case 20: case 21: case 23: case 26:  // bool, int8, int2, int4, oid
      case 1082: case 1114: case 1184: case 1700: case 2950:  // date, timestamp(tz), numeric, uuid
        return target.columns.at(rel.columns[column].name).not_null;
      default:
        return false;
    }
  }

  // `t` (the target) is the row that `alias` (staged) identifies.
  std::string match(const std::string& alias) const {
    if (staging.whole_row) {
      std::string left, right, cheap;
      for (auto i : staging.key) {
        left += (left.empty() ? "" : ", ") + std::string("t.") + quote_ident(rel.columns[i].name);
        right += (right.empty() ? "" : ", ") + cast(alias, i);
        if (cheap_equality(i))
          cheap += (cheap.empty() ? "" : " AND ") + std::string("t.") + quote_ident(rel.columns[i].name) + " = " +
                   cast(alias, i);
      }
      std::string whole = "ROW(" + left + ")::text = ROW(" + right + ")::text";  // hashable, NULL-safe, exact
      // The whole row's text reads every value of every target row, TOAST included, once per
      // statement. With cheap columns the join hashes on them, and the text (IS TRUE: not a
      // hash key) is built only for the rows they pair.
      return cheap.empty() ? whole : cheap + " AND (" + whole + ") IS TRUE";
    }
    std::string out;
    for (auto i : staging.key) {
      const auto& name = rel.columns[i].name;
      out += (out.empty() ? "" : " AND ") + std::string("t.") + quote_ident(name) +
             (target.columns.at(name).not_null ? " = " : " IS NOT DISTINCT FROM ") + cast(alias, i);
    }
    return out;
  }

  static std::string rows_of(const std::string& alias, const apply_step& step, staged_op op) {
    std::string out = alias + ".\"pg2sr.segment\" = " + std::to_string(step.segment) + " AND " + alias +
                      ".\"pg2sr.op\" = '" + static_cast<char>(op) + "'";
    if (op == staged_op::partial || op == staged_op::moved)
      out += " AND " + alias + ".\"pg2sr.set\" = " + std::to_string(step.set);
    return out;
  }

  bool is_key(std::size_t column) const {
    return std::find(staging.key.begin(), staging.key.end(), column) != staging.key.end();
  }

  std::string delete_rows(const apply_step& step, staged_op op) const {
    return "DELETE FROM " + target.sql + " t USING " + staging.sql + " s WHERE " + rows_of("s", step, op) + " AND " +
           match("s");
  }

  std::vector<std::string> upsert(const apply_step& step) const {
    std::string columns, values, updates;
    for (std::size_t i = 0; i < rel.columns.size(); ++i) {
      std::string name = quote_ident(rel.columns[i].name);
      columns += (columns.empty() ? "" : ", ") + name;
      values += (values.empty() ? "" : ", ") + cast("s", i);
      if (!is_key(i)) updates += (updates.empty() ? "" : ", ") + name + " = EXCLUDED." + name;
    }
    // OVERRIDING SYSTEM VALUE: an identity column takes the source's value, not the target's sequence.
    std::string insert = "INSERT INTO " + target.sql + " (" + columns + ") OVERRIDING SYSTEM VALUE SELECT " + values +
                         " FROM " + staging.sql + " s WHERE " + rows_of("s", step, staged_op::upsert);
    if (!staging.on_conflict) return {delete_rows(step, staged_op::upsert), insert};
    std::string key;
    for (auto i : staging.key) key += (key.empty() ? "" : ", ") + quote_ident(rel.columns[i].name);
    return {insert + " ON CONFLICT (" + key + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates)};
  }

  // UPDATE of the present columns; a moved row also takes its new key.
  std::string update(const apply_step& step, const std::vector<std::size_t>& present) const {
    std::string sets;
    for (auto i : present)
      if (step.op == staged_op::moved || !is_key(i))
        sets += (sets.empty() ? "" : ", ") + quote_ident(rel.columns[i].name) + " = " + cast("s", i);
    if (sets.empty()) return {};
    if (step.op == staged_op::partial)
      return "UPDATE " + target.sql + " t SET " + sets + " FROM " + staging.sql + " s WHERE " +
             rows_of("s", step, staged_op::partial) + " AND " + match("s");
    return "UPDATE " + target.sql + " t SET " + sets + " FROM " + staging.sql + " s JOIN " + staging.sql +
           " o ON o.\"pg2sr.pair\" = s.\"pg2sr.pair\" AND o.\"pg2sr.op\" = 'o' WHERE " +
           rows_of("s", step, staged_op::moved) + " AND " + match("o");
  }

  std::vector<std::string> statements(const apply_plan& plan) const {
    std::vector<std::string> out;
    for (const auto& step : plan.steps) {
      switch (step.op) {
        case staged_op::delete_row:
          out.push_back(delete_rows(step, staged_op::delete_row));
          break;
        case staged_op::upsert:
          for (auto& s : upsert(step)) out.push_back(std::move(s));
          break;
        case staged_op::moved:
          // A key change's new key is free in the source; a row the target still holds
          // under it is a leftover (a resync's gap, whose key chunk deletes it later) and
          // goes first, or the UPDATE would break the key the target enforces (only then:
          // without a unique key there, other rows may share the key).
          if (staging.on_conflict)
            out.push_back("DELETE FROM " + target.sql + " t USING " + staging.sql + " s WHERE " +
                          rows_of("s", step, staged_op::moved) + " AND " + match("s"));
          [[fallthrough]];
        case staged_op::partial:
          if (auto s = update(step, plan.column_sets[step.set]); !s.empty()) out.push_back(std::move(s));
          break;
        case staged_op::moved_from:
          break;  // staged for its moved row
      }
    }
    return out;
  }
};

// COPY into `table`: `render(i, buffer)` appends line i of `count`; sent a MiB at a time
// (a snapshot batch can be large).
template <typename Render>
void copy_in(pg_connection& conn, const std::string& table, const std::string& columns, std::size_t count,
             std::string& buffer, Render render) {
  PGconn* c = conn.get();
  PGresult* res = PQexec(c, ("COPY " + table + columns + " FROM STDIN").c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) pg_connection::check_result(c, res);
  PQclear(res);
  auto send = [&] {
    if (PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size())) != 1)
      throw pg_error("COPY into " + table + ": " + last_error(c), "");
    buffer.clear();
  };
  buffer.clear();
  for (std::size_t i = 0; i < count; ++i) {
    render(i, buffer);
    if (buffer.size() >= (1u << 20)) send();
  }
  if (!buffer.empty()) send();
  if (PQputCopyEnd(c, nullptr) != 1) throw pg_error("COPY into " + table + ": " + last_error(c), "");
  pg_connection::check_result(c, PQgetResult(c));
  while (PGresult* extra = PQgetResult(c)) PQclear(extra);
}

void copy_staged(pg_connection& conn, const std::string& staging, const apply_plan& plan, std::size_t columns,
                 std::string& buffer) {
  copy_in(conn, staging, "", plan.rows.size(), buffer,
          [&](std::size_t i, std::string& out) { append_copy_row(plan.rows[i], columns, out); });
}

// Snapshot rows straight into the target table, in the order of an integer `key` (none:
// as they are).
void copy_rows_into_target(pg_connection& conn, const relation_schema& rel, const postgres_target& target,
                           const std::vector<std::size_t>& key, const load_batch& batch, std::string& buffer) {
  std::string columns;
  for (const auto& c : rel.columns) columns += (columns.empty() ? " (" : ", ") + quote_ident(c.name);
  columns += ")";
  auto order = copy_order(batch, key);
  copy_in(conn, target.sql, columns, order.size(), buffer, [&](std::size_t i, std::string& out) {
    const load_row& row = batch.rows[order[i]];
    if (row.copy_line && row.count == rel.columns.size()) {  // the source's own COPY line
      out += row.line();
      out += '\n';
    } else {
      append_copy_values(row.values, rel.columns.size(), out);
    }
  });
}

// Snapshot rows straight into the target, inside a savepoint: true once they are in. A key
// already there (the stream inserted it first, or a chunk is read again after a crash)
// fails the COPY with a unique violation: rolled back to the savepoint, false, and the
// caller upserts through the staging table instead.
bool copy_into_target(pg_connection& conn, const relation_schema& rel, const postgres_target& target,
                      const postgres_staging& staging, const load_batch& batch, std::string& buffer) {
  conn.exec("SAVEPOINT pg2sr_snapshot_rows");
  try {
    copy_rows_into_target(conn, rel, target, staging.key, batch, buffer);
  } catch (const pg_error& e) {
    if (e.sqlstate() != "23505") throw;
    conn.exec("ROLLBACK TO SAVEPOINT pg2sr_snapshot_rows");
    spdlog::debug("{}: snapshot rows meet keys already in the target ({}); upserting them instead", target.name,
                  e.what());
    return false;
  }
  return true;
}

// ---- the stored position ----------------------------------------------------------------------

applied_position read_position(pg_connection& conn, const std::string& pipeline, const std::string& table) {
  auto rows = conn.query(
      "SELECT (commit_lsn - '0/0'::pg_lsn)::text, (lsn - '0/0'::pg_lsn)::text, array_to_string(tie_keys, ',') "
      "FROM pg2sr.applied WHERE pipeline = $1 AND table_name = $2",
      {pipeline, table});
  applied_position p;
  if (rows.empty()) return p;
  p.commit_lsn = std::stoull(*rows[0][0]);
  p.lsn = std::stoull(*rows[0][1]);
  std::string_view ties = *rows[0][2];
  while (!ties.empty()) {
    auto comma = std::min(ties.find(','), ties.size());
    p.tie_keys.push_back(static_cast<std::uint64_t>(std::stoll(std::string(ties.substr(0, comma)))));
    ties.remove_prefix(std::min(comma + 1, ties.size()));
  }
  return p;
}

void write_position(pg_connection& conn, const std::string& pipeline, const std::string& table,
                    const applied_position& p) {
  std::string ties = "{";
  for (auto h : p.tie_keys) ties += (ties.size() > 1 ? "," : "") + std::to_string(static_cast<std::int64_t>(h));
  ties += "}";
  conn.query(
      "INSERT INTO pg2sr.applied (pipeline, table_name, commit_lsn, lsn, tie_keys) "
      "VALUES ($1, $2, $3::pg_lsn, $4::pg_lsn, $5::bigint[]) ON CONFLICT (pipeline, table_name) DO UPDATE SET "
      "commit_lsn = EXCLUDED.commit_lsn, lsn = EXCLUDED.lsn, tie_keys = EXCLUDED.tie_keys, applied_at = now()",
      {pipeline, table, codecs::format_lsn(p.commit_lsn), codecs::format_lsn(p.lsn), ties});
}

// ---- one batch ------------------------------------------------------------------------------

// A table whose key is deferred: snapshot rows go in as they are (true); any other batch
// builds the key first (false: the caller goes on with the key there).
bool load_while_key_deferred(postgres_loader_state& st, const postgres_loader_settings& settings,
                             const load_batch& batch, const postgres_target& target) {
  auto& conn = *st.conn;
  if (copies_straight_in(batch)) {
    conn.exec("BEGIN");
    if (deferred_key(conn, settings.pipeline, target.sql, row_lock::share)) {  // no build until COMMIT
      // As they come: no index to keep compact, the key's build sorts them.
      copy_rows_into_target(conn, *batch.relation, target, {}, batch, st.copy_buffer);
      conn.exec("COMMIT");
      return true;
    }
    conn.exec("ROLLBACK");  // built meanwhile, by the engine or another loader
  } else {
    build_deferred_key(conn, settings.pipeline, target.name, target.sql);
  }
  // The catalog and the staging tables' match rules change with the key.
  std::string name = target.sql;
  st.targets.erase(name);
  std::erase_if(st.stagings, [&](const auto& s) { return s.first.starts_with(name + "\x1f"); });
  return false;
}

// Moved rows (a key change with unchanged TOAST values) whose old row the target did not
// have, so nothing took the new key: the row is read again whole from the source and
// upserted (a later change comes later in the stream; a row gone meanwhile is left to the
// change that removed it). Inside the batch's transaction, after its statements.
void complete_moved_rows(postgres_loader_state& st, const postgres_loader_settings& settings, const relation_schema& rel,
                         const postgres_target& target, const postgres_staging& staging, const apply_plan& plan,
                         const load_batch& batch) {
  if (std::none_of(batch.rows.begin(), batch.rows.end(), [](const load_row& r) { return r.moved; })) return;
  auto& conn = *st.conn;
  statement_builder sb{rel, target, staging};
  std::string keys;
  for (auto k : rel.key_columns) keys += (keys.empty() ? "s." : ", s.") + quote_ident(rel.columns[k].name);
  // Moved rows are staged as moves or, when a later change in the batch parted them from
  // their delete, as partial updates.
  auto unmatched = conn.query("SELECT " + keys + " FROM " + staging.sql + " s WHERE s.\"pg2sr.op\" IN ('m', 'p') AND "
                              "NOT EXISTS (SELECT 1 FROM " + target.sql + " t WHERE " + sb.match("s") + ")");
  // The transaction of each moved row's last change, by its key's texts.
  std::map<std::vector<std::string>, std::uint32_t> xids;
  for (const auto& r : batch.rows) {
    if (!r.moved) continue;
    std::vector<std::string> key;
    for (auto k : rel.key_columns) key.emplace_back(r.values[k].data);
    xids[key] = r.xid;
  }
  std::vector<pg_row> missing;
  for (auto& row : unmatched) {
    std::vector<std::string> key;
    for (const auto& v : row) key.push_back(v.value_or(""));
    if (xids.count(key)) missing.push_back(std::move(row));
  }
  if (missing.empty()) return;
  if (!st.source) {
    if (settings.source_conninfo.empty()) throw load_error(rel.qualified_name() + ": a moved row needs the source");
    st.source = std::make_unique<source_row_reader>(settings.source_conninfo);
  }
  std::deque<std::vector<std::optional<std::string>>> found;
  std::deque<std::vector<column_value>> values;
  apply_plan reread;
  std::uint32_t segment = 0;
  for (const auto& r : plan.rows) segment = std::max(segment, r.segment + 1);
  for (const auto& row : missing) {
    std::vector<std::string> key;
    for (const auto& v : row) key.push_back(v.value_or(""));
    std::string why;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto& whole = found.emplace_back();
    source_row_reader::outcome outcome;
    try {
      outcome = st.source->read(rel, key, xids[key], deadline, whole, why);
    } catch (const pg_error& e) {
      // Not retried: the source may be shutting down, and its shutdown waits for this
      // pipeline to confirm what it was sent. Nothing is confirmed past this batch.
      throw load_error(rel.qualified_name() + ": the source is out of reach to read again a row moved with unchanged "
                       "TOAST values (" + e.what() + "); stopping, the next start replays it");
    }
    if (outcome == source_row_reader::outcome::gone) continue;
    if (outcome == source_row_reader::outcome::unreadable)
      throw load_error(rel.qualified_name() + ": a row moved from a key the target lacks cannot be read again: " + why);
    auto& v = values.emplace_back();
    for (const auto& text : whole)
      v.push_back(text ? column_value{value_kind::text, *text} : column_value{value_kind::null, {}});
    reread.rows.push_back({staged_op::upsert, v.data(), segment, 0, 0});
  }
  if (reread.rows.empty()) return;
  spdlog::debug("{}: {} moved row(s) read again from the source", target.name, reread.rows.size());
  copy_staged(conn, staging.sql, reread, rel.columns.size(), st.copy_buffer);
  for (const auto& sql : sb.upsert({segment, staged_op::upsert, 0})) conn.exec(sql);
}

// One attempt: the whole batch and its position in one transaction.
void apply_once(postgres_loader_state& st, const postgres_loader_settings& settings, const load_batch& batch) {
  if (!st.conn) connect(st, settings);
  const auto& rel = *batch.relation;
  if (const auto& deferred = target_of(st, settings, rel); deferred.key_deferred &&
                                                           load_while_key_deferred(st, settings, batch, deferred))
    return;
  const auto& target = target_of(st, settings, rel);
  const auto& staging = staging_of(st, rel, target);
  auto& conn = *st.conn;
  conn.exec("BEGIN");
  // Snapshot rows move no position (pg2sr.applied stays as it is): their COPY is the batch.
  // Without a unique index on the key a chunk read again would double its rows: staged.
  if (staging.on_conflict && copies_straight_in(batch) &&
      copy_into_target(conn, rel, target, staging, batch, st.copy_buffer)) {
    conn.exec("COMMIT");
    return;
  }
  auto applied = read_position(conn, settings.pipeline, target.sql);
  apply_plan plan;
  try {
    plan = plan_apply(batch, applied, staging.key);
  } catch (const std::runtime_error& e) {
    throw load_error(rel.qualified_name() + ": " + e.what());
  }
  if (plan.truncate) conn.exec("TRUNCATE " + target.sql);
  if (!plan.rows.empty()) {
    copy_staged(conn, staging.sql, plan, rel.columns.size(), st.copy_buffer);
    for (const auto& sql : statement_builder{rel, target, staging}.statements(plan)) conn.exec(sql);
    complete_moved_rows(st, settings, rel, target, staging, plan, batch);
  }
  if (plan.advanced) write_position(conn, settings.pipeline, target.sql, plan.position);
  conn.exec("COMMIT");
  if (plan.skipped > 0)
    spdlog::info("{}: {} row(s) applied before the restart skipped (exactly once)", target.name, plan.skipped);
}

void apply(self_ptr self, const postgres_loader_settings& settings, const load_batch& batch) {
  auto& st = self->state;
  auto backoff = settings.first_backoff;
  for (int attempt = 1;; ++attempt) {
    try {
      apply_once(st, settings, batch);
      return;
    } catch (const pg_error& e) {
      bool again = retryable(e, st.conn ? st.conn->get() : nullptr) && attempt < settings.max_attempts;
      st.conn.reset();  // whatever the transaction's state: a fresh session, fresh staging
      if (!again)
        throw load_error("loading " + batch.relation->qualified_name() + " into " + settings.where + " failed" +
                         (attempt > 1 ? " after " + std::to_string(attempt) + " attempts" : "") + ": " + e.what());
      spdlog::warn("loading {} into {}: {}; trying again in {} ms", batch.relation->qualified_name(), settings.where,
                   e.what(), backoff.count());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
    }
  }
}

}  // namespace

loader_actor::behavior_type postgres_loader(self_ptr self, postgres_loader_settings settings) {
  return {
      [=](load_request& req) -> caf::result<load_ack> {
        try {
          apply(self, settings, *req.batch);
        } catch (const std::exception& e) {
          return make_pipeline_error(pipeline_errc::load_failed, e.what());
        }
        return load_ack{req.batch->id, req.batch->relid, req.batch->rows.size(), {}};
      },
  };
}

}  // namespace pg2sr::actors
