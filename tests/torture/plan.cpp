// Drawing the plan from the seed (plan.hpp).
#include "tests/torture/plan.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace pg2sr::torture {

namespace {

template <class T>
T pick(std::mt19937_64& rng, std::initializer_list<T> values) {
  return *(values.begin() + std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(rng));
}

long uniform(std::mt19937_64& rng, long lo, long hi) { return std::uniform_int_distribution<long>(lo, hi)(rng); }
double uniform_real(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool chance(std::mt19937_64& rng, double p) { return std::bernoulli_distribution(p)(rng); }

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// A value of 3.2 to 10 kB that pglz cannot shrink much (hex of md5s): out of line.
std::string toast_value_sql(const std::string& salt_sql, const std::string& length_sql) {
  return "(SELECT string_agg(md5(" + salt_sql + " || '-' || i), '') FROM generate_series(1, " + length_sql + ") i)";
}

// A third of the tables partitioned, by their key: int keys by range (the middle range
// partitioned again by hash), composite by list of `a`, text and uuid by hash; keyless by
// range of k. Keyed tables get a partition swapped once or twice (keyless ones: pg2sr does
// not follow their partitions' rows).
void draw_partitions(std::uint64_t seed, double duration_s, run_plan& plan) {
  std::mt19937_64 rng(seed * 2654435761u + 97);
  for (std::size_t i = 0; i < plan.tables.size(); ++i) {
    auto& t = plan.tables[i];
    if (!chance(rng, 0.35)) continue;
    const std::string k = t.key_columns[0];
    auto range_bound = [&](long v) { return std::to_string(t.key == key_kind::int8 ? v * 4294967311L : v); };
    switch (t.key) {
      case key_kind::int4:
      case key_kind::int8:
      case key_kind::none: {
        long half = t.key_space / 2;
        t.partition_by = "RANGE (" + k + ")";
        t.partitions = {{t.name + "_p0", "FOR VALUES FROM (MINVALUE) TO (" + range_bound(half) + ")", 0},
                        {t.name + "_p1", "FOR VALUES FROM (" + range_bound(half) + ") TO (" + range_bound(t.key_space) + ")",
                         chance(rng, 0.5) ? 2 : 0},
                        {t.name + "_p2", "FOR VALUES FROM (" + range_bound(t.key_space) + ") TO (MAXVALUE)", 0}};
        break;
      }
      case key_kind::composite:
        t.partition_by = "LIST (a)";
        t.partitions = {{t.name + "_p0", "FOR VALUES IN (0, 1, 2)", 0},
                        {t.name + "_p1", "FOR VALUES IN (3, 4)", 0},
                        {t.name + "_p2", "FOR VALUES IN (5, 6)", 0}};
        break;
      case key_kind::text:
      case key_kind::uuid:
        t.partition_by = "HASH (" + k + ")";
        for (int r = 0; r < 3; ++r)
          t.partitions.push_back({t.name + "_p" + std::to_string(r),
                                  "FOR VALUES WITH (MODULUS 3, REMAINDER " + std::to_string(r) + ")", 0});
        break;
    }
    if (t.key == key_kind::none) continue;
    int n_swaps = static_cast<int>(uniform(rng, 1, 2));
    for (int s = 0; s < n_swaps; ++s)
      plan.swaps.push_back({uniform_real(rng, 0.05, 0.85) * duration_s, static_cast<int>(i),
                            static_cast<std::size_t>(uniform(rng, 0, 2))});
  }
  std::sort(plan.swaps.begin(), plan.swaps.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
}

}  // namespace

const char* key_kind_name(key_kind k) {
  switch (k) {
    case key_kind::int4: return "int";
    case key_kind::int8: return "bigint";
    case key_kind::text: return "text";
    case key_kind::uuid: return "uuid";
    case key_kind::composite: return "composite";
    case key_kind::none: return "keyless";
  }
  return "?";
}

const char* fault_kind_name(fault_kind k) {
  switch (k) {
    case fault_kind::kill9: return "kill9";
    case fault_kind::walsender: return "walsender_terminated";
    case fault_kind::pg_restart: return "pg_restart";
    case fault_kind::emulator: return "emulator";
    case fault_kind::lost_slot: return "lost_slot_resync";
  }
  return "?";
}

std::vector<std::string> table_plan::key_exprs(const std::string& k) const {
  switch (key) {
    case key_kind::int4: return {"(" + k + ")"};
    case key_kind::int8: return {"(" + k + ")::bigint * 4294967311"};
    case key_kind::text: return {"'key-' || (" + k + ")"};
    case key_kind::uuid: return {"md5('u' || (" + k + "))::uuid"};
    case key_kind::composite: return {"(" + k + ") % 7", "'b' || (" + k + ")"};
    case key_kind::none: return {"(" + k + ")"};
  }
  return {};
}

std::string table_plan::key_in(const std::vector<long>& ks) const {
  std::vector<std::string> tuples;
  for (long k : ks) tuples.push_back("(" + join(key_exprs(std::to_string(k)), ", ") + ")");
  return "(" + join(key_columns, ", ") + ") IN (" + join(tuples, ", ") + ")";
}

std::string table_plan::create_sql() const {
  std::vector<std::string> defs;
  for (const auto& c : columns) defs.push_back(c.name + " " + c.type);
  if (key != key_kind::none) defs.push_back("PRIMARY KEY (" + join(key_columns, ", ") + ")");
  std::string sql = "CREATE TABLE " + qualified() + " (" + join(defs, ", ") + ")" +
                    (partition_by.empty() ? "" : " PARTITION BY " + partition_by) + ";";
  std::vector<std::string> leaves;
  for (const auto& p : partitions) {
    sql += " CREATE TABLE public." + p.name + " PARTITION OF " + qualified() + " " + p.bound +
           (p.sub ? " PARTITION BY HASH (" + key_columns[0] + ")" : "") + ";";
    for (int h = 0; h < p.sub; ++h) {
      leaves.push_back(p.name + "_h" + std::to_string(h));
      sql += " CREATE TABLE public." + leaves.back() + " PARTITION OF public." + p.name + " FOR VALUES WITH (MODULUS " +
             std::to_string(p.sub) + ", REMAINDER " + std::to_string(h) + ");";
    }
    if (!p.sub) leaves.push_back(p.name);
  }
  // A partition's replica identity is its own (the root's does not carry over).
  if (key == key_kind::none) {
    sql += " ALTER TABLE " + qualified() + " REPLICA IDENTITY FULL;";
    for (const auto& l : leaves) sql += " ALTER TABLE public." + l + " REPLICA IDENTITY FULL;";
  }
  // Out of line even when a value would fit compressed: the shape of issue 12, item 1.
  if (has_big) sql += " ALTER TABLE " + qualified() + " ALTER COLUMN big SET STORAGE EXTERNAL;";
  return sql;
}

std::vector<std::string> table_plan::swap_partition_sql(std::size_t index, const std::string& current,
                                                        const std::string& replacement,
                                                        const std::string& retired) const {
  const auto& p = partitions.at(index);
  return {"ALTER TABLE " + qualified() + " DETACH PARTITION public." + current,
          "ALTER TABLE public." + current + " SET SCHEMA retired",
          "ALTER TABLE retired." + current + " RENAME TO " + retired,
          "CREATE TABLE public." + replacement + " (LIKE " + qualified() + " INCLUDING ALL)",
          "INSERT INTO public." + replacement + " SELECT * FROM retired." + retired + " WHERE n % 2 = 0",
          "ALTER TABLE " + qualified() + " ATTACH PARTITION public." + replacement + " " + p.bound};
}

std::string table_plan::insert_range_sql(long from, long to, int toast_every) const {
  std::string s = std::to_string(salt);
  std::vector<std::string> values = key_exprs("g");
  values.push_back("(g * 7919 + " + s + ") % 100000");
  if (has_note) values.push_back("CASE WHEN g % 11 = 0 THEN NULL ELSE 'note-' || g END");
  std::string special = special_values ? "" : " AND false";
  if (has_amount)
    values.push_back("CASE WHEN g % 97 = 0" + special + " THEN 'NaN'::numeric WHEN g % 89 = 0" + special +
                     " THEN 'Infinity'::numeric ELSE ((g * 31 + " + s + ") % 10000000) / 1000.0 END");
  if (has_at)
    values.push_back("CASE WHEN g % 83 = 0" + special + " THEN 'infinity'::timestamptz WHEN g % 79 = 0" + special +
                     " THEN '-infinity'::timestamptz ELSE timestamptz '2020-01-01 00:00:00+00' + ((g * 13 + " + s +
                     ") % 100000000) * interval '1 second' END");
  std::string toasted = "g % " + std::to_string(toast_every) + " = 0";
  if (has_big)
    values.push_back("CASE WHEN " + toasted + " THEN " +
                     toast_value_sql("'" + s + "-' || g", "100 + (g * 37 + " + s + ") % 220") + " ELSE 'small-' || g END");
  if (has_blob)
    values.push_back("CASE WHEN g % 13 = 0 THEN NULL WHEN " + toasted + " THEN repeat(md5('" + s +
                     "b' || g), (100 + g % 900)::int) ELSE 'blob-' || g END");
  std::string sql = "INSERT INTO " + qualified() + " SELECT " + join(values, ", ") + " FROM generate_series(" +
                    std::to_string(from) + "::bigint, " + std::to_string(to) + ") g";
  if (key != key_kind::none) sql += " ON CONFLICT DO NOTHING";
  return sql;
}

std::string run_plan::describe() const {
  std::ostringstream out;
  out << "seed " << seed << ": " << tables.size() << " table(s), snapshot chunk_rows " << chunk_rows << ", parallelism "
      << parallelism << ", max_rows_per_sec " << max_rows_per_sec << ", batch flush " << flush_interval << " / "
      << batch_max_rows << " rows\n";
  for (const auto& t : tables) {
    out << "  " << t.qualified() << " (" << key_kind_name(t.key) << " key, " << t.initial_rows << " rows, keys 1.."
        << t.key_space << "):";
    for (const auto& c : t.columns) out << " " << c.name << " " << c.type << (c.toast ? "*" : "");
    out << "\n";
    if (!t.partition_by.empty()) {
      out << "    partitioned by " << t.partition_by << ":";
      for (const auto& p : t.partitions)
        out << " " << p.name << " " << p.bound << (p.sub ? " (by hash into " + std::to_string(p.sub) + ")" : "") << ";";
      out << "\n";
    }
  }
  out << "  big transaction: " << options.big_rows << " rows into " << tables[big_txn_table].qualified() << " at "
      << big_txn_at_s << " s\n";
  out << "  pg2sr streaming " << (streaming ? "on (transactions in progress)" : "off (the walsender spills)") << "\n";
  if (options.starrocks) out << "  starrocks loads: " << load_format << ", compression " << compression << "\n";
  if (truncate_at_s >= 0) out << "  TRUNCATE " << tables[truncate_table].qualified() << " at " << truncate_at_s << " s\n";
  for (const auto& s : swaps)
    out << "  partition " << tables[s.table].partitions[s.partition].name << " swapped (detach + attach) at " << s.at_s
        << " s\n";
  for (const auto& f : faults) {
    out << "  fault at " << f.at_s << " s: " << fault_kind_name(f.kind);
    if (f.kind == fault_kind::kill9 || f.kind == fault_kind::lost_slot) out << " (down " << f.pause_s << " s)";
    if (f.kind == fault_kind::emulator)
      out << " " << f.emulator_fault << " x" << f.count << (f.delay_ms ? " delay " + std::to_string(f.delay_ms) + " ms" : "");
    out << "\n";
  }
  return out.str();
}

run_plan make_plan(std::uint64_t seed, const plan_options& options) {
  std::mt19937_64 rng(seed);
  run_plan plan;
  plan.seed = seed;
  plan.options = options;
  double duration_s = options.minutes * 60;

  int n_tables = static_cast<int>(uniform(rng, 1, std::max(1, options.max_tables)));
  for (int i = 0; i < n_tables; ++i) {
    table_plan t;
    t.name = "t" + std::to_string(i + 1);
    t.key = options.keyless ? pick(rng, {key_kind::int4, key_kind::int4, key_kind::int8, key_kind::text, key_kind::uuid,
                                         key_kind::composite, key_kind::none})
                            : pick(rng, {key_kind::int4, key_kind::int4, key_kind::int8, key_kind::text, key_kind::uuid,
                                         key_kind::composite});
    switch (t.key) {
      case key_kind::int4: t.columns = {{"id", "int"}}; break;
      case key_kind::int8: t.columns = {{"id", "bigint"}}; break;
      case key_kind::text: t.columns = {{"id", "text"}}; break;
      case key_kind::uuid: t.columns = {{"id", "uuid"}}; break;
      case key_kind::composite: t.columns = {{"a", "int"}, {"b", "text"}}; break;
      case key_kind::none: t.columns = {{"k", "int"}}; break;
    }
    for (const auto& c : t.columns) t.key_columns.push_back(c.name);
    t.columns.push_back({"n", "int NOT NULL"});
    t.has_note = chance(rng, 0.6);
    t.has_amount = chance(rng, 0.5);
    t.has_at = chance(rng, 0.5);
    t.has_big = chance(rng, 0.75) && options.toast;
    t.has_blob = chance(rng, 0.35) && options.toast;
    if (t.has_note) t.columns.push_back({"note", "text"});
    if (t.has_amount) t.columns.push_back({"amount", "numeric"});
    if (t.has_at) t.columns.push_back({"at", "timestamptz"});
    if (t.has_big) t.columns.push_back({"big", "text", true});
    if (t.has_blob) t.columns.push_back({"blob", "text", true});
    t.initial_rows = static_cast<int>(uniform(rng, 200, 3000));
    t.key_space = t.initial_rows + t.initial_rows / 3;
    t.salt = rng() % 1000000;
    t.special_values = options.special_values;
    plan.tables.push_back(std::move(t));
  }

  plan.chunk_rows = pick(rng, {50, 100, 200, 500});
  plan.parallelism = pick(rng, {1, 1, 2});
  plan.max_rows_per_sec = pick(rng, {2000, 10000, 50000});
  plan.flush_interval = pick<std::string>(rng, {"50ms", "100ms", "300ms"});
  plan.batch_max_rows = pick(rng, {100, 1000, 100000});

  plan.big_txn_table = static_cast<int>(uniform(rng, 0, n_tables - 1));
  plan.big_txn_at_s = uniform_real(rng, 0.1, 0.7) * duration_s;
  if (chance(rng, 0.3)) {
    plan.truncate_table = static_cast<int>(uniform(rng, 0, n_tables - 1));
    plan.truncate_at_s = uniform_real(rng, 0.2, 0.8) * duration_s;
  }

  // The first fault lands early (most runs are still snapshotting then), the others anywhere.
  int n_faults = static_cast<int>(options.faults_per_minute * options.minutes + uniform_real(rng, 0, 1));
  for (int i = 0; i < n_faults; ++i) {
    fault_event f;
    f.at_s = i == 0 ? uniform_real(rng, 1, std::min(8.0, duration_s * 0.5)) : uniform_real(rng, 1, duration_s * 0.9);
    double k = uniform_real(rng, 0, 1);
    f.kind = k < 0.55 ? fault_kind::kill9 : k < 0.85 ? fault_kind::walsender : fault_kind::pg_restart;
    f.pause_s = uniform_real(rng, 0.1, 2.0);
    plan.faults.push_back(f);
  }
  // A kill -9 while the big transaction is decoded or loaded, in half of the runs.
  if (n_faults > 0 && chance(rng, 0.5)) {
    fault_event f;
    f.at_s = plan.big_txn_at_s + uniform_real(rng, 0.2, 3);
    f.kind = fault_kind::kill9;
    f.pause_s = uniform_real(rng, 0.1, 2.0);
    plan.faults.push_back(f);
  }
  if (!options.truncate) plan.truncate_at_s = -1;

  // Partitions and streaming from generators of their own: the rest of a seed's plan stays.
  if (options.partitions) draw_partitions(seed, duration_s, plan);
  plan.streaming = std::mt19937_64(seed * 40503u + 11)() % 2 == 0;
  if (options.resync) {  // in about a third of the runs, from a generator of its own too
    std::mt19937_64 r(seed * 69069u + 5);
    if (chance(r, 0.35)) {
      fault_event f;
      f.kind = fault_kind::lost_slot;
      f.at_s = uniform_real(r, 0.15, 0.7) * duration_s;
      f.pause_s = uniform_real(r, 1, 5);
      plan.faults.push_back(f);
      // The resync reads every table again, the big transaction's rows too: at 2,000 rows/s
      // that alone took 500 s of a 30 s CI seed, and in chunks of 50 rows 530 s (20,000
      // chunks at ~38 a second).
      plan.max_rows_per_sec = 50000;
      plan.chunk_rows = std::max(plan.chunk_rows, 500);
    }
  }

  // Drawn last, so that the rest of a seed's plan is the same for both sinks.
  if (options.starrocks) {
    plan.load_format = pick<std::string>(rng, {"json", "csv"});
    plan.compression = pick<std::string>(rng, {"none", "lz4", "gzip"});
    int n_emulator = static_cast<int>(2 * options.faults_per_minute * options.minutes + uniform_real(rng, 0, 1));
    for (int i = 0; i < n_emulator; ++i) {
      fault_event f;
      f.kind = fault_kind::emulator;
      f.at_s = uniform_real(rng, 0.5, duration_s * 0.9);
      f.emulator_fault = pick<std::string>(
          rng, {"fail", "http_500", "drop_connection", "publish_timeout", "slow_response", "label_running"});
      f.count = static_cast<int>(uniform(rng, 1, 3));
      f.delay_ms = static_cast<int>(uniform(rng, 100, 2000));
      plan.faults.push_back(f);
    }
  }
  std::sort(plan.faults.begin(), plan.faults.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  return plan;
}

session_plan::session_plan(const run_plan& plan, int session)
    : plan_(plan), rng_(plan.seed * 1000003 + 7919 * static_cast<std::uint64_t>(session + 1)) {}

long session_plan::key(const table_plan& t) { return uniform(rng_, 1, t.key_space); }

std::vector<long> session_plan::keys(const table_plan& t, int max_count) {
  std::set<long> ks;  // distinct: one row may not be hit twice by an ON CONFLICT DO UPDATE
  int count = static_cast<int>(uniform(rng_, 1, max_count));
  for (int i = 0; i < count; ++i) ks.insert(key(t));
  return {ks.begin(), ks.end()};
}

std::string session_plan::row_values(const table_plan& t, long k) {
  auto r = rng_() % 1000000000;
  std::string rs = std::to_string(r);
  std::vector<std::string> values = t.key_exprs(std::to_string(k));
  values.push_back(std::to_string(r % 100000));
  if (t.has_note) values.push_back(chance(rng_, 0.1) ? "NULL" : "'note-" + rs + "'");
  if (t.has_amount) {
    bool nan = chance(rng_, 0.05), infinity = !nan && chance(rng_, 0.05);
    values.push_back(nan && t.special_values        ? "'NaN'"
                     : infinity && t.special_values ? "'-Infinity'"
                                                    : std::to_string(r % 10000000) + ".125");
  }
  if (t.has_at) {
    bool infinity = chance(rng_, 0.05);
    values.push_back(infinity && t.special_values ? "'infinity'"
                                                  : "timestamptz '2021-06-01 00:00:00+00' + " +
                                                        std::to_string(r % 100000000) + " * interval '1 second'");
  }
  if (t.has_big)
    values.push_back(chance(rng_, 0.8) ? toast_value_sql("'" + rs + "'", std::to_string(uniform(rng_, 100, 320)))
                                       : "'small-" + rs + "'");
  if (t.has_blob)
    values.push_back(chance(rng_, 0.2) ? "NULL" : "repeat(md5('" + rs + "'), " + std::to_string(uniform(rng_, 1, 1500)) + ")");
  return "(" + join(values, ", ") + ")";
}

// SET of non-TOAST columns only: the update that leaves out-of-line values unchanged.
std::string session_plan::small_set(const table_plan& t) {
  std::string set = "n = n + 1";
  if (t.has_note && chance(rng_, 0.5)) set += ", note = 'upd-" + std::to_string(rng_() % 100000) + "'";
  if (t.has_amount && chance(rng_, 0.3)) set += ", amount = amount + 1";
  if (t.has_at && chance(rng_, 0.3)) set += ", at = at + interval '1 hour'";
  return set;
}

std::string session_plan::random_op() {
  const auto& t = plan_.tables[uniform(rng_, 0, static_cast<long>(plan_.tables.size()) - 1)];
  bool keyed = t.key != key_kind::none;
  int op = static_cast<int>(uniform(rng_, 0, 99));
  if (!keyed && plan_.options.append_only_keyless) op = 0;
  if (op < 15) {  // insert (keyless: sometimes the same row twice)
    std::vector<std::string> rows;
    int count = static_cast<int>(uniform(rng_, 1, 5));
    for (int i = 0; i < count; ++i) rows.push_back(row_values(t, key(t)));
    if (!keyed && chance(rng_, 0.3)) rows.push_back(rows.back());
    std::sort(rows.begin(), rows.end());  // keyed: distinct keys are not guaranteed; ON CONFLICT DO NOTHING copes
    return "INSERT INTO " + t.qualified() + " VALUES " + join(rows, ", ") + (keyed ? " ON CONFLICT DO NOTHING" : "");
  }
  if (op < 20 && keyed) {  // upsert
    std::vector<std::string> rows;
    for (long k : keys(t, 4)) rows.push_back(row_values(t, k));
    return "INSERT INTO " + t.qualified() + " VALUES " + join(rows, ", ") + " ON CONFLICT (" + join(t.key_columns, ", ") +
           ") DO UPDATE SET n = EXCLUDED.n";
  }
  if (op < 60)  // update of non-TOAST columns only, many rows
    return "UPDATE " + t.qualified() + " SET " + small_set(t) + " WHERE " + t.key_in(keys(t, 40));
  if (op < 70 && (t.has_big || t.has_blob)) {  // update of a TOAST column
    std::string set = t.has_big && (!t.has_blob || chance(rng_, 0.6))
                          ? "big = " + toast_value_sql("'" + std::to_string(rng_() % 1000000) + "-' || n",
                                                       std::to_string(uniform(rng_, 100, 320)))
                          : "blob = repeat(md5(n::text), " + std::to_string(uniform(rng_, 1, 1500)) + ")";
    return "UPDATE " + t.qualified() + " SET " + set + ", n = n + 1 WHERE " + t.key_in(keys(t, 5));
  }
  if (op < 82)  // delete (the keys come back through later inserts: key space is small)
    return "DELETE FROM " + t.qualified() + " WHERE " + t.key_in(keys(t, 10));
  if (op < 92) {  // key change to a free key
    long from = key(t), to = key(t) + t.key_space;  // above the insert range: usually free
    auto old_keys = t.key_exprs(std::to_string(from)), new_keys = t.key_exprs(std::to_string(to));
    std::vector<std::string> set, match_old, match_new;
    for (std::size_t i = 0; i < t.key_columns.size(); ++i) {
      set.push_back(t.key_columns[i] + " = " + new_keys[i]);
      match_old.push_back(t.key_columns[i] + " = " + old_keys[i]);
      match_new.push_back("x." + t.key_columns[i] + " = " + new_keys[i]);
    }
    return "UPDATE " + t.qualified() + " SET " + join(set, ", ") + " WHERE " + join(match_old, " AND ") +
           " AND NOT EXISTS (SELECT 1 FROM " + t.qualified() + " x WHERE " + join(match_new, " AND ") + ")";
  }
  // A key moved above the range comes back into it (else they pile up out of reach).
  return "DELETE FROM " + t.qualified() + " WHERE " + t.key_in({key(t) + t.key_space});
}

txn_plan session_plan::next() {
  txn_plan txn;
  int shape = static_cast<int>(uniform(rng_, 0, 99));
  int ops = static_cast<int>(uniform(rng_, 1, 4));
  if (shape < 12) {
    txn.kind = "savepoint";
    txn.statements.push_back(random_op());
    txn.statements.push_back("SAVEPOINT s1");
    for (int i = 0; i < ops; ++i) txn.statements.push_back(random_op());
    txn.statements.push_back("ROLLBACK TO SAVEPOINT s1");
    txn.statements.push_back(random_op());
  } else {
    txn.kind = shape < 18 ? "aborted" : "plain";
    txn.commit = shape >= 18;
    for (int i = 0; i < ops; ++i) txn.statements.push_back(random_op());
  }
  txn.pause_ms = static_cast<int>(uniform(rng_, 0, 30));
  return txn;
}

}  // namespace pg2sr::torture
