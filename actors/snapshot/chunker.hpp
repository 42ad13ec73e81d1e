// Chunker: hands the snapshot's unfinished chunks to the pool of chunk readers, one chunk
// per reader at a time, retries a failed chunk with backoff, reads again a chunk the
// watermark actor found stale, and tells the watermark actor when every chunk has been read.
//
// Receives: add_tasks_msg (engine); chunk_released_msg (watermark); chunk_durable_msg
//   (checkpoint); tick_atom (itself).
// Sends: read_chunk_msg -> chunk readers (reply chunk_read_msg); snapshot_read_msg -> watermark.
#pragma once

#include <deque>
#include <map>
#include <vector>

#include "actors/core/messages.hpp"

namespace pg2sr::actors {

struct chunker_state {
  std::deque<chunk_task_ptr> pending;
  std::vector<chunk_reader_actor> readers;
  std::vector<bool> busy;
  std::vector<std::chrono::steady_clock::time_point> rested_at;  ///< per reader: throttled until
  watermark_actor watermark;
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> failures;  ///< per chunk
  bool announced = false;
  std::size_t in_flight = 0;      ///< being read, or read but not yet durable in the target
  std::size_t max_in_flight = 0;  ///< 2 x readers: enough to keep them busy, little memory
  static inline const char* name = "chunker";
};

/// Starts reading at once (the slot already exists, so the watermarks are captured).
chunker_actor::behavior_type chunker(chunker_actor::stateful_pointer<chunker_state> self,
                                     std::vector<chunk_task_ptr> tasks, std::vector<chunk_reader_actor> readers,
                                     watermark_actor watermark);

}  // namespace pg2sr::actors
