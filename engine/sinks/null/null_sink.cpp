#include "engine/sinks/null/null_sink.hpp"

#include <fmt/format.h>

#include "actors/sinks/null/null_loader.hpp"

namespace pg2sr::engine {

namespace {

class null_sink final : public sink {
 public:
  explicit null_sink(const config::pipeline_config& cfg) : rows_per_sec_(cfg.sink.null_rows_per_sec) {}

  std::vector<actors::loader_actor> spawn_loaders(caf::actor_system& system,
                                                  actors::pipeline_metrics& metrics) override {
    std::vector<actors::loader_actor> loaders;
    for (int i = 0; i < 2; ++i) {
      // A throttled null sink stands for a slow target: it blocks, so it runs detached.
      if (rows_per_sec_ > 0) loaders.push_back(system.spawn<caf::detached>(actors::null_loader, &metrics, rows_per_sec_));
      else loaders.push_back(system.spawn(actors::null_loader, &metrics, std::uint64_t{0}));
    }
    return loaders;
  }

  // It keeps nothing: a resync has nothing to delete.
  std::string resync_unsupported() const override { return ""; }

  std::string done_summary(const actors::pipeline_metrics& metrics) const override {
    return fmt::format(", checksum {:016x}", metrics.checksum.load());
  }

 private:
  std::uint64_t rows_per_sec_;
};

}  // namespace

std::unique_ptr<sink> make_null_sink(const config::pipeline_config& cfg) { return std::make_unique<null_sink>(cfg); }

}  // namespace pg2sr::engine
