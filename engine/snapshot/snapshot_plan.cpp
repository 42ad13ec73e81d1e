// Chunk planning: arithmetic integer ranges, boundary queries, or ctid block ranges (see
// snapshot_plan.hpp). Every comparison of key values is written as SQL and done by
// PostgreSQL, so collations and type semantics are the server's, never ours.
#include "engine/snapshot/snapshot_plan.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "actors/snapshot/listed_rows.hpp"

namespace pg2sr::engine {

namespace {

using actors::quote_ident;
using actors::quote_literal;
/// A key value as text, one element per key column (PostgreSQL's output format).
using key_value = std::vector<std::string>;

/// One range of key values; an absent bound is open.
struct key_range {
  std::optional<key_value> lo, hi;
  std::uint64_t estimated_rows = 0;
};

// Count, boundaries and catalog are read in one snapshot so that they agree. DateStyle and
// IntervalStyle are pinned so that the key literals we write (ISO) read back as the same
// values in every session, whatever its settings. A caller's open transaction is left alone.
class read_transaction {
 public:
  explicit read_transaction(actors::pg_connection& conn)
      : conn_(conn), owned_(PQtransactionStatus(conn.get()) == PQTRANS_IDLE) {
    if (owned_)
      conn_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL DateStyle = 'ISO, MDY'; "
                 "SET LOCAL IntervalStyle = 'postgres'");
  }
  read_transaction(const read_transaction&) = delete;
  read_transaction& operator=(const read_transaction&) = delete;
  ~read_transaction() {
    if (!owned_ || done_) return;
    try {
      conn_.exec("ROLLBACK");
    } catch (...) {  // the connection is broken: the caller sees the first error
    }
  }
  void commit() {
    if (owned_) conn_.exec("COMMIT");
    done_ = true;
  }

 private:
  actors::pg_connection& conn_;
  bool owned_;
  bool done_ = false;
};

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::vector<std::string> quoted(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(quote_ident(n));
  return out;
}

// "id" for one column, ("a", "b") for several: composite keys compare as row values.
std::string key_expr(const std::vector<std::string>& keys) {
  return keys.size() == 1 ? quote_ident(keys[0]) : "(" + join(quoted(keys), ", ") + ")";
}

// Untyped literals: PostgreSQL resolves each to its column's type in the comparison. Keys
// are row data: libpq quotes them (a backslash must not end the literal).
std::string value_expr(actors::pg_connection& conn, const key_value& v) {
  std::vector<std::string> lits;
  for (const auto& s : v) lits.push_back(quote_literal(conn.get(), s));
  return v.size() == 1 ? lits[0] : "(" + join(lits, ", ") + ")";
}

std::string value_text(const key_value& v) { return v.size() == 1 ? v[0] : "(" + join(v, ", ") + ")"; }

planned_chunk range_chunk(actors::pg_connection& conn, const std::vector<std::string>& keys, const key_range& r,
                          bool nullable) {
  std::vector<std::string> conds;
  if (r.lo) conds.push_back(key_expr(keys) + " >= " + value_expr(conn, *r.lo));
  if (r.hi) conds.push_back(key_expr(keys) + " < " + value_expr(conn, *r.hi));
  // A bound excludes NULL keys by itself; without bounds, the NULL chunk must not overlap.
  if (conds.empty()) conds.push_back(nullable ? quote_ident(keys[0]) + " IS NOT NULL" : "TRUE");
  planned_chunk c;
  c.predicate = "(" + join(conds, " AND ") + ")";
  c.description = (r.lo ? "[" + value_text(*r.lo) : "(-inf") + ", " + (r.hi ? value_text(*r.hi) + ")" : "+inf)");
  c.estimated_rows = r.estimated_rows;
  return c;
}

std::uint64_t to_u64(const std::optional<std::string>& s) { return s ? std::stoull(*s) : 0; }

bool is_integer_type(std::uint32_t oid) { return oid == 20 || oid == 21 || oid == 23; }  // int8, int2, int4

// Even integer keys: n = ceil(rows / chunk_rows) ranges of equal width over [min, max].
// Wide arithmetic: max - min + 1 overflows int64 for keys spanning the whole type.
std::vector<key_range> arithmetic_ranges(std::int64_t min, std::int64_t max, std::uint64_t rows,
                                         std::uint64_t chunk_rows) {
  __int128 width = static_cast<__int128>(max) - min + 1;
  __int128 n = (rows + chunk_rows - 1) / chunk_rows;
  __int128 step = (width + n - 1) / n;
  std::vector<key_range> out;
  for (__int128 lo = min; lo <= max; lo += step) {
    key_range r;
    if (lo != min) r.lo = key_value{std::to_string(static_cast<std::int64_t>(lo))};
    __int128 hi = lo + step;
    if (hi <= max) r.hi = key_value{std::to_string(static_cast<std::int64_t>(hi))};
    __int128 span = std::min<__int128>(hi, static_cast<__int128>(max) + 1) - lo;
    r.estimated_rows = static_cast<std::uint64_t>(static_cast<long double>(rows) * span / width);
    out.push_back(std::move(r));
  }
  return out;
}

// Any key: the key of every chunk_rows-th row (positions chunk_rows+1, 2*chunk_rows+1, ...)
// from one ordered scan, so that [b_i, b_i+1) holds chunk_rows rows. Equal boundaries (a
// non-unique key_column) collapse: a key's rows stay in one chunk.
std::vector<key_range> boundary_ranges(actors::pg_connection& conn, const std::string& table,
                                       const std::vector<std::string>& keys, bool nullable, std::uint64_t rows,
                                       std::uint64_t chunk_rows) {
  std::vector<std::string> texts;
  for (const auto& k : quoted(keys)) texts.push_back(k + "::text");
  auto order = join(quoted(keys), ", ");
  auto sql = "SELECT " + join(texts, ", ") + " FROM (SELECT " + order + ", row_number() OVER (ORDER BY " + order +
             ") AS rn FROM " + table + (nullable ? " WHERE " + quote_ident(keys[0]) + " IS NOT NULL" : "") +
             ") s WHERE (rn - 1) % $1 = 0 AND rn > 1 ORDER BY rn";
  std::vector<key_value> bounds;
  for (const auto& row : conn.query(sql, {std::to_string(chunk_rows)})) {
    key_value v;
    for (const auto& f : row) v.push_back(*f);
    if (bounds.empty() || bounds.back() != v) bounds.push_back(std::move(v));
  }
  std::vector<key_range> out(bounds.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0) out[i].lo = bounds[i - 1];
    if (i < bounds.size()) out[i].hi = bounds[i];
    out[i].estimated_rows = chunk_rows;
  }
  out.back().estimated_rows = rows > chunk_rows * bounds.size() ? rows - chunk_rows * bounds.size() : 0;
  return out;
}

