// The emulator's tables for a pipeline: one per selected source table, from pg2sr's own
// type mapping, as `pg2sr ddl` would create them. Header-only: its users link pg2sr_engine
// and the emulator already (the live StarRocks tests, the torture harness).
#pragma once

#include <filesystem>
#include <optional>

#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/sinks/starrocks/starrocks_schema.hpp"
#include "engine/source/table_selection.hpp"
#include "tests/emulator/starrocks_emulator.hpp"

namespace pg2sr::test::starrocks {

/// Creates (or replaces) in `emulator` the table of every source table the configuration
/// in `config_file` selects; its source password must be readable (env) by then.
/// `only`: just that table (created empty again), else all.
inline void create_pipeline_tables(starrocks_emulator& emulator, const std::filesystem::path& config_file,
                                   const std::string& only = "") {
  auto cfg = config::load_file(config_file);
  actors::pg_connection conn(config::conninfo(cfg.source.postgres, true));
  for (const auto& t : engine::describe_starrocks_tables(conn, engine::select_tables(conn, cfg.tables), cfg)) {
    if (!only.empty() && t.name != only) continue;
    table_schema schema;
    schema.db = t.database;
    schema.table = t.name;
    for (const auto& c : t.columns) schema.columns.push_back({c.name, c.mapping.starrocks_type, true, std::nullopt});
    bool keyed = t.model == engine::starrocks_model::primary_key;
    schema.model = keyed ? table_model::primary_key : table_model::duplicate_key;
    schema.key = keyed ? t.key_columns : std::vector<std::string>{t.sort_column};
    try {
      emulator.drop_table(schema.db, schema.table);
    } catch (const std::exception&) {
    }
    emulator.create_table(schema);
  }
}

}  // namespace pg2sr::test::starrocks
