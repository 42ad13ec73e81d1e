// Sub-command implementations: load the configuration once, then act on it.
#include "engine/commands.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <optional>

#include "codecs/pgoutput/lsn.hpp"
#include "config/config.hpp"
#include "config/units.hpp"
#include "engine/pipeline.hpp"
#include "engine/sinks/sink.hpp"
#include "engine/sinks/target_problems.hpp"
#include "engine/snapshot/snapshot_requests.hpp"
#include "engine/source/preflight.hpp"
#include "engine/source/slot_commands.hpp"
#include "engine/source/table_selection.hpp"
#include "engine/state_dir.hpp"
#include "engine/status/status_file.hpp"
#include "actors/core/checkpoint_store.hpp"

namespace pg2sr::engine {

namespace {

// Loads the file or prints every problem (one per line) and returns nullopt.
std::optional<config::pipeline_config> load_or_report(const std::filesystem::path& file) {
  try {
    return config::load_file(file);
  } catch (const config::config_error& e) {
    for (const auto& p : e.problems()) std::cerr << p.to_string() << "\n";
    std::cerr << "pg2sr: " << e.problems().size() << " problem(s) in " << file.string() << "\n";
    return std::nullopt;
  }
}

void print_summary(const config::pipeline_config& cfg) {
  const auto& src = cfg.source;
  std::cout << "pipeline " << cfg.pipeline.name << " (state in " << cfg.pipeline.state_dir.string() << ")\n";
  if (src.kind == config::source_kind::postgres) {
    std::cout << "  source: postgres " << config::conninfo(src.postgres, false) << "\n"
              << "          slot " << src.slot << ", publication " << src.publication << " ("
              << config::to_string(src.publication_mode) << ")"
              << ", password " << (src.postgres.password.empty() ? "from ~/.pgpass or none" : config::secret::redacted)
              << "\n";
  } else {
    std::cout << "  source: synthetic, " << src.synthetic.tables << " tables x " << src.synthetic.columns
              << " columns, seed " << src.synthetic.seed << ", max_events " << src.synthetic.max_events << "\n";
  }
  std::cout << "  snapshot: " << config::to_string(cfg.snapshot.mode) << ", chunk_rows " << cfg.snapshot.chunk_rows
            << ", parallelism " << cfg.snapshot.parallelism << "\n"
            << "  batch: " << config::format_size(cfg.batch.max_bytes) << " / " << cfg.batch.max_rows << " rows / "
            << config::format_duration(cfg.batch.flush_interval) << "\n"
            << "  sink: " << config::to_string(cfg.sink.kind) << "\n";
}

// One line per check, then the summary; exit 1 when any check failed.
int print_preflight(const std::vector<check_result>& results) {
  int counts[3] = {0, 0, 0};
  for (const auto& r : results) {
    std::cout << to_line(r) << "\n";
    ++counts[static_cast<int>(r.status)];
  }
  bool passed = all_passed(results);
  std::cout << "preflight: " << counts[0] << " ok, " << counts[1] << " info, " << counts[2] << " failed: "
            << (passed ? "the source is ready for pg2sr run" : "fix the failures above before pg2sr run") << "\n";
  return passed ? exit_ok : exit_failure;
}

bool require_postgres(const config::pipeline_config& cfg, const char* command) {
  if (cfg.source.kind == config::source_kind::postgres) return true;
  std::cerr << "pg2sr " << command << ": source.kind = \"" << config::to_string(cfg.source.kind)
            << "\" has no replication slot; slot commands need source.kind = \"postgres\"\n";
  return false;
}

// Connects to the source (a failure is one line with libpq's message, never the password
// nor the conninfo) and runs `action`; a server error in it is one line too.
int with_source(const config::pipeline_config& cfg, const char* command,
                const std::function<int(actors::pg_connection&)>& action) {
  const auto& pg = cfg.source.postgres;
  try {
    actors::pg_connection conn(config::conninfo(pg, true));
    return action(conn);
  } catch (const actors::pg_error& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::cerr << "pg2sr " << command << ": PostgreSQL at " << pg.host << ":" << pg.port << " (database \"" << pg.dbname
              << "\", user \"" << pg.user << "\"): " << message << "\n";
    return exit_failure;
  }
}

}  // namespace

int run_status(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  std::cout << describe_status_file(cfg->pipeline.state_dir);
  return exit_ok;
}

int run_snapshot_request(const std::filesystem::path& config_file, const std::string& table) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  if (cfg->source.kind != config::source_kind::postgres) {
    std::cerr << "pg2sr snapshot: only a postgres source has tables to snapshot\n";
    return exit_config;
  }
  if (table.find('.') == std::string::npos || !table_selected(cfg->tables, table)) {
    std::cerr << "pg2sr snapshot: --table " << table << " is not a selected table of this pipeline "
              << "(give schema.table, matched by [tables] include/exclude)\n";
    return exit_config;
  }
  try {
    auto file = write_snapshot_request(cfg->pipeline.state_dir, table);
    std::cout << "snapshot of " << table << " requested (" << file.string()
              << "); a running pipeline starts it within a second, else the next start does; follow it with "
                 "pg2sr status -c "
              << config_file.string() << "\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "pg2sr snapshot: " << e.what() << "\n";
    return exit_failure;
  }
}

