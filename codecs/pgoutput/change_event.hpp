// Change events: the typed, transaction-ordered result of decoding the replication stream,
// which the engine consumes in batches, and the assembler that builds them from CopyData.
//
// A change_batch owns everything its events point to: the input buffers that tuple values
// view into and the relation schemas the events were decoded under. Values are views
// (zero-copy); a batch is safe to move to another thread and to keep after the assembler
// has moved on.
#pragma once

#include "codecs/pgoutput/pgoutput.hpp"
#include "codecs/pgoutput/relation_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pg2sr::codecs::pgoutput {

enum class change_op : std::uint8_t { begin, commit, insert, update, delete_row, truncate, message, keepalive };

/// "begin", "commit", "insert", ...
std::string_view to_string(change_op op);

/// Bits of change_event::flags.
inline constexpr std::uint8_t truncate_cascade = 1;           ///< truncate: CASCADE
inline constexpr std::uint8_t truncate_restart_identity = 2;  ///< truncate: RESTART IDENTITY
inline constexpr std::uint8_t message_transactional = 1;      ///< message: part of its transaction
inline constexpr std::uint8_t keepalive_reply_requested = 1;  ///< keepalive: server wants a status update
/// insert read by COPY: its values are the fields of one COPY text line without escapes,
/// in place, so values[0] to the end of the last one is that line verbatim.
inline constexpr std::uint8_t insert_copy_line = 1;

/// One event. Tuples are ranges into the owning change_batch's `values`.
struct change_event {
  change_op op = change_op::keepalive;
  std::uint32_t relid = 0;                     ///< insert/update/delete/truncate, else 0
  const relation_schema* relation = nullptr;   ///< schema the change was decoded with; kept alive by the batch
  std::uint32_t xid = 0;                       ///< transaction id (top-level); 0 outside a transaction
  lsn_t lsn = 0;           ///< XLogData dataStart of the change; keepalive: walEnd; message: its lsn
  lsn_t txn_final_lsn = 0; ///< Begin's final_lsn (commit LSN): identifies the transaction; 0 outside one
  lsn_t end_lsn = 0;       ///< commit: the transaction's end_lsn (what may be acknowledged once durable)
  pg_time_t time = 0;      ///< begin/commit: commit time; keepalive: server send time; else 0
  std::uint32_t new_begin = 0, new_count = 0;  ///< new tuple (insert, update; message: prefix + content)
  std::uint32_t old_begin = 0, old_count = 0;  ///< old tuple (update with K/O, delete)
  char old_kind = 0;        ///< 0 (no old tuple), 'K' (key columns, others null) or 'O' (whole row)
  std::uint8_t flags = 0;   ///< truncate_*, message_transactional, keepalive_reply_requested, insert_copy_line
};

/// Events in stream order plus everything they point to.
struct change_batch {
  std::vector<change_event> events;
  std::vector<column_value> values;
  std::vector<std::shared_ptr<const std::string>> buffers;  ///< input bytes the values view into
  std::vector<std::shared_ptr<const relation_schema>> relations;  ///< schemas the events point to
  std::size_t payload_bytes = 0;  ///< CopyData bytes whose events are in this batch

  tuple new_tuple(const change_event& e) const { return tuple(values.data() + e.new_begin, e.new_count); }
  tuple old_tuple(const change_event& e) const { return tuple(values.data() + e.old_begin, e.old_count); }
  /// Logical message (op message) prefix and content.
  std::string_view message_prefix(const change_event& e) const { return values[e.new_begin].data; }
  std::string_view message_content(const change_event& e) const { return values[e.new_begin + 1].data; }

  bool empty() const { return events.empty(); }
  std::size_t size() const { return events.size(); }
  /// Empties the batch, keeping the vectors' capacity.
  void clear();
  /// Appends `other`'s events (value ranges rebased), values, buffers and relations.
  void append(const change_batch& other);
  /// Keeps `buffer` alive as long as this batch (no-op for null or the last one kept).
  void keep(const std::shared_ptr<const std::string>& buffer);
  /// Keeps `relation` alive as long as this batch (no-op when already kept recently).
  void keep(const std::shared_ptr<const relation_schema>& relation);
};

