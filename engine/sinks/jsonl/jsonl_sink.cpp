#include "engine/sinks/jsonl/jsonl_sink.hpp"

#include "actors/sinks/jsonl/jsonl_loader.hpp"

namespace pg2sr::engine {

namespace {

class jsonl_sink final : public sink {
 public:
  explicit jsonl_sink(const config::pipeline_config& cfg) : cfg_(cfg) {}

  std::vector<actors::loader_actor> spawn_loaders(caf::actor_system& system, actors::pipeline_metrics&) override {
    return {system.spawn<caf::detached>(actors::jsonl_loader, cfg_.sink.jsonl.path, cfg_.sink.jsonl.fsync,
                                        cfg_.pipeline.state_dir / "jsonl-output")};
  }

 private:
  const config::pipeline_config& cfg_;
};

}  // namespace

std::unique_ptr<sink> make_jsonl_sink(const config::pipeline_config& cfg) { return std::make_unique<jsonl_sink>(cfg); }

}  // namespace pg2sr::engine
