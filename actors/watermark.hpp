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
//
// PostgreSQL makes a commit visible (ProcArray) a moment after its commit record is in the
// WAL, so a transaction committed just before L in the stream may still be invisible to
// the chunk's snapshot: its change would then come before the stale chunk row. The reader
// sends the snapshot's in-progress xids; the actor remembers the xids of recent commits,
// and a chunk whose snapshot missed a transaction committed before L is read again.
#pragma once

#include <deque>
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
  codecs::pgoutput::lsn_t low_lsn = 0;  ///< L's commit LSN
  bool all_dirty = false;  ///< a TRUNCATE of the table inside the window
  std::unordered_set<std::string> dirty;
  std::vector<std::shared_ptr<codecs::pgoutput::change_batch>> rows;
  bool rows_complete = false;
  std::vector<std::uint32_t> invisible_xids;  ///< of the chunk's snapshot
};

/// The commit LSN of the last `capacity` transactions that changed a table, by xid. A
/// transaction stuck between its commit record and its visibility while `capacity` others
/// commit after it is beyond what this covers.
class recent_commits {
 public:
  static constexpr std::size_t capacity = 1 << 16;
  void record(std::uint32_t xid, codecs::pgoutput::lsn_t commit_lsn);
  std::optional<codecs::pgoutput::lsn_t> commit_lsn(std::uint32_t xid) const;

 private:
  std::deque<std::pair<std::uint32_t, codecs::pgoutput::lsn_t>> order_;
  std::unordered_map<std::uint32_t, codecs::pgoutput::lsn_t> by_xid_;
  std::uint32_t last_xid_ = 0;
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
  recent_commits commits;
  std::unordered_set<std::string> rereads;  ///< watermark ids sent back to the chunker, not begun again
  /// Key column indexes by schema version. Each entry holds its schema: a freed schema's
  /// address, reused by another table's, would otherwise find the wrong columns.
  struct key_index_entry {
    std::shared_ptr<const codecs::pgoutput::relation_schema> pinned;
    std::vector<std::size_t> indexes;
  };
  std::unordered_map<const codecs::pgoutput::relation_schema*, key_index_entry> key_indexes;
  std::uint64_t next_position = 1;
  static inline const char* name = "watermark";
};

watermark_actor::behavior_type watermark(watermark_actor::stateful_pointer<watermark_state> self,
                                         batcher_actor downstream, bool stop_when_snapshot_done);

/// The prefix of pg2sr's watermark messages in the WAL.
inline constexpr const char* watermark_prefix = "pg2sr";

}  // namespace pg2sr::actors
