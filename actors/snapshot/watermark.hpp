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
// A change in the window whose new tuple leaves unchanged-TOAST ('u') columns out cannot
// stand alone: its key's chunk row is dropped as dirty, so the target may never have had
// the row. No change in the window set those columns, so the chunk's row holds their
// current values: at H the key's last values in the window, completed from the chunk's row
// of that same row (under the key it had when the chunk's snapshot was taken: a later
// row may have taken its old key), are released as one whole row.
//
// PostgreSQL makes a commit visible (ProcArray) a moment after its commit record is in the
// WAL, so a transaction committed just before L in the stream may still be invisible to
// the chunk's snapshot: its change would then come before the stale chunk row. The reader
// registers the window here before it writes L, and sends the chunk's snapshot (xmin, xmax,
// in-progress xids) with the last rows; the actor keeps the commits of the stream while a
// window may need them, and a chunk whose snapshot missed a transaction committed before L
// is read again.
//
// Receives: event_batch_msg, end_of_stream_msg (decoder); credit_msg (batcher); chunk_begin_msg,
//   chunk_rows_msg, chunk_abort_msg (chunk readers); snapshot_read_msg (chunker);
//   link_decoder_msg, link_source_msg, link_chunker_msg (engine).
// Sends: event_batch_msg, end_of_stream_msg -> batcher; credit_msg -> decoder; chunk_released_msg
//   -> chunker; stop_atom -> source (snapshot_only, once every chunk is in).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/core/messages.hpp"
#include "codecs/values/pg_snapshot.hpp"

namespace pg2sr::actors {

/// A row changed in a window (inserts and updates).
struct changed_row {
  /// A change in the window carried the whole row: the stream brought it to the target
  /// whole, so it needs nothing from the chunk (and nothing of it is kept).
  bool whole = false;
  /// Otherwise its values after the window's changes, copied; unchanged_toast: no change
  /// in the window set it (the chunk's row has it).
  std::vector<codecs::pgoutput::value_kind> kinds;
  std::vector<std::string> data;
  /// Every key it had in the window, with the transaction that gave it that key (0: the
  /// key it had at L). The chunk read it under the key of the last of those its snapshot saw.
  std::vector<std::pair<std::string, std::uint32_t>> lineage;
};

struct chunk_window {
  chunk_task_ptr task;
  bool open = false;       ///< L seen in the stream
  codecs::pgoutput::lsn_t low_lsn = 0;  ///< L's commit LSN
  bool all_dirty = false;  ///< a TRUNCATE of the table inside the window
  std::unordered_set<std::string> dirty;
  std::unordered_map<std::string, changed_row> changed;  ///< by current key; deleted rows gone
  /// Keyless chunks (rows_predate_stream): the old tuples the window's updates and deletes
  /// removed, with their transaction. One the chunk's snapshot did not see removed a row the
  /// chunk read: one identical chunk row goes, not every one.
  std::vector<std::pair<std::string, std::uint32_t>> removed;
  std::vector<std::shared_ptr<codecs::pgoutput::change_batch>> rows;
  bool rows_complete = false;
  codecs::pg_snapshot snapshot;  ///< the chunk's (with its last rows)
  /// The newest snapshot xmin seen when the window was registered: its own snapshot, taken
  /// after the reader put the registration in the mailbox (so after every snapshot seen
  /// before it), has an xmin at least as new. None: no snapshot seen yet. (64-bit, as
  /// pg_current_snapshot() gives them: no wraparound between two of them.)
  std::optional<std::uint64_t> registered_floor;
};

/// The transactions that changed a table, in stream (commit) order, kept while a window
/// may need them. A window's snapshot was taken after the window was registered, so its
/// xmin is at least every xmin seen before: a transaction older than every open window's
/// xmin (with none open, than the newest xmin seen) was visible to all of them, and to any
/// later one. With no window open, the last `idle_capacity` are kept as well (a window's
/// snapshot can still miss a transaction whose commit the stream brought before the
/// window was registered, if that transaction's backend stalls between its commit record
/// and its visibility meanwhile).
class commit_history {
 public:
  static constexpr std::size_t idle_capacity = 1 << 16;
  void record(std::uint32_t xid, codecs::pgoutput::lsn_t commit_lsn);
  /// A transaction that committed before `before` and that `snapshot` saw in progress.
  std::optional<std::uint32_t> missed_by(const codecs::pg_snapshot& snapshot, codecs::pgoutput::lsn_t before) const;
  /// Forgets the transactions older than `floor`; when `idle`, all but the last idle_capacity.
  void prune(std::optional<std::uint64_t> floor, bool idle);
  std::size_t size() const { return entries_.size(); }

 private:
  std::deque<std::pair<std::uint32_t, codecs::pgoutput::lsn_t>> entries_;
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
  commit_history commits;
  /// Of the chunk snapshots seen since a window was last open (forgotten when none is: an
  /// old one would compare wrongly with xids 2^31 later).
  std::optional<std::uint64_t> newest_xmin;
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
