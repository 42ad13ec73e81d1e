// Null loader: counts and checksums, writes nothing.
#include "actors/null_loader.hpp"

#include <thread>

namespace pg2sr::actors {

std::uint64_t row_checksum(const load_row& row) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  mix(static_cast<unsigned char>(row.op));
  for (std::uint32_t i = 0; i < row.count; ++i) {
    mix(static_cast<unsigned char>(row.values[i].kind));
    for (char c : row.values[i].data) mix(static_cast<unsigned char>(c));
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
