// pg2sr command line: parses arguments and dispatches to engine/commands.
#include <CLI/CLI.hpp>
#include <mimalloc.h>
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>

#include "engine/commands.hpp"
#include "engine/logging.hpp"
#include "engine/version.hpp"

int main(int argc, char** argv) {
  // mimalloc gives freed memory back to the OS 25 ms after it is freed; a snapshot frees a
  // chunk's batches and allocates the next chunk's a few ms later, which then faults the
  // pages in again: 15% of pg2sr's CPU in perf/pg_clone_vs_pgcopydb.sh. 100 ms keeps them
  // from one chunk to the next (peak RSS +10 MiB there). MIMALLOC_DECOMMIT_DELAY overrides.
  if (std::getenv("MIMALLOC_DECOMMIT_DELAY") == nullptr) mi_option_set(mi_option_decommit_delay, 100);
  // The state_dir's checkpoint, journals and status, and the jsonl output, hold key values
  // and whole rows: 0600 files and 0700 directories, as PostgreSQL makes its own.
  ::umask(077);
  CLI::App app{"pg2sr: PostgreSQL -> StarRocks change data capture (snapshot + logical replication)"};
  app.require_subcommand(0, 1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->default_val("info");
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print versions of pg2sr and its libraries, and the allocator in use");

  std::string config_file;
  auto* run = app.add_subcommand("run", "Run the pipeline described by the configuration file");
  run->add_option("-c,--config", config_file, "TOML configuration file")->required();
  std::string stop_at_lsn;
  run->add_option("--stop-at-lsn", stop_at_lsn,
                  "End the stream once the source reached this WAL position (X/X), like pg_recvlogical --endpos");
  auto* status = app.add_subcommand("status", "Show a pipeline's progress (from the status file its run keeps)");
  status->add_option("-c,--config", config_file, "TOML configuration file")->required();
  auto* snapshot = app.add_subcommand("snapshot", "Snapshot one table again, on a running pipeline or at its next start");
  snapshot->add_option("-c,--config", config_file, "TOML configuration file")->required();
  std::string snapshot_table;
  snapshot->add_option("--table", snapshot_table, "schema.table to snapshot again")->required();
  auto* resync = app.add_subcommand(
      "resync", "After a lost slot: at its next start the pipeline recreates the slot and snapshots every table again, "
                "deleting target rows the source no longer has");
  resync->add_option("-c,--config", config_file, "TOML configuration file")->required();
  auto* check = app.add_subcommand("check", "Validate the configuration file (and the source, when live)");
  check->add_option("-c,--config", config_file, "TOML configuration file")->required();
  auto* ddl = app.add_subcommand("ddl", "Print the StarRocks CREATE DATABASE and CREATE TABLE of the selected tables");
  ddl->add_option("-c,--config", config_file, "TOML configuration file")->required();
  auto* slot = app.add_subcommand("slot", "Inspect or drop the pipeline's replication slot");
  slot->require_subcommand(1);
  auto* slot_list = slot->add_subcommand("list", "List the pipeline's slot and the other logical slots, with lag");
  slot_list->add_option("-c,--config", config_file, "TOML configuration file")->required();
  auto* slot_drop = slot->add_subcommand("drop", "Drop the pipeline's slot (refused while it is active)");
  slot_drop->add_option("-c,--config", config_file, "TOML configuration file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : pg2sr::engine::exit_config;
  }
  if (show_version) {
    std::cout << pg2sr::engine::version_report();
    return 0;
  }
  if (!pg2sr::engine::setup_logging(log_level)) {
    std::cerr << "pg2sr: --log-level: unknown level \"" << log_level << "\" (trace, debug, info, warn, error, off)\n";
    return pg2sr::engine::exit_config;
  }
  if (*run) return pg2sr::engine::run_pipeline(config_file, stop_at_lsn);
  if (*check) return pg2sr::engine::run_check(config_file);
  if (*ddl) return pg2sr::engine::run_ddl(config_file);
  if (*status) return pg2sr::engine::run_status(config_file);
  if (*snapshot) return pg2sr::engine::run_snapshot_request(config_file, snapshot_table);
  if (*slot_list) return pg2sr::engine::run_slot_list(config_file);
  if (*slot_drop) return pg2sr::engine::run_slot_drop(config_file);
  if (*resync) return pg2sr::engine::run_resync(config_file);
  std::cout << app.help();
  return pg2sr::engine::exit_config;
}
