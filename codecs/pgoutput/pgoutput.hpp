// pgoutput wire model: the messages a logical walsender sends (and the status update we send).
//
// Byte layouts are in ../shared/PROTOCOLS.md section 1; all integers are big-endian.
// Decoded messages are views: every string_view and span points into the input buffer or
// into the decoder's reusable scratch, so decoding allocates nothing per row. A decoded
// message is valid until the next call on the same decoder and while the input lives.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pg2sr::codecs::pgoutput {

using lsn_t = std::uint64_t;
/// Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL epoch).
using pg_time_t = std::int64_t;

// ---- CopyData envelopes ------------------------------------------------------------

/// 'w': one pgoutput message with its WAL position.
struct xlog_data {
  lsn_t data_start = 0;
  lsn_t wal_end = 0;
  pg_time_t send_time = 0;
  std::string_view payload;
};

/// 'k': primary keepalive.
struct keepalive {
  lsn_t wal_end = 0;
  pg_time_t send_time = 0;
  bool reply_requested = false;
};

/// 'r': standby status update (client -> server). Only `flush` moves the slot.
struct status_update {
  lsn_t write = 0;
  lsn_t flush = 0;
  lsn_t apply = 0;
  pg_time_t client_time = 0;
  bool reply_requested = false;
};

using envelope = std::variant<xlog_data, keepalive, status_update>;

// ---- TupleData -----------------------------------------------------------------------

enum class value_kind : char {
  null = 'n',
  unchanged_toast = 'u',  ///< on-disk TOAST value the update did not touch: keep the target's
  text = 't',
  binary = 'b',
};

/// One column of a TupleData; `data` is empty unless kind is text or binary.
struct column_value {
  value_kind kind = value_kind::null;
  std::string_view data;
};

using tuple = std::span<const column_value>;

// ---- pgoutput messages ---------------------------------------------------------------
// `xid` is set only for messages inside a Stream Start/Stop block (protocol 2+).

struct begin_msg {  // 'B'
  lsn_t final_lsn = 0;  ///< LSN of the commit record
  pg_time_t commit_time = 0;
  std::uint32_t xid = 0;
};

struct commit_msg {  // 'C'
  std::uint8_t flags = 0;
  lsn_t commit_lsn = 0;
  lsn_t end_lsn = 0;  ///< what the client acknowledges once the transaction is durable
  pg_time_t commit_time = 0;
};

struct origin_msg {  // 'O'
  lsn_t origin_lsn = 0;
  std::string_view name;
};

struct relation_column {
  std::uint8_t flags = 0;  ///< 1 = part of the replica identity key
  std::string_view name;
  std::uint32_t type_oid = 0;
  std::int32_t typmod = -1;
  bool is_key() const { return (flags & 1) != 0; }
};

struct relation_msg {  // 'R'
  std::optional<std::uint32_t> xid;
  std::uint32_t relid = 0;
  std::string_view nspname;  ///< "" means pg_catalog
  std::string_view relname;
  char replica_identity = 'd';  ///< d(efault), n(othing), f(ull), i(ndex)
  std::span<const relation_column> columns;
};

struct type_msg {  // 'Y'
  std::optional<std::uint32_t> xid;
  std::uint32_t oid = 0;
  std::string_view nspname;
  std::string_view name;
};

struct insert_msg {  // 'I'
  std::optional<std::uint32_t> xid;
  std::uint32_t relid = 0;
  tuple new_tuple;
};

struct update_msg {  // 'U'
  std::optional<std::uint32_t> xid;
  std::uint32_t relid = 0;
  char old_kind = 0;  ///< 0 (no old tuple), 'K' (key changed) or 'O' (REPLICA IDENTITY FULL)
  tuple old_tuple;
  tuple new_tuple;
};

struct delete_msg {  // 'D'
  std::optional<std::uint32_t> xid;
  std::uint32_t relid = 0;
  char old_kind = 'K';  ///< 'K' or 'O'
  tuple old_tuple;
};

struct truncate_msg {  // 'T'
  std::optional<std::uint32_t> xid;
  std::uint8_t flags = 0;  ///< 1 CASCADE, 2 RESTART IDENTITY
  std::span<const std::uint32_t> relids;
};

