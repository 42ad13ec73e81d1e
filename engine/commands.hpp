// The sub-commands of the `pg2sr` executable, each a function returning the exit code.
#pragma once

#include <filesystem>
#include <string>

namespace pg2sr::engine {

/// Exit codes: 0 done, 1 runtime failure, 2 bad configuration or usage.
enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_config = 2 };

/// `pg2sr check -c FILE`: validates the configuration (exit 2 when bad) and, with a
/// PostgreSQL source, runs the live preflight (and, with a StarRocks sink, maps every
/// selected table): one line per check, then a summary; exit 1 when a check fails.
int run_check(const std::filesystem::path& config_file);

/// `pg2sr ddl -c FILE`: the CREATE DATABASE and CREATE TABLE statements of the StarRocks
/// tables for the selected source tables; exit 2 unless sink.kind = "starrocks" with a
/// postgres source, exit 1 (printing every problem) when a column has no mapping.
int run_ddl(const std::filesystem::path& config_file);

/// `pg2sr slot list -c FILE`: the pipeline's slot and the other logical slots of the source
/// database, with active state, LSNs and lag.
int run_slot_list(const std::filesystem::path& config_file);

/// `pg2sr slot drop -c FILE`: drops the pipeline's slot unless it is active; exit 1 when not.
int run_slot_drop(const std::filesystem::path& config_file);

/// `pg2sr resync -c FILE`: records in the (stopped) pipeline's checkpoint that its next
/// start resyncs (engine/source/resync.hpp); exit 1 when the sink cannot or the state_dir
/// is held.
int run_resync(const std::filesystem::path& config_file);

/// `pg2sr status -c FILE`: the running (or last) pipeline's progress from state_dir.
int run_status(const std::filesystem::path& config_file);

/// `pg2sr snapshot -c FILE --table T`: asks the pipeline to snapshot T again.
int run_snapshot_request(const std::filesystem::path& config_file, const std::string& table);

/// `pg2sr run -c FILE`: runs the pipeline until it ends or is stopped.
/// `stop_at_lsn` ("X/X" or empty): end the stream once the source has reached it.
int run_pipeline(const std::filesystem::path& config_file, const std::string& stop_at_lsn = "");

}  // namespace pg2sr::engine
