// Counters the actors update and the engine's status line reads. Relaxed atomics: they
// are for humans, not for synchronisation.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

namespace pg2sr::actors {

/// One table's snapshot progress (fixed at start; counters updated by the actors).
struct table_progress {
  std::uint32_t relid = 0;
  std::string name;
  std::uint64_t chunks_total = 0;
  std::uint64_t estimated_rows = 0;
  std::atomic<std::uint64_t> chunks_done{0};  ///< durable in the target
  std::atomic<std::uint64_t> rows_read{0};
};

struct pipeline_metrics {
  std::atomic<std::uint64_t> source_bytes{0};   ///< raw bytes read from the source
  std::atomic<std::uint64_t> source_chunks{0};  ///< messages the source sent the decoder
  std::atomic<std::uint64_t> source_lsn{0};     ///< newest WAL position read
  std::atomic<std::uint64_t> events{0};         ///< change events decoded
  std::atomic<std::uint64_t> rows_loaded{0};    ///< rows the loaders wrote
  std::atomic<std::uint64_t> loads{0};          ///< load batches done
  std::atomic<std::uint64_t> in_flight_bytes{0};///< raw bytes read but not yet durable
  /// The durable LSN the checkpoint on disk holds: the source sends it to PostgreSQL as
  /// flush (so never more, or a crash loses what PostgreSQL then no longer sends).
  std::atomic<std::uint64_t> durable_lsn{0};
  std::atomic<std::uint64_t> checksum{0};       ///< null loader: order-independent checksum of rows
  std::atomic<std::uint64_t> load_bytes{0};     ///< body bytes sent to the target (as sent)
  std::atomic<std::uint64_t> load_retries{0};   ///< loads sent again after a failure
  std::atomic<std::uint64_t> snapshot_chunks_total{0};
  std::atomic<std::uint64_t> snapshot_chunks_done{0};   ///< durable in the target
  std::atomic<std::uint64_t> snapshot_rows_read{0};
  std::deque<table_progress> tables;  ///< filled before the actors start, never resized after

  table_progress* table(std::uint32_t relid) {
    for (auto& t : tables)
      if (t.relid == relid) return &t;
    return nullptr;
  }
};

}  // namespace pg2sr::actors