// Keyed table: ranges of non-NULL keys, then a chunk for NULL keys when the column allows
// them (also when none exist yet: rows inserted during the snapshot are read too).
std::vector<planned_chunk> key_chunks(actors::pg_connection& conn, const std::string& table,
                                      const std::vector<std::string>& keys, std::uint32_t key_type, bool nullable,
                                      std::uint64_t chunk_rows, std::uint64_t& total_rows) {
  bool integer = keys.size() == 1 && is_integer_type(key_type);
  auto k = quote_ident(keys[0]);
  // A large table with an integer key is cut by value from min and max (index endpoints)
  // and its row count as the statistics have it: an exact count(*) would scan all of it
  // before the first chunk.
  auto estimate = to_u64(*conn.query("SELECT greatest(reltuples, 0)::int8::text FROM pg_class WHERE oid = $1::regclass",
                                     {table})[0][0]);
  actors::pg_row stats;
  if (integer && !nullable && estimate >= 10 * chunk_rows)
    stats = conn.query("SELECT $1::text, $1::text, min(" + k + ")::text, max(" + k + ")::text FROM " + table,
                       {std::to_string(estimate)})[0];
  if (!stats.empty() && !stats[2]) stats.clear();  // emptied since the statistics: count it
  if (stats.empty())
    stats = conn.query("SELECT count(*)::text, " + (keys.size() == 1 ? "count(" + k + ")::text" : "NULL") +
                       (integer ? ", min(" + k + ")::text, max(" + k + ")::text" : "") + " FROM " + table)[0];
  total_rows = to_u64(stats[0]);
  if (total_rows == 0) return {{0, "(TRUE)", "all rows (empty when planned)", 0}};
  std::uint64_t keyed = stats[1] ? to_u64(stats[1]) : total_rows;

  std::vector<key_range> ranges;
  if (keyed <= chunk_rows) {
    ranges.push_back({std::nullopt, std::nullopt, keyed});
  } else if (integer) {
    auto min = std::stoll(*stats[2]), max = std::stoll(*stats[3]);
    long double factor = (static_cast<long double>(max) - min + 1) / keyed;
    ranges = factor >= 0.05L && factor <= 1000.0L ? arithmetic_ranges(min, max, keyed, chunk_rows)
                                                   : boundary_ranges(conn, table, keys, nullable, keyed, chunk_rows);
  } else {
    ranges = boundary_ranges(conn, table, keys, nullable, keyed, chunk_rows);
  }
  std::vector<planned_chunk> out;
  for (const auto& r : ranges) out.push_back(range_chunk(conn, keys, r, nullable));
  if (nullable) out.push_back({0, "(" + k + " IS NULL)", "NULL keys", total_rows - keyed});
  return out;
}

