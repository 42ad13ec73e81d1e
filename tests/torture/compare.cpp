// Row-for-row comparison of one table (compare.hpp).
#include "tests/torture/compare.hpp"

#include <map>
#include <stdexcept>

#include "tests/support/pg_harness.hpp"

namespace pg2sr::torture {

namespace {

struct row {
  std::string digest;
  std::string shown;
};

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

using keyed_rows = std::map<std::string, row>;
using row_counts = std::map<std::string, std::pair<long, std::string>>;  // digest -> count, shown

}  // namespace

table_comparison compare_table(PGconn* source, PGconn* target, const table_plan& t, std::size_t show) {
  table_comparison out;
  out.table = t.qualified();
  auto sql = rows_sql(t);
  auto source_rows = test::query(source, sql);
  std::vector<std::vector<std::string>> target_rows;
  try {
    target_rows = test::query(target, sql);
  } catch (const std::exception& e) {
    out.source_rows = source_rows.size();
    out.differences = source_rows.size() + 1;
    out.shown.push_back(std::string("target table unreadable: ") + e.what());
    return out;
  }
  out.source_rows = source_rows.size();
  out.target_rows = target_rows.size();
  auto note = [&](std::string line) {
    ++out.differences;
    if (out.shown.size() < show) out.shown.push_back(std::move(line));
  };

  if (t.key != key_kind::none) {
    keyed_rows s, g;
    for (auto& r : source_rows) s[r[0]] = {r[1], r[2]};
    for (auto& r : target_rows)
      if (!g.emplace(r[0], row{r[1], r[2]}).second) note("key " + r[0] + ": twice in the target");
    for (const auto& [key, r] : s) {
      auto it = g.find(key);
      if (it == g.end())
        note("key " + key + ": missing in the target; source " + r.shown);
      else if (it->second.digest != r.digest)
        note("key " + key + ": different\n        source " + r.shown + "\n        target " + it->second.shown);
    }
    for (const auto& [key, r] : g)
      if (!s.count(key)) note("key " + key + ": extra in the target: " + r.shown);
    return out;
  }

  row_counts s, g;
  for (auto& r : source_rows) {
    auto& e = s[r[1]];
    ++e.first;
    e.second = r[2];
  }
  for (auto& r : target_rows) {
    auto& e = g[r[1]];
    ++e.first;
    e.second = r[2];
  }
  for (const auto& [digest, e] : s) {
    long got = g.count(digest) ? g[digest].first : 0;
    if (got != e.first)
      note("row x" + std::to_string(e.first) + " in the source, x" + std::to_string(got) + " in the target: " + e.second);
  }
  for (const auto& [digest, e] : g)
    if (!s.count(digest)) note("row x0 in the source, x" + std::to_string(e.first) + " in the target: " + e.second);
  return out;
}

}  // namespace pg2sr::torture
