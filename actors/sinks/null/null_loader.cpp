// Null loader: counts and checksums, writes nothing.
#include "actors/sinks/null/null_loader.hpp"

#include <functional>
#include <string_view>
#include <thread>

namespace pg2sr::actors {

// Hashes whole values (libstdc++'s murmur-based string hash), not bytes one by one: the
// null sink stands for a target in benchmarks and must not be their bottleneck.
std::uint64_t row_checksum(const load_row& row) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ static_cast<std::uint64_t>(row.op);
  for (std::uint32_t i = 0; i < row.count; ++i) {
    std::uint64_t v = std::hash<std::string_view>{}(row.values[i].data) ^ static_cast<std::uint64_t>(row.values[i].kind);
    h = (h ^ v) * 0x100000001b3ull + (h >> 29);
  }
  return h;
}

loader_actor::behavior_type null_loader(loader_actor::stateful_pointer<null_loader_state> self,
                                        pipeline_metrics* metrics, std::uint64_t rows_per_sec) {
  return {
      [=](load_request& req) -> load_ack {
        if (rows_per_sec > 0)
          std::this_thread::sleep_for(std::chrono::microseconds(req.batch->rows.size() * 1'000'000 / rows_per_sec));
        std::uint64_t sum = 0;
        for (const auto& row : req.batch->rows) sum += row_checksum(row);
        metrics->checksum.fetch_add(sum, std::memory_order_relaxed);
        return {req.batch->id, req.batch->relid, req.batch->rows.size()};
      },
  };
}

}  // namespace pg2sr::actors
