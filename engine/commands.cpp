// Sub-command implementations: load the configuration once, then act on it.
#include "engine/commands.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

#include "config/config.hpp"
#include "config/units.hpp"
#include "engine/pipeline.hpp"

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

}  // namespace

int run_check(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  print_summary(*cfg);
  std::cout << "configuration OK\n";
  return exit_ok;
}

int run_pipeline(const std::filesystem::path& config_file) {
  auto cfg = load_or_report(config_file);
  if (!cfg) return exit_config;
  return engine::run_pipeline(*cfg);
}

}  // namespace pg2sr::engine
