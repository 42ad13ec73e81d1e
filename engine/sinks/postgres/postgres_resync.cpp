// The PostgreSQL sink's part of a resync (engine/sinks/postgres/postgres_resync.hpp).
#include "engine/sinks/postgres/postgres_resync.hpp"

#include <spdlog/spdlog.h>

#include "actors/sinks/postgres/postgres_deferred_key.hpp"
#include "engine/sinks/postgres/postgres_target.hpp"

namespace pg2sr::engine {

bool postgres_resync_table(const config::pipeline_config& cfg,
                           const std::vector<std::pair<std::string, std::string>>& session,
                           const actors::snapshot_table_state& table,
                           const std::function<void(actors::target_key&&)>& key) {
  auto table_sql = actors::quote_qualified(table.schema, table.name);
  try {
    actors::pg_connection target(config::conninfo(cfg.sink.postgres.connection, true));
    for (const auto& [name, value] : session) target.query("SELECT set_config($1, $2, false)", {name, value});
    // The table's applied position is the old slot's: the new one's LSNs may be lower (a
    // source gone back in time), and rows below it would be skipped as applied.
    target.query("DELETE FROM pg2sr.applied WHERE pipeline = $1 AND table_name = $2", {cfg.pipeline.name, table_sql});
    bool deferred = actors::deferred_key(target, cfg.pipeline.name, table_sql, actors::row_lock::none).has_value();
    if (table.key_source == "ctid" || deferred) {
      target.exec("TRUNCATE " + table_sql);
      spdlog::warn("resync: target {} table {} emptied ({}); its snapshot loads it again", target_where(cfg),
                   table.qualified(),
                   deferred ? "its first snapshot never finished" : "a keyless row has no key to be found by");
      return false;
    }
    std::string columns, not_null;
    for (const auto& k : table.key_columns) {
      columns += (columns.empty() ? "" : ", ") + actors::quote_ident(k) + "::text";
      not_null += (not_null.empty() ? "" : " AND ") + actors::quote_ident(k) + " IS NOT NULL";
    }
    target.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    target.exec("DECLARE pg2sr_keys NO SCROLL CURSOR FOR SELECT " + columns + " FROM " + table_sql + " WHERE " + not_null);
    for (;;) {
      auto rows = target.query("FETCH 10000 FROM pg2sr_keys");
      if (rows.empty()) break;
      for (auto& row : rows) {
        actors::target_key k;
        for (auto& v : row) k.push_back(std::move(*v));  // not NULL: filtered above
        key(std::move(k));
      }
    }
    target.exec("COMMIT");
    return true;
  } catch (const std::exception& e) {
    throw std::runtime_error("resync: target " + target_where(cfg) + ", table " + table.qualified() + ": " + e.what());
  }
}

}  // namespace pg2sr::engine