struct logical_message_msg {  // 'M'
  std::optional<std::uint32_t> xid;
  std::uint8_t flags = 0;  ///< 1 = transactional
  lsn_t lsn = 0;
  std::string_view prefix;
  std::string_view content;
  bool transactional() const { return (flags & 1) != 0; }
};

struct stream_start_msg {  // 'S'
  std::uint32_t xid = 0;
  std::uint8_t first_segment = 0;
};

struct stream_stop_msg {};  // 'E'

struct stream_commit_msg {  // 'c'
  std::uint32_t xid = 0;
  std::uint8_t flags = 0;
  lsn_t commit_lsn = 0;
  lsn_t end_lsn = 0;
  pg_time_t commit_time = 0;
};

struct stream_abort_msg {  // 'A'
  std::uint32_t xid = 0;
  std::uint32_t subxid = 0;
  std::optional<lsn_t> abort_lsn;         ///< only with streaming 'parallel' (proto 4)
  std::optional<pg_time_t> abort_time;    ///< only with streaming 'parallel' (proto 4)
};

/// Two-phase messages (protocol 3+, two_phase on): 'b' begin prepare, 'P' prepare,
/// 'K' commit prepared, 'r' rollback prepared, 'p' stream prepare. Recognised and kept
/// whole; pg2sr does not enable two_phase, so they never carry data it applies.
struct two_phase_msg {
  char type = 0;
  std::uint8_t flags = 0;
  lsn_t lsn_a = 0;  ///< prepare_lsn / commit_lsn / prepare_end_lsn
  lsn_t lsn_b = 0;  ///< end_lsn / rollback_end_lsn
  pg_time_t time_a = 0;  ///< prepare_time / commit_time
  pg_time_t time_b = 0;  ///< rollback_time ('r' only)
  std::uint32_t xid = 0;
  std::string_view gid;
};

using message = std::variant<begin_msg, commit_msg, origin_msg, relation_msg, type_msg, insert_msg,
                             update_msg, delete_msg, truncate_msg, logical_message_msg,
                             stream_start_msg, stream_stop_msg, stream_commit_msg,
                             stream_abort_msg, two_phase_msg>;

// ---- errors --------------------------------------------------------------------------

enum class decode_errc : std::uint8_t {
  truncated,        ///< input ended inside a field
  unknown_type,     ///< unknown envelope or message type byte
  bad_value,        ///< a field holds an impossible value (negative length, bad tuple kind...)
  trailing_bytes,   ///< bytes left after a complete message
  oversized,        ///< a count or length larger than the input could possibly hold
};

/// A decoding failure: what, where (byte offset in the decoded buffer) and in which message.
struct decode_error {
  decode_errc code = decode_errc::truncated;
  std::size_t offset = 0;
  char message_type = 0;
  std::string_view detail;  ///< static text
};

std::string to_string(const decode_error& err);

template <class T>
using decode_result = std::variant<T, decode_error>;

// ---- decoding ------------------------------------------------------------------------

/// Parses one CopyData payload from the walsender (or our own 'r').
decode_result<envelope> decode_envelope(std::string_view copy_data);

/// Stateful pgoutput decoder. It tracks Stream Start/Stop (which decides whether messages
/// carry an xid) and owns the scratch that decoded tuples and columns point into.
class decoder {
 public:
  /// Decodes one pgoutput message. The result stays valid until the next call.
  decode_result<message> decode(std::string_view payload);
  bool in_stream_block() const { return in_stream_; }
  void reset() { in_stream_ = false; }

 private:
  bool in_stream_ = false;
  std::vector<column_value> values_;
  std::vector<relation_column> columns_;
  std::vector<std::uint32_t> relids_;
};

// ---- encoding (what a walsender writes; used by the generator and the tests) ----------

/// Appends the bytes of `msg` to `out`. A message whose `xid` is set is written with it,
/// as the walsender does inside a streaming block.
void encode(const message& msg, std::string& out);
void encode(const envelope& env, std::string& out);

}  // namespace pg2sr::codecs::pgoutput
