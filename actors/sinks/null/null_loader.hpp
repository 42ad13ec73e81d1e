// Null loader: accepts every batch at once, counting rows and folding them into an
// order-independent checksum. For load tests of everything but the target; with
// `rows_per_sec` it takes as long as a target of that speed would (spawn it detached then).
//
// Receives: load_request (batcher; reply load_ack).
// Sends: nothing else.
#pragma once

#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"

namespace pg2sr::actors {

struct null_loader_state {
  static inline const char* name = "null-loader";
};

loader_actor::behavior_type null_loader(loader_actor::stateful_pointer<null_loader_state> self,
                                        pipeline_metrics* metrics, std::uint64_t rows_per_sec);

/// The checksum the null loader adds for one row (over op, kinds and values).
std::uint64_t row_checksum(const load_row& row);

}  // namespace pg2sr::actors
