#include "engine/sinks/sink.hpp"

#include "engine/sinks/jsonl/jsonl_sink.hpp"
#include "engine/sinks/null/null_sink.hpp"
#include "engine/sinks/postgres/postgres_sink.hpp"
#include "engine/sinks/starrocks/starrocks_sink.hpp"

namespace pg2sr::engine {

// One line per sink.
std::unique_ptr<sink> make_sink(const config::pipeline_config& cfg) {
  switch (cfg.sink.kind) {
    case config::sink_kind::starrocks: return make_starrocks_sink(cfg);
    case config::sink_kind::postgres: return make_postgres_sink(cfg);
    case config::sink_kind::jsonl: return make_jsonl_sink(cfg);
    case config::sink_kind::null: break;
  }
  return make_null_sink(cfg);
}

}  // namespace pg2sr::engine
