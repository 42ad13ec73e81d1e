#include "engine/sinks/starrocks/starrocks_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <random>

#include "actors/sinks/starrocks/starrocks_committer.hpp"
#include "actors/sinks/starrocks/starrocks_loader.hpp"
#include "actors/sinks/starrocks/stream_load_client.hpp"
#include "engine/sinks/starrocks/starrocks_resync.hpp"
#include "engine/sinks/starrocks/starrocks_schema.hpp"
#include "engine/snapshot/snapshot_catalog.hpp"
#include "engine/stop_signals.hpp"

namespace pg2sr::engine {

namespace {

// The loaders' view of the StarRocks tables of the selection, by source relid.
actors::starrocks_targets starrocks_targets_of(actors::pg_connection& conn, const std::vector<source_table>& tables,
                                               const config::pipeline_config& cfg) {
  actors::starrocks_targets targets;
  for (const auto& t : describe_starrocks_tables(conn, tables, cfg)) {
    auto source = std::find_if(tables.begin(), tables.end(), [&](const auto& s) { return s.qualified() == t.source; });
    if (source == tables.end()) continue;
    auto& target = targets[source->oid];
    target.db = t.database;
    target.name = t.name;
    target.primary_key = t.model == starrocks_model::primary_key;
    for (const auto& c : t.columns) {
      target.columns.names.push_back(c.name);
      target.columns.columns.push_back(c.mapping);
    }
  }
  return targets;
}

// The ALTER TABLE for a column the stream brought, its type read from the source's
// catalog (enums, domains, composites need it); or why it cannot be added.
std::string new_column_sql(const config::pipeline_config& cfg, const codecs::starrocks::mapping_options& mapping,
                           const actors::starrocks_target& target, const codecs::pgoutput::column_schema& column) {
  try {
    actors::pg_connection conn(config::conninfo(cfg.source.postgres, true));
    auto type = read_column_type(conn, column.type_oid, column.typmod);
    auto mapped = codecs::starrocks::map_type(type, mapping);
    if (auto* error = std::get_if<codecs::starrocks::mapping_error>(&mapped))
      return ddl_comment("column `" + column.name + "`: " + error->message);
    return add_column_sql(target.db, target.name, {column.name, type.name, std::get<codecs::starrocks::column_mapping>(mapped)});
  } catch (const std::exception& e) {
    return ddl_comment("column `" + column.name + "` (type oid " + std::to_string(column.type_oid) + "): " + e.what());
  }
}

// Exactly once after a crash: the 2PC loads the checkpoint recorded are committed (their
// rows are below the durable LSN: the stream will not send them again), every other label
// the loaders journaled is rolled back (its rows come again). Then both lists are empty.
void settle_two_phase_loads(actors::stream_load_client& client, actors::checkpoint_state& state, actors::checkpoint_store& store,
                            actors::prepared_journal& journal) {
  auto journaled = journal.entries();
  if (state.prepared.empty() && journaled.empty()) return;
  for (const auto& load : state.prepared) actors::commit_prepared(client, load);
  std::size_t rolled_back = 0;
  for (const auto& entry : journaled) {
    bool recorded = std::any_of(state.prepared.begin(), state.prepared.end(),
                                [&](const auto& p) { return p.label == entry.label; });
    if (recorded) continue;
    actors::roll_back_label(client, entry.db, entry.table, entry.label);
    ++rolled_back;
  }
  spdlog::info("exactly once: committed {} recorded prepared load(s), rolled back {} unrecorded one(s)",
               state.prepared.size(), rolled_back);
  state.prepared.clear();
  store.save(state);
  journal.clear();
}

// A load the last run sent but did not see answered may still commit: were it to land after
// this run's loads of its table, it would bring back what they changed. Each such label is
// taken by this run (or its load waited for); one still running after load_timeout stops
// the start (false), its label kept in the journal. A settled label leaves the journal at
// once: a start killed after holding one must not wait on its own hold.
bool settle_loads_in_flight(const config::pipeline_config& cfg, actors::stream_load_client& client,
                            actors::prepared_journal& in_flight) {
  auto waiting = in_flight.entries();
  if (waiting.empty()) return true;
  const auto& sr = cfg.sink.starrocks;
  auto load_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(sr.load_timeout);
  auto deadline = std::chrono::steady_clock::now() + load_timeout;
  std::size_t held = 0, unsettled = 0;
  for (const auto& load : waiting) {
    auto settled = actors::settle_unanswered_label(client, load, deadline, load_timeout, stop_if_signalled);
    using outcome = actors::label_settlement::outcome;
    if (settled.result == outcome::unsettled) {
      ++unsettled;
      spdlog::error("label {} of a load the last run sent into {}.{} has no final state in StarRocks after "
                    "load_timeout ({} s; last answer: {}): it may still commit, and after this run's loads it "
                    "would bring back rows they change. Start again once get_load_state "
                    "({}/api/{}/get_load_state?label={}) answers VISIBLE, COMMITTED or ABORTED; if it stays "
                    "UNKNOWN (the load never reached StarRocks, or its label expired), remove its line from {} first",
                    load.label, load.db, load.table,
                    std::chrono::duration_cast<std::chrono::seconds>(sr.load_timeout).count(), settled.last_answer,
                    sr.fe_url, load.db, load.label, in_flight.file().string());
      continue;
    }
    if (settled.result == outcome::held) ++held;
    in_flight.remove({load});
  }
  if (unsettled > 0) return false;
  spdlog::info("settled {} load(s) the last run sent: {} finished in StarRocks, {} label(s) held by this run "
               "until StarRocks times them out (PREPARE transactions without data: leave them)",
               waiting.size(), waiting.size() - held, held);
  return true;
}

class starrocks_sink final : public sink {
 public:
  explicit starrocks_sink(const config::pipeline_config& cfg)
      : cfg_(cfg), targets_(std::make_shared<actors::starrocks_targets>()) {}

