// Batcher actor: per-table buffers of compacted rows, flushed to the loaders at max_rows,
// max_bytes or flush_interval; one load in flight per table (so loads commit in order),
// different tables in parallel. Batches of snapshot rows alone touch disjoint keys: up to
// `snapshot_loads_per_table` of them load at once (nothing else of the table meanwhile). It grants its upstream `capacity_bytes` of credit and
// returns a batch's bytes only once every event in it is durable.
//
// Receives: event_batch_msg, end_of_stream_msg (watermark); link_watermark_msg (engine); tick_atom
//   (itself).
// Sends: load_request -> loaders (reply load_ack); progress_msg, end_of_stream_msg -> checkpoint;
//   credit_msg -> watermark.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/core/compactor.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"

namespace pg2sr::actors {

struct batcher_settings {
  std::uint64_t max_rows = 100'000;
  std::uint64_t max_bytes = 16ull << 20;
  std::chrono::microseconds flush_interval = std::chrono::seconds(1);
  std::uint64_t capacity_bytes = 64ull << 20;  ///< decoded bytes the batcher may hold (buffered + loading)
  std::size_t snapshot_loads_per_table = 1;    ///< snapshot-only batches of one table loading at once
  std::unordered_set<std::uint32_t> keyless_relids;  ///< tables whose identical rows are distinct rows
};

struct batcher_state {
  struct table_slot {
    std::unique_ptr<table_compactor> compactor;          ///< rows still accumulating
    struct loading {
      std::uint64_t batch_id = 0, first_position = 0;
      bool snapshot_rows_only = false;
    };
    std::deque<std::shared_ptr<load_batch>> queued;      ///< taken, waiting for the load before them
    std::vector<loading> in_flight;                      ///< at most one, or snapshot-only ones
    std::chrono::steady_clock::time_point first_event_at;
    /// It holds the last rows of a snapshot chunk: the chunker waits for them to be durable
    /// before it reads more, so they go now rather than at max_rows or flush_interval.
    bool chunk_completed = false;
  };

  batcher_settings settings;
  std::vector<loader_actor> loaders;
  std::vector<bool> loader_busy;
  checkpoint_actor checkpoint;
  watermark_actor upstream;
  pipeline_metrics* metrics = nullptr;

  std::unordered_map<std::uint32_t, table_slot> tables;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> costs;  ///< (end position, bytes) not yet returned
  std::uint64_t outstanding_bytes = 0;  ///< bytes received and not yet returned as credit
  std::uint64_t next_position = 1;      ///< one past the last event received
  std::uint64_t frontier = 0;           ///< last frontier reported
  std::vector<ack_mark> marks;          ///< commits/keepalives not yet reported
  std::vector<chunk_mark> chunk_marks;  ///< snapshot chunks handed over, not yet reported
  std::vector<prepared_load> prepared;  ///< 2PC loads acknowledged, not yet reported
  std::uint64_t next_batch_id = 1;
  bool draining = false;
  bool finished = false;
  static inline const char* name = "batcher";
};

batcher_actor::behavior_type batcher(batcher_actor::stateful_pointer<batcher_state> self, batcher_settings settings,
                                     std::vector<loader_actor> loaders, checkpoint_actor checkpoint,
                                     pipeline_metrics* metrics);

}  // namespace pg2sr::actors
