// Decoder actor: CopyData payloads -> change events (pgoutput), in stream order.
//
// It is a credit gate: it decodes a chunk only while the batcher's credit (in decoded
// bytes) lasts, holds at most `raw_window_bytes` of undecoded chunks, and grants the
// source raw credit as it frees that window. So when the loaders are slow, the source
// stops pulling.
//
// Receives: wal_chunk_msg, end_of_stream_msg (source); credit_msg (watermark); link_source_msg
//   (engine).
// Sends: event_batch_msg, end_of_stream_msg -> watermark; credit_msg -> source.
#pragma once

#include <deque>

#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"

namespace pg2sr::actors {

struct decoder_state {
  codecs::pgoutput::change_assembler assembler;
  watermark_actor downstream;
  source_actor upstream;
  pipeline_metrics* metrics = nullptr;
  std::uint64_t raw_window_bytes = 0;
  std::int64_t credit = 0;                             ///< decoded bytes the batcher will take
  std::deque<std::pair<std::shared_ptr<const raw_chunk>, bool>> pending;  ///< received, not yet decoded (+ restart)
  bool end_pending = false;                            ///< end_of_stream arrived behind `pending`
  static inline const char* name = "decoder";
};

/// Decodes every chunk into one event batch for `downstream`; a decoding error stops the
/// pipeline with the byte offset and message type. With `partition_roots`, the changes of a
/// partition the stream names by itself are its root's (see relation_cache::map_partitions).
decoder_actor::behavior_type decoder(decoder_actor::stateful_pointer<decoder_state> self,
                                     watermark_actor downstream, pipeline_metrics* metrics,
                                     std::uint64_t raw_window_bytes,
                                     codecs::pgoutput::partition_root_lookup partition_roots = {});

/// Memory a decoded batch holds: its raw bytes, its events and values, and an estimate of
/// the batcher's per-row bookkeeping.
std::uint64_t decoded_cost(const codecs::pgoutput::change_batch& batch, std::size_t raw_bytes);

}  // namespace pg2sr::actors