  // The 2PC loads first: a prepared transaction expires, and it is in another table than
  // any load in flight (2PC is for Duplicate Key tables).
  bool settle(actors::checkpoint_state& state, actors::checkpoint_store& store) override {
    try {
      open_journals();
      if (state.prepared.empty() && journal_->entries().empty() && in_flight_->entries().empty()) return true;
      actors::stream_load_client client(actors::stream_load_settings_of(cfg_.sink.starrocks));
      settle_two_phase_loads(client, state, store, *journal_);
      return settle_loads_in_flight(cfg_, client, *in_flight_);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return false;
    }
  }

  // Every column must map before anything is created on the source.
  void prepare_target(actors::pg_connection& source, const std::vector<source_table>& tables) override {
    *targets_ = starrocks_targets_of(source, tables, cfg_);
  }

  std::string resync_unsupported() const override { return ""; }
  bool resync_table(const actors::snapshot_table_state& table,
                    const std::function<void(actors::target_key&&)>& key) override {
    return starrocks_resync_table(cfg_, *targets_, table, key);
  }

  std::vector<actors::loader_actor> spawn_loaders(caf::actor_system& system,
                                                  actors::pipeline_metrics& metrics) override {
    open_journals();
    const auto& sr = cfg_.sink.starrocks;
    actors::starrocks_loader_settings ls;
    ls.http = actors::stream_load_settings_of(sr);
    ls.pipeline = cfg_.pipeline.name;
    // Labels of this run differ from every earlier run's (see codecs::stream_load::label).
    ls.run = std::random_device{}() ^ static_cast<std::uint32_t>(std::time(nullptr));
    ls.format = sr.format;
    ls.compression = sr.compression;
    ls.mapping = mapping_options_of(sr);
    ls.targets = targets_;
    ls.exactly_once = sr.exactly_once;
    ls.journal = journal_;
    ls.in_flight = in_flight_;
    if (cfg_.source.kind == config::source_kind::postgres) {
      ls.source_conninfo = config::conninfo(cfg_.source.postgres, true);
      ls.add_column_sql = [&cfg = cfg_, mapping = ls.mapping](const actors::starrocks_target& target,
                                                              const codecs::pgoutput::column_schema& c) {
        return new_column_sql(cfg, mapping, target, c);
      };
    } else {
      // The synthetic source's tables are not in a catalog: their targets follow the stream.
      ls.derive_targets_in = sr.database;
    }
    std::vector<actors::loader_actor> loaders;
    for (int i = 0; i < sr.max_concurrent_loads; ++i)
      loaders.push_back(system.spawn<caf::detached>(actors::starrocks_loader, ls, &metrics));
    return loaders;
  }

  std::optional<actors::committer_actor> spawn_committer(caf::actor_system& system) override {
    if (!cfg_.sink.starrocks.exactly_once) return std::nullopt;
    open_journals();
    return system.spawn<caf::detached>(actors::starrocks_committer,
                                       actors::stream_load_settings_of(cfg_.sink.starrocks), journal_);
  }

  std::vector<check_result> check() const override { return check_starrocks_tables(cfg_); }

  bool takes_ddl() const override { return true; }

  std::string ddl(actors::pg_connection& source, const std::vector<source_table>& tables) const override {
    std::string text = create_database_sql(cfg_.sink.starrocks.database);
    for (const auto& t : describe_starrocks_tables(source, tables, cfg_)) text += "\n" + create_table_sql(t);
    return text;
  }

 private:
  // Read once the run holds the state_dir (settle comes first): another run's journals
  // must not be read while it may still write them.
  void open_journals() {
    if (journal_) return;
    journal_ = std::make_shared<actors::prepared_journal>(cfg_.pipeline.state_dir / "starrocks-2pc.journal");
    in_flight_ = std::make_shared<actors::prepared_journal>(cfg_.pipeline.state_dir / "starrocks-inflight.journal");
  }

  const config::pipeline_config& cfg_;
  std::shared_ptr<actors::starrocks_targets> targets_;
  std::shared_ptr<actors::prepared_journal> journal_;     ///< 2PC labels prepared
  std::shared_ptr<actors::prepared_journal> in_flight_;   ///< labels sent, not yet answered
};

}  // namespace

std::unique_ptr<sink> make_starrocks_sink(const config::pipeline_config& cfg) {
  return std::make_unique<starrocks_sink>(cfg);
}

}  // namespace pg2sr::engine