// Keyless table: ranges of heap blocks (TID range scans, PG 14+). A partitioned table's
// partitions are each cut at the same block numbers, so ranges over the largest partition
// still read every row once. Rows appended beyond the last block land in the open last chunk.
// Such a table's updates and deletes reach the stream only under REPLICA IDENTITY FULL
// (the engine logs this). Planned with a new slot, its chunks read only the versions
// list_rows_before_slot listed, so a row an UPDATE moved meanwhile is the stream's alone;
// planned later, a moved row is read at most once more.
std::vector<planned_chunk> ctid_chunks(actors::pg_connection& conn, const std::string& table, std::uint32_t oid,
                                       std::uint64_t chunk_rows, std::uint64_t& total_rows) {
  auto oid_text = std::to_string(oid);
  auto size = conn.query(
      "SELECT greatest(pg_relation_size($1::oid), (SELECT max(pg_relation_size(relid)) FROM pg_partition_tree($1::oid)))"
      " / current_setting('block_size')::int8",
      {oid_text})[0];
  std::uint64_t blocks = to_u64(size[0]);
  total_rows = to_u64(conn.query("SELECT count(*)::text FROM " + table)[0][0]);
  if (total_rows == 0 || blocks == 0) return {{0, "(TRUE)", "all rows (empty when planned)", total_rows}};
  auto per_chunk = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>((static_cast<long double>(blocks) * chunk_rows + total_rows - 1) / total_rows));
  if (per_chunk >= blocks) return {{0, "(TRUE)", "all rows", total_rows}};
  auto tid = [](std::uint64_t block) { return "'(" + std::to_string(block) + ",0)'::tid"; };
  std::vector<planned_chunk> out;
  for (std::uint64_t lo = 0; lo < blocks; lo += per_chunk) {
    std::uint64_t hi = lo + per_chunk;
    std::vector<std::string> conds;
    if (lo > 0) conds.push_back("ctid >= " + tid(lo));
    if (hi < blocks) conds.push_back("ctid < " + tid(hi));
    auto span = std::min(hi, blocks) - lo;
    out.push_back({0, "(" + join(conds, " AND ") + ")",
                   "blocks [" + std::to_string(lo) + ", " + (hi < blocks ? std::to_string(hi) + ")" : "+inf)"),
                   static_cast<std::uint64_t>(static_cast<long double>(total_rows) * span / blocks)});
  }
  return out;
}

// The columns and key of `table` into `p`; the relation as pgoutput would describe it.
std::shared_ptr<codecs::pgoutput::relation_schema> shape(actors::pg_connection& conn, const source_table& table,
                                                         const std::string& key_column_override,
                                                         snapshot_table_plan& p) {
  p.relid = table.oid;
  p.schema = table.schema;
  p.name = table.name;
  p.key_columns = key_column_override.empty() ? primary_key_columns(conn, table.oid)
                                              : std::vector<std::string>{key_column_override};
  p.key_source = !key_column_override.empty() ? "key_column" : p.key_columns.empty() ? "ctid" : "primary key";
  auto relation = relation_from_catalog(conn, table.oid, p.key_columns);  // also checks the key columns
  for (const auto& c : relation->columns) p.columns.push_back(c.name);
  p.select_list = join(quoted(p.columns), ", ");
  return relation;
}

