// Synthetic source actor: the WAL generator feeding the decoder raw CopyData bytes, exactly
// as the live reader will, within the credit the batcher grants. Bounded (events or time)
// so that a load test ends by itself; optionally rate-limited.
//
// Receives: credit_msg (decoder); durable_msg (checkpoint); stop_atom (engine, watermark);
//   produce_atom (itself).
// Sends: wal_chunk_msg, end_of_stream_msg -> decoder.
#pragma once

#include <chrono>
#include <memory>

#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"
#include "codecs/synthetic/wal_generator.hpp"

namespace pg2sr::actors {

struct synthetic_settings {
  codecs::wal_gen::generator_params params;
  std::uint64_t resume_lsn = 0;             ///< durable LSN from the checkpoint: start after it
  std::chrono::microseconds max_duration{0};  ///< 0 = no time bound
  std::uint64_t events_per_sec = 0;         ///< 0 = as fast as credit allows
  std::size_t max_chunk_bytes = 256 << 10;  ///< raw bytes per message to the decoder
};

struct synthetic_source_state {
  std::unique_ptr<codecs::wal_gen::wal_generator> generator;
  synthetic_settings settings;
  decoder_actor downstream;
  pipeline_metrics* metrics = nullptr;
  std::int64_t credit = 0;
  bool produce_pending = false;
  bool ended = false;
  std::uint64_t events_sent = 0;
  std::chrono::steady_clock::time_point started;
  static inline const char* name = "synthetic-source";
};

/// Handles credit_msg, durable_msg, produce_atom and stop_atom (stop: end the stream now;
/// what was sent is drained).
source_actor::behavior_type synthetic_source(source_actor::stateful_pointer<synthetic_source_state> self,
                                             synthetic_settings settings, decoder_actor downstream,
                                             pipeline_metrics* metrics);

}  // namespace pg2sr::actors
