// The StarRocks sink's part of a resync (engine/sinks/starrocks/starrocks_resync.hpp).
#include "engine/sinks/starrocks/starrocks_resync.hpp"

#include <algorithm>
#include <stdexcept>

#include "actors/sinks/starrocks/stream_load_client.hpp"
#include "engine/sinks/starrocks/starrocks_schema.hpp"

namespace pg2sr::engine {

bool starrocks_resync_table(const config::pipeline_config& cfg, const actors::starrocks_targets& targets,
                            const actors::snapshot_table_state& table,
                            const std::function<void(actors::target_key&&)>& key) {
  auto it = targets.find(table.relid);
  if (it == targets.end()) throw std::runtime_error("resync: no StarRocks table for " + table.qualified());
  const auto& target = it->second;
  std::string name = backquoted(target.db) + "." + backquoted(target.name);
  actors::stream_load_client client(actors::stream_load_settings_of(cfg.sink.starrocks));
  try {
    if (!target.primary_key || table.key_source == "ctid") {
      std::uint64_t rows = 0;
      client.query(target.db, "SELECT count(*) FROM " + backquoted(target.name),
                   [&](const nlohmann::json& r) { rows = r.at(0).get<std::uint64_t>(); });
      if (rows > 0)
        throw std::runtime_error(
            "it is a Duplicate Key table (append only) holding " + std::to_string(rows) +
            " rows that cannot be matched with the source's; empty it first with TRUNCATE TABLE " + name +
            "; (on the FE's SQL port, 9030 by default), then start pg2sr again: the resync is still pending");
      return false;
    }
    std::string columns;
    std::vector<bool> utc;  // timestamptz keys: loaded as UTC without offset; the source reads "+00"
    for (const auto& k : table.key_columns) {
      columns += (columns.empty() ? "" : ", ") + backquoted(k);
      auto at = std::find(target.columns.names.begin(), target.columns.names.end(), k);
      utc.push_back(at != target.columns.names.end() &&
                    target.columns.columns[static_cast<std::size_t>(at - target.columns.names.begin())].form ==
                        codecs::starrocks::value_form::timestamptz);
    }
    client.query(target.db, "SELECT " + columns + " FROM " + backquoted(target.name), [&](const nlohmann::json& r) {
      actors::target_key k;
      for (const auto& v : r) {
        if (v.is_null()) return;  // a NULL key: nothing to match it by
        k.push_back(v.is_string() ? v.get<std::string>() : v.dump());
        if (k.size() <= utc.size() && utc[k.size() - 1]) k.back() += "+00";
      }
      key(std::move(k));
    });
    return true;
  } catch (const std::exception& e) {
    throw std::runtime_error("resync: StarRocks " + cfg.sink.starrocks.fe_url + ", table " + name + " (" +
                             table.qualified() + "): " + e.what());
  }
}

}  // namespace pg2sr::engine