int run_check(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  print_summary(*cfg);
  std::cout << "configuration OK\n";
  // Before anything on the source: `run` takes the state_dir before it creates the slot.
  auto problem = state_dir_problem(cfg->pipeline.state_dir);
  check_result state_dir = problem.empty()
                               ? check_result{"state_dir", check_status::ok,
                                              "state_dir " + cfg->pipeline.state_dir.string() + " is usable (writable, not held)"}
                               : check_result{"state_dir", check_status::fail, problem};
  if (cfg->source.kind != config::source_kind::postgres) {
    std::cout << to_line(state_dir) << "\n";
    return problem.empty() ? exit_ok : exit_failure;
  }
  std::vector<check_result> results{state_dir};
  for (auto& r : run_preflight(*cfg)) results.push_back(std::move(r));
  for (auto& r : make_sink(*cfg)->check()) results.push_back(std::move(r));
  return print_preflight(results);
}

int run_ddl(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  auto target = make_sink(*cfg);
  if (!target->takes_ddl() || cfg->source.kind != config::source_kind::postgres) {
    std::cerr << "pg2sr ddl: prints the StarRocks tables of a PostgreSQL source's selected tables; it needs "
                 "sink.kind = \"starrocks\" and source.kind = \"postgres\" (this file has \""
              << config::to_string(cfg->sink.kind) << "\" and \"" << config::to_string(cfg->source.kind) << "\")\n";
    return exit_config;
  }
  return with_source(*cfg, "ddl", [&](actors::pg_connection& conn) {
    auto selected = select_tables(conn, cfg->tables);
    if (selected.empty()) {
      std::cerr << "pg2sr ddl: no table of database \"" << cfg->source.postgres.dbname
                << "\" matches [tables] include/exclude\n";
      return exit_failure;
    }
    try {
      std::cout << target->ddl(conn, selected);
      return exit_ok;
    } catch (const target_problems& e) {
      for (const auto& p : e.problems()) std::cerr << p << "\n";
      std::cerr << "pg2sr ddl: " << e.problems().size() << " problem(s); no DDL printed\n";
      return exit_failure;
    }
  });
}

int run_slot_list(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  if (!require_postgres(*cfg, "slot list")) return exit_config;
  return with_source(*cfg, "slot list", [&](actors::pg_connection& conn) {
    for (const auto& line : slot_list_lines(conn, cfg->source.slot)) std::cout << line << "\n";
    return exit_ok;
  });
}

int run_slot_drop(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  if (!require_postgres(*cfg, "slot drop")) return exit_config;
  return with_source(*cfg, "slot drop", [&](actors::pg_connection& conn) {
    auto result = drop_slot(conn, cfg->source.slot);
    if (!result.dropped) {
      std::cerr << "pg2sr slot drop: " << result.message << "\n";
      return exit_failure;
    }
    std::cout << result.message << "\n"
              << "its position is lost: the changes committed until a new slot exists are never streamed, so the "
                 "next pg2sr run stops unless told what to do: pg2sr resync -c FILE (every table's snapshot again, "
                 "deleting target rows the source no longer has), or remove "
              << cfg->pipeline.state_dir.string() << " and empty the target to start over\n";
    return exit_ok;
  });
}

int run_resync(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  if (!require_postgres(*cfg, "resync")) return exit_config;
  if (auto why = make_sink(*cfg)->resync_unsupported(); !why.empty()) {
    std::cerr << "pg2sr resync: sink " << config::to_string(cfg->sink.kind) << ": " << why
              << "; start over instead: pg2sr slot drop -c FILE, empty the target tables, remove "
              << cfg->pipeline.state_dir.string() << ", and run again\n";
    return exit_failure;
  }
  try {
    state_dir_lock lock(cfg->pipeline.state_dir);  // not while the pipeline runs
    actors::checkpoint_store store(cfg->pipeline.state_dir);
    // Without a checkpoint too: the slot may be lost with the state_dir gone.
    auto state = store.load().value_or(actors::checkpoint_state{});
    state.snapshot.resync_pending = true;
    store.save(state);
    std::cout << "resync requested (" << store.file().string() << "): the next pg2sr run -c "
              << config_file.string() << " drops slot " << cfg->source.slot
              << " and creates it again, takes every selected table's snapshot again while streaming, and deletes "
                 "from the target the rows the source no longer has; follow it with pg2sr status -c "
              << config_file.string() << "\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "pg2sr resync: " << e.what() << "\n";
    return exit_failure;
  }
}

int run_pipeline(const std::filesystem::path& config_file, const std::string& stop_at_lsn) {
  run_options options;
  if (!stop_at_lsn.empty()) {
    auto lsn = codecs::parse_lsn(stop_at_lsn);
    if (!lsn) {
      std::cerr << "pg2sr: --stop-at-lsn: \"" << stop_at_lsn << "\" is not a WAL position such as 0/16B3748\n";
      return exit_config;
    }
    options.stop_at_lsn = *lsn;
  }
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  return engine::run_pipeline(*cfg, options);
}

}  // namespace pg2sr::engine