snapshot_table_plan plan(actors::pg_connection& conn, const source_table& table, const std::string& key_column_override,
                         std::uint64_t chunk_rows) {
  snapshot_table_plan p;
  read_transaction tx(conn);
  auto relation = shape(conn, table, key_column_override, p);

  auto qualified = actors::quote_qualified(table.schema, table.name);
  if (p.key_columns.empty()) {
    p.chunks = ctid_chunks(conn, qualified, table.oid, chunk_rows, p.estimated_rows);
  } else {
    const auto& first = relation->columns[*relation->column_index(p.key_columns[0])];
    bool nullable = false;
    for (const auto& c : catalog_columns(conn, table.oid))
      if (c.name == first.name) nullable = !c.not_null;
    p.chunks = key_chunks(conn, qualified, p.key_columns, first.type_oid, nullable && p.key_columns.size() == 1,
                          chunk_rows, p.estimated_rows);
  }
  for (std::size_t i = 0; i < p.chunks.size(); ++i) p.chunks[i].index = static_cast<std::uint32_t>(i);
  tx.commit();
  return p;
}

}  // namespace

snapshot_table_plan plan_table(actors::pg_connection& conn, const source_table& table,
                               const std::string& key_column_override, std::uint64_t chunk_rows) {
  try {
    return plan(conn, table, key_column_override, std::max<std::uint64_t>(chunk_rows, 1));
  } catch (const actors::pg_error& e) {
    throw actors::pg_error("planning the snapshot of " + table.qualified() + ": " + e.what(), e.sqlstate());
  }
}

snapshot_table_plan plan_table_shape(actors::pg_connection& conn, const source_table& table,
                                     const std::string& key_column_override) {
  snapshot_table_plan p;
  try {
    read_transaction tx(conn);
    shape(conn, table, key_column_override, p);
    tx.commit();
  } catch (const actors::pg_error& e) {
    throw actors::pg_error("reading the columns of " + table.qualified() + ": " + e.what(), e.sqlstate());
  }
  return p;
}

std::uint64_t list_rows_before_slot(actors::pg_connection& exported, const snapshot_table_plan& plan,
                                    const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  auto table = actors::quote_qualified(plan.schema, plan.name);
  // Held from here to the transaction's end: the places listed stay those of these files.
  exported.exec("SELECT FROM " + table + " LIMIT 0");
  // pg_partition_tree lists no row for a table that is not partitioned.
  auto leaves = exported.query("SELECT coalesce(array_agg(leaf)::text, '{}'), "
                               "coalesce(array_agg(coalesce(pg_relation_filenode(leaf), 0))::text, '{}') FROM ("
                               "SELECT oid AS leaf FROM pg_class WHERE oid = $1::oid AND relkind <> 'p' UNION ALL "
                               "SELECT relid::oid FROM pg_partition_tree($1::oid) WHERE isleaf) AS leaves",
                               {std::to_string(plan.relid)});
  for (const auto& c : plan.chunks) {
    // array_agg builds the lists in the server: one chunk's rows at a time in memory.
    auto r = exported.query("SELECT coalesce(array_agg(tableoid)::text, '{}'), coalesce(array_agg(ctid)::text, '{}'), "
                            "coalesce(array_agg(xmin::text::int8)::text, '{}'), count(*)::text FROM " +
                            table + " WHERE " + c.predicate);
    actors::listed_rows rows{r.at(0).at(0).value_or(""),       r.at(0).at(1).value_or(""),
                             r.at(0).at(2).value_or(""),       leaves.at(0).at(0).value_or(""),
                             leaves.at(0).at(1).value_or(""), std::stoull(r.at(0).at(3).value_or("0"))};
    actors::write_listed_rows(actors::listed_rows_file(dir, plan.relid, c.index), rows);
    total += rows.count;
  }
  return total;
}

std::string written_before_predicate(const std::string& snapshot) {
  // pg_current_snapshot()'s text, read back from the checkpoint: digits, ':' and ',' only.
  if (snapshot.empty() || snapshot.find_first_not_of("0123456789:,") != std::string::npos)
    throw std::invalid_argument("not a snapshot: \"" + snapshot + "\"");
  const std::string next = "pg_snapshot_xmax(pg_current_snapshot())::text::int8";
  // xmin 1 and 2 (bootstrap, frozen) are older than any snapshot.
  return "(xmin::text::int8 < 3 OR pg_visible_in_snapshot((" + next + " - ((" + next +
         " - xmin::text::int8) & 4294967295))::text::xid8, " + "'" + snapshot + "'::pg_snapshot))";
}

}  // namespace pg2sr::engine