/// Turns the walsender's CopyData payloads into change events, in commit order.
///
/// - Plain transactions: begin, the changes, commit (with end_lsn), appended as they come.
/// - Streamed transactions (protocol 2+, Stream Start/Stop/Commit/Abort): the changes are
///   held per top-level xid and appended as begin + changes + commit at Stream Commit
///   (txn_final_lsn = the commit's commit_lsn); Stream Abort discards the transaction, or
///   only the aborted subtransaction's changes (each held change remembers its subxid).
/// - Relation and Type messages update relations(); Origin is skipped.
/// - Keepalives become events only while no transaction is open (not between Begin and
///   Commit, not inside a Stream Start/Stop block): only then may walEnd be acknowledged.
/// - Non-transactional logical messages are appended at once; transactional ones belong
///   to their transaction.
///
/// feed() either appends everything the payload produced or, on error, nothing.
/// Error offsets count from the start of `copy_data`.
///
/// After reset() (a reconnect) the server resends every transaction after the durable
/// LSN, also those already appended and the first part of the one it was sending: those
/// are not appended again. Output comes in the order of commit LSNs (and of the LSNs of
/// non-transactional messages), so a transaction or message at or below the last one
/// appended whole is dropped; of the transaction cut by the reconnect, the events
/// appended before it are skipped by count (the server decodes a transaction the same
/// way each time; the last one skipped must be at the LSN appended, else the resend is
/// refused), and keepalives wait until its commit, as they would inside it.
class change_assembler {
 public:
  /// Decodes one CopyData payload ('w' or 'k') and appends its events to `out`.
  /// `owner` holds the bytes `copy_data` points into; `out` keeps it alive for the values.
  /// (owner may be null only if the caller keeps the bytes alive as long as `out`.)
  std::optional<decode_error> feed(std::string_view copy_data, const std::shared_ptr<const std::string>& owner,
                                   change_batch& out);

  relation_cache& relations() { return relations_; }
  const relation_cache& relations() const { return relations_; }

  /// Between Begin and Commit, or inside a Stream Start/Stop block.
  bool in_transaction() const { return txn_open_ || decoder_.in_stream_block(); }
  /// Streamed transactions started and neither committed nor aborted yet.
  std::size_t pending_streamed_transactions() const { return streams_.size(); }
  /// CopyData bytes held for pending streamed transactions.
  std::size_t buffered_bytes() const;

  /// Forgets the open transaction and pending streamed transactions (after a reconnect the
  /// server sends them again) and drops from then on what the server resends of what was
  /// appended. The relation cache is kept.
  void reset();

 private:
  struct streamed_txn {
    change_batch batch;
    lsn_t first_lsn = 0;  ///< dataStart of the first Stream Start
  };

  std::optional<decode_error> on_message(const message& msg, const xlog_data& x, std::size_t copy_bytes,
                                         const std::shared_ptr<const std::string>& owner, change_batch& out);
  std::optional<decode_error> on_change(const message& msg, const xlog_data& x, std::size_t copy_bytes,
                                        const std::shared_ptr<const std::string>& owner, change_batch& out);
  std::optional<decode_error> assemble(std::string_view copy_data, const std::shared_ptr<const std::string>& owner,
                                       change_batch& out);
  std::optional<decode_error> drop_resent(change_batch& out, std::size_t first);
  decoder decoder_;
  relation_cache relations_;
  bool txn_open_ = false;
  std::uint32_t txn_xid_ = 0;
  lsn_t txn_final_lsn_ = 0;
  std::unordered_map<std::uint32_t, streamed_txn> streams_;
  streamed_txn* current_stream_ = nullptr;  ///< inside a Stream Start/Stop block
  std::uint32_t current_stream_xid_ = 0;
  // What was appended, so that a reconnect does not append it twice (see the class).
  lsn_t appended_upto_ = 0;   ///< commit LSN (or message LSN) of the last unit appended whole
  lsn_t resent_upto_ = 0;     ///< appended_upto_ at the last reset: units up to it are resends
  lsn_t open_final_ = 0;      ///< the transaction whose events are being appended (0: none)
  std::size_t open_seen_ = 0; ///< its events seen in this session
  lsn_t open_last_lsn_ = 0;   ///< the LSN of its last event appended
  lsn_t cut_final_ = 0;       ///< the transaction a reset cut (0: none)
  std::size_t cut_count_ = 0; ///< its events appended before, to skip in the resend
  lsn_t cut_last_lsn_ = 0;    ///< the LSN of the last of them
};

}  // namespace pg2sr::codecs::pgoutput
