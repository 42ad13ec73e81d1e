// Watermark actor: merges snapshot chunks into the change stream (DBLog).
//
// A chunk reader announces a chunk (chunk_begin_msg), writes the low watermark L into the
// WAL, reads the chunk, sends its rows here and writes the high watermark H. In the
// stream, between L and H, every change of the chunk's table marks its key dirty (the
// change itself flows on as usual). When H arrives, the chunk's rows whose key is not
// dirty are released as upserts at exactly that point of the stream, then the stream
// goes on. Changes to keys not snapshotted yet flow as upserts/deletes; the later chunk is
// newer, so the final state equals the source. The actor also numbers the events it
// forwards (stream positions) and, in snapshot_only mode, ends the stream once every
// chunk has been released.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/messages.hpp"

namespace pg2sr::actors {

struct chunk_window {
  chunk_task_ptr task;
  bool open = false;       ///< L seen in the stream
  bool all_dirty = false;  ///< a TRUNCATE of the table inside the window
  std::unordered_set<std::string> dirty;
  std::vector<std::shared_ptr<codecs::pgoutput::change_batch>> rows;
  bool rows_complete = false;
};

struct watermark_state {
  watermark_state() = default;  // not an aggregate: CAF would build it from `self` otherwise
  batcher_actor downstream;
  decoder_actor upstream;
  source_actor source;
  chunker_actor chunker;
  bool stop_when_snapshot_done = false;  ///< snapshot_only mode
  bool snapshot_read = false;            ///< the chunker read every chunk
  bool stop_sent = false;
  std::unordered_map<std::string, chunk_window> windows;  ///< by watermark id
  std::unordered_map<const codecs::pgoutput::relation_schema*, std::vector<std::size_t>> key_indexes;
  std::uint64_t next_position = 1;
  static inline const char* name = "watermark";
};

watermark_actor::behavior_type watermark(watermark_actor::stateful_pointer<watermark_state> self,
                                         batcher_actor downstream, bool stop_when_snapshot_done);

/// The prefix of pg2sr's watermark messages in the WAL.
inline constexpr const char* watermark_prefix = "pg2sr";

}  // namespace pg2sr::actors
