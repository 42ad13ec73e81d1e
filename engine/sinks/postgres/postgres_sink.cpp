#include "engine/sinks/postgres/postgres_sink.hpp"

#include <algorithm>

#include "actors/sinks/postgres/postgres_loader.hpp"
#include "engine/sinks/postgres/postgres_resync.hpp"
#include "engine/sinks/postgres/postgres_target.hpp"

namespace pg2sr::engine {

namespace {

class postgres_sink final : public sink {
 public:
  explicit postgres_sink(const config::pipeline_config& cfg) : cfg_(cfg) {}

  void prepare_for_synthetic_source() override {
    try {
      actors::pg_connection target(config::conninfo(cfg_.sink.postgres.connection, true));
      create_state_tables(target);
    } catch (const std::exception& e) {
      throw std::runtime_error("target " + target_where(cfg_) + ": " + e.what());
    }
  }

  void prepare_target(actors::pg_connection& source, const std::vector<source_table>& tables) override {
    prepare_postgres_target(source, tables, cfg_);
    session_ = source_text_settings(source);
  }

  // A table's snapshot chunks go in two sessions: one COPY session would be the
  // snapshot's bound.
  void shape_batches(actors::batcher_settings& settings) const override {
    settings.snapshot_loads_per_table = static_cast<std::size_t>(std::min(2, cfg_.sink.postgres.max_concurrent_loads));
  }

  std::vector<actors::loader_actor> spawn_loaders(caf::actor_system& system, actors::pipeline_metrics&) override {
    const auto& pg = cfg_.sink.postgres;
    actors::postgres_loader_settings ls;
    ls.conninfo = config::conninfo(pg.connection, true);
    ls.where = target_where(cfg_);
    ls.pipeline = cfg_.pipeline.name;
    ls.session = session_;
    ls.add_columns = pg.add_columns;
    if (cfg_.source.kind == config::source_kind::postgres) {
      ls.source_conninfo = config::conninfo(cfg_.source.postgres, true);
      ls.column_type = [&cfg = cfg_](const codecs::pgoutput::column_schema& c) {
        try {
          return source_column_type(cfg, c.type_oid, c.typmod);
        } catch (const std::exception& e) {
          return "<type oid " + std::to_string(c.type_oid) + " on the source: " + e.what() + ">";
        }
      };
    }
    std::vector<actors::loader_actor> loaders;
    for (int i = 0; i < pg.max_concurrent_loads; ++i)
      loaders.push_back(system.spawn<caf::detached>(actors::postgres_loader, ls));
    return loaders;
  }

  std::string resync_unsupported() const override { return ""; }
  bool resync_table(const actors::snapshot_table_state& table,
                    const std::function<void(actors::target_key&&)>& key) override {
    return postgres_resync_table(cfg_, session_, table, key);
  }

  // The deferred primary keys, and with create_tables the source's other indexes.
  bool finish_after_snapshot(const std::vector<source_table>& tables) override {
    bool keys_built = build_deferred_keys(cfg_, tables);
    if (cfg_.sink.postgres.create_tables) create_target_indexes(cfg_, tables);
    return keys_built;
  }

 private:
  const config::pipeline_config& cfg_;
  std::vector<std::pair<std::string, std::string>> session_;  ///< the source's text settings
};

}  // namespace

std::unique_ptr<sink> make_postgres_sink(const config::pipeline_config& cfg) {
  return std::make_unique<postgres_sink>(cfg);
}

}  // namespace pg2sr::engine
