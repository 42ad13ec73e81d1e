// Row-for-row comparison of one table (compare.hpp).
#include "tests/torture/compare.hpp"

#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include "tests/support/pg_harness.hpp"

namespace pg2sr::torture {

namespace {

// One row as compared: its key text ("" for keyless tables), what equality is decided on,
// and how a difference shows it.
struct fetched_row {
  std::string key;
  std::string digest;
  std::string shown;
};

// Keyed tables by key, keyless ones as multisets of digests, or as sets where the target
// keeps identical rows as one (`keyless_as_sets`: the PostgreSQL sink matches whole rows,
// README "Guarantees").
table_comparison compare_rows(const table_plan& t, const std::vector<fetched_row>& source_rows,
                              const std::vector<fetched_row>& target_rows, std::size_t show,
                              bool keyless_as_sets = false) {
  table_comparison out;
  out.table = t.qualified();
  out.source_rows = source_rows.size();
  out.target_rows = target_rows.size();
  out.as_sets = keyless_as_sets && t.key == key_kind::none;
  auto note = [&](std::string line) {
    ++out.differences;
    if (out.shown.size() < show) out.shown.push_back(std::move(line));
  };

  if (t.key != key_kind::none) {
    std::map<std::string, const fetched_row*> s, g;
    for (const auto& r : source_rows) s[r.key] = &r;
    for (const auto& r : target_rows)
      if (!g.emplace(r.key, &r).second) note("key " + r.key + ": twice in the target");
    for (const auto& [key, r] : s) {
      auto it = g.find(key);
      if (it == g.end())
        note("key " + key + ": missing in the target; source " + r->shown);
      else if (it->second->digest != r->digest)
        note("key " + key + ": different\n        source " + r->shown + "\n        target " + it->second->shown);
    }
    for (const auto& [key, r] : g)
      if (!s.count(key)) note("key " + key + ": extra in the target: " + r->shown);
    return out;
  }

  std::map<std::string, std::pair<long, std::string>> s, g;  // digest -> count, shown
  for (const auto& r : source_rows) {
    auto& e = s[r.digest];
    ++e.first;
    e.second = r.shown;
  }
  for (const auto& r : target_rows) {
    auto& e = g[r.digest];
    ++e.first;
    e.second = r.shown;
  }
  for (const auto& [digest, e] : s) {
    long got = g.count(digest) ? g[digest].first : 0;
    // As sets: present, and never more copies than the source has.
    if (keyless_as_sets ? got == 0 || got > e.first : got != e.first)
      note("row x" + std::to_string(e.first) + " in the source, x" + std::to_string(got) + " in the target: " + e.second);
  }
  for (const auto& [digest, e] : g)
    if (!s.count(digest)) note("row x0 in the source, x" + std::to_string(e.first) + " in the target: " + e.second);
  return out;
}

// SELECT key text, md5 of the row text, a readable row text.
std::string rows_sql(const table_plan& t) {
  std::string key, shown;
  for (const auto& c : t.key_columns) key += (key.empty() ? "" : " || ',' || ") + ("coalesce(" + c + "::text, 'NULL')");
  for (const auto& c : t.columns) {
    std::string value = c.toast ? "'len=' || length(" + c.name + ") || ' md5=' || left(md5(" + c.name + "), 8)"
                                : c.name + "::text";
    shown += (shown.empty() ? "" : ", ") + ("'" + c.name + "=' || coalesce(" + value + ", 'NULL')");
  }
  if (t.key == key_kind::none) key = "''";
  return "SELECT " + key + ", md5(r::text), concat_ws(' ', " + shown + ") FROM " + t.qualified() + " r";
}

std::vector<fetched_row> fetch(PGconn* conn, const table_plan& t) {
  std::vector<fetched_row> rows;
  for (auto& r : test::query(conn, rows_sql(t))) rows.push_back({r[0], r[1], r[2]});
  return rows;
}

// A row of values (in the plan's column order) as compared: the values themselves decide.
fetched_row row_of(const table_plan& t, const std::vector<std::optional<std::string>>& values) {
  fetched_row r;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    const auto& v = values[i];
    r.digest += (v ? "v" + *v : std::string("N")) + '\x1f';
    std::string shown = "NULL";
    if (v && c.toast) {
      char hash[17];
      std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(*v));
      shown = "len=" + std::to_string(v->size()) + " hash=" + std::string(hash, 8);
    } else if (v) {
      shown = *v;
    }
    r.shown += (r.shown.empty() ? "" : " ") + c.name + "=" + shown;
    for (const auto& k : t.key_columns)
      if (k == c.name) r.key += (r.key.empty() ? "" : ",") + v.value_or("NULL");
  }
  if (t.key == key_kind::none) r.key.clear();
  return r;
}

// The text StarRocks shows for a source column (others: SELECT's text).
std::string starrocks_render(const column_plan& c) {
  if (c.name == "amount") return "CASE WHEN amount = 'NaN' THEN NULL ELSE round(amount, 9)::text END";  // DECIMAL(38,9)
  if (c.name == "at") return R"(regexp_replace(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '\.?0+$', ''))";
  return c.name + "::text";
}

}  // namespace

table_comparison compare_table(PGconn* source, PGconn* target, const table_plan& t, std::size_t show) {
  auto source_rows = fetch(source, t);
  std::vector<fetched_row> target_rows;
  try {
    target_rows = fetch(target, t);
  } catch (const std::exception& e) {
    table_comparison out = compare_rows(t, source_rows, {}, show);
    out.shown.insert(out.shown.begin(), std::string("target table unreadable: ") + e.what());
    return out;
  }
  return compare_rows(t, source_rows, target_rows, show, true);
}

table_comparison compare_table_starrocks(PGconn* source, const test::starrocks::starrocks_emulator& emulator,
                                         const std::string& db, const table_plan& t, std::size_t show) {
  std::string select;
  for (const auto& c : t.columns) select += (select.empty() ? "" : ", ") + starrocks_render(c);
  PGresult* res = PQexec(source, ("SELECT " + select + " FROM " + t.qualified()).c_str());
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    std::string error = PQresultErrorMessage(res);
    PQclear(res);
    throw std::runtime_error("reading " + t.qualified() + ": " + error);
  }
  std::vector<fetched_row> source_rows;
  for (int r = 0; r < PQntuples(res); ++r) {
    std::vector<std::optional<std::string>> values;
    for (int c = 0; c < PQnfields(res); ++c)
      values.push_back(PQgetisnull(res, r, c) ? std::nullopt : std::optional<std::string>(PQgetvalue(res, r, c)));
    source_rows.push_back(row_of(t, values));
  }
  PQclear(res);

  std::vector<fetched_row> target_rows;
  try {
    auto dump = emulator.dump(db, t.name);
    std::vector<std::size_t> at;  // the dump's index of each plan column
    for (const auto& c : t.columns) {
      std::size_t i = 0;
      while (i < dump.columns.size() && dump.columns[i] != c.name) ++i;
      if (i == dump.columns.size()) throw std::runtime_error("no column " + c.name + " in the target");
      at.push_back(i);
    }
    for (const auto& row : dump.rows) {
      std::vector<std::optional<std::string>> values;
      for (auto i : at) values.push_back(row[i]);
      target_rows.push_back(row_of(t, values));
    }
  } catch (const std::exception& e) {
    table_comparison out = compare_rows(t, source_rows, {}, show);
    out.shown.insert(out.shown.begin(), std::string("target table unreadable: ") + e.what());
    return out;
  }
  return compare_rows(t, source_rows, target_rows, show);
}

}  // namespace pg2sr::torture
