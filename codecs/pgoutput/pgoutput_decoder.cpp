// pgoutput decoding: CopyData envelopes ('w', 'k', 'r') and every pgoutput message of
// protocol versions 1-4, with a bounds-checked reader that never reads past the input.
//
// Layouts (all integers big-endian; "String" is NUL-terminated; [xid] only inside a Stream
// Start/Stop block), as PostgreSQL's src/backend/replication/logical/proto.c writes them:
//   B  Int64 final_lsn, Int64 commit_time, Int32 xid
//   C  Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 commit_time
//   O  Int64 origin_lsn, String name
//   R  [xid] Int32 relid, String nspname, String relname, Int8 replident, Int16 ncols,
//      ncols x (Int8 flags, String name, Int32 type_oid, Int32 typmod)
//   Y  [xid] Int32 oid, String nspname, String name
//   I  [xid] Int32 relid, 'N', TupleData
//   U  [xid] Int32 relid, ['K'|'O', TupleData], 'N', TupleData
//   D  [xid] Int32 relid, 'K'|'O', TupleData
//   T  [xid] Int32 nrels, Int8 flags, nrels x Int32 relid
//   M  [xid] Int8 flags, Int64 lsn, String prefix, Int32 len, len bytes
//   S  Int32 xid, Int8 first_segment            E  (nothing)
//   c  Int32 xid, Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 commit_time
//   A  Int32 xid, Int32 subxid [, Int64 abort_lsn, Int64 abort_time  (streaming 'parallel')]
//   b  Int64 prepare_lsn, Int64 end_lsn, Int64 prepare_time, Int32 xid, String gid
//   P,p  Int8 flags, Int64 prepare_lsn, Int64 end_lsn, Int64 prepare_time, Int32 xid, String gid
//   K  Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 commit_time, Int32 xid, String gid
//   r  Int8 flags, Int64 prepare_end_lsn, Int64 rollback_end_lsn, Int64 prepare_time,
//      Int64 rollback_time, Int32 xid, String gid
//   TupleData: Int16 ncols, ncols x ('n' | 'u' | 't' Int32 len, bytes | 'b' Int32 len, bytes)
#include "codecs/pgoutput/pgoutput.hpp"

#include <cstring>

namespace pg2sr::codecs::pgoutput {

namespace {

// Smallest encodings, used to reject counts that the remaining bytes cannot hold.
constexpr std::size_t min_tuple_column_bytes = 1;     // 'n'
constexpr std::size_t min_relation_column_bytes = 10;  // flags, "" NUL, oid, typmod

/// Bounds-checked big-endian reader over one buffer. Every read checks the remaining
/// length first; a failed read records the error (offset = where the field starts) and
/// returns false, so callers return `error()` at once and never see a made-up value.
class reader {
 public:
  reader(std::string_view buf, char message_type)
      : begin_(reinterpret_cast<const unsigned char*>(buf.data())),
        pos_(begin_),
        end_(begin_ + buf.size()),
        type_(message_type) {}

  std::size_t offset() const { return static_cast<std::size_t>(pos_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }
  const decode_error& error() const { return err_; }

  bool fail(decode_errc code, std::size_t at, std::string_view detail) {
    err_ = decode_error{code, at, type_, detail};
    return false;
  }
  bool fail_here(decode_errc code, std::string_view detail) { return fail(code, offset(), detail); }

  bool u8(std::uint8_t& v, std::string_view what) {
    if (remaining() < 1) return fail_here(decode_errc::truncated, what);
    v = *pos_++;
    return true;
  }
  bool byte(char& v, std::string_view what) {
    std::uint8_t b = 0;
    if (!u8(b, what)) return false;
    v = static_cast<char>(b);
    return true;
  }
  bool u16(std::uint16_t& v, std::string_view what) {
    if (remaining() < 2) return fail_here(decode_errc::truncated, what);
    v = static_cast<std::uint16_t>((pos_[0] << 8) | pos_[1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v, std::string_view what) {
    if (remaining() < 4) return fail_here(decode_errc::truncated, what);
    v = load32(pos_);
    pos_ += 4;
    return true;
  }
  bool i32(std::int32_t& v, std::string_view what) {
    std::uint32_t u = 0;
    if (!u32(u, what)) return false;
    v = static_cast<std::int32_t>(u);
    return true;
  }
  bool u64(std::uint64_t& v, std::string_view what) {
    if (remaining() < 8) return fail_here(decode_errc::truncated, what);
    v = (static_cast<std::uint64_t>(load32(pos_)) << 32) | load32(pos_ + 4);
    pos_ += 8;
    return true;
  }
  bool i64(std::int64_t& v, std::string_view what) {
    std::uint64_t u = 0;
    if (!u64(u, what)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  /// NUL-terminated string; the view excludes the NUL.
  bool string(std::string_view& v, std::string_view what) {
    const void* nul = std::memchr(pos_, 0, remaining());
    if (nul == nullptr) return fail_here(decode_errc::truncated, what);
    auto len = static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - pos_);
    v = std::string_view(reinterpret_cast<const char*>(pos_), len);
    pos_ += len + 1;
    return true;
  }
  /// Int32 length followed by that many bytes (TupleData values, Message content).
  bool counted_bytes(std::string_view& v, std::string_view what) {
    std::size_t at = offset();
    std::int32_t len = 0;
    if (!i32(len, what)) return false;
    if (len < 0) return fail(decode_errc::bad_value, at, "negative length");
    if (static_cast<std::size_t>(len) > remaining())
      return fail(decode_errc::oversized, at, "length exceeds the remaining bytes");
    v = std::string_view(reinterpret_cast<const char*>(pos_), static_cast<std::size_t>(len));
    pos_ += len;
    return true;
  }
  bool at_end() {
    if (pos_ != end_) return fail_here(decode_errc::trailing_bytes, "bytes after the end of the message");
    return true;
  }

  /// Hot path for TupleData: writes the columns to out[used...] and advances `used`.
  /// `out` only grows (to the widest tuples seen), so warm decoding never allocates.
  bool tuple_data(std::vector<column_value>& out, std::size_t& used) {
    std::size_t at = offset();
    std::uint16_t ncols = 0;
    if (!u16(ncols, "TupleData column count")) return false;
    if (ncols * min_tuple_column_bytes > remaining())
      return fail(decode_errc::oversized, at, "TupleData column count exceeds the remaining bytes");
    if (out.size() < used + ncols) out.resize(used + ncols);
    column_value* col = out.data() + used;
    used += ncols;
    for (std::uint16_t i = 0; i < ncols; ++i, ++col) {
      if (pos_ == end_) return fail_here(decode_errc::truncated, "TupleData column kind");
      char kind = static_cast<char>(*pos_);
      switch (kind) {
        case 'n':
          ++pos_;
          col->kind = value_kind::null;
          col->data = {};
          break;
        case 'u':
          ++pos_;
          col->kind = value_kind::unchanged_toast;
          col->data = {};
          break;
        case 't':
        case 'b': {
          ++pos_;
          if (remaining() < 4) return fail_here(decode_errc::truncated, "TupleData value length");
          std::size_t len_at = offset();
          auto len = static_cast<std::int32_t>(load32(pos_));
          pos_ += 4;
          if (len < 0) return fail(decode_errc::bad_value, len_at, "negative TupleData value length");
          if (static_cast<std::size_t>(len) > remaining())
            return fail(decode_errc::oversized, len_at, "TupleData value length exceeds the remaining bytes");
          col->kind = static_cast<value_kind>(kind);
          col->data = std::string_view(reinterpret_cast<const char*>(pos_), static_cast<std::size_t>(len));
          pos_ += len;
          break;
        }
        default:
          return fail_here(decode_errc::bad_value, "TupleData column kind is not n, u, t or b");
      }
    }
    return true;
  }

 private:
  static std::uint32_t load32(const unsigned char* p) {
    return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
           (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
  }

  const unsigned char* begin_;
  const unsigned char* pos_;
  const unsigned char* end_;
  char type_;
  decode_error err_;
};

std::string_view errc_name(decode_errc code) {
  switch (code) {
    case decode_errc::truncated: return "truncated";
    case decode_errc::unknown_type: return "unknown type";
    case decode_errc::bad_value: return "bad value";
    case decode_errc::trailing_bytes: return "trailing bytes";
    case decode_errc::oversized: return "oversized";
  }
  return "unknown error";
}

// ---- one function per message ----------------------------------------------------------
// Each starts after the type byte and ends with at_end(): a message is exactly its fields.

using result = decode_result<message>;

result read_begin(reader& r) {
  begin_msg m;
  if (!r.u64(m.final_lsn, "Begin final_lsn") || !r.i64(m.commit_time, "Begin commit_time") ||
      !r.u32(m.xid, "Begin xid") || !r.at_end())
    return r.error();
  return message{m};
}

result read_commit(reader& r) {
  commit_msg m;
  if (!r.u8(m.flags, "Commit flags") || !r.u64(m.commit_lsn, "Commit commit_lsn") ||
      !r.u64(m.end_lsn, "Commit end_lsn") || !r.i64(m.commit_time, "Commit commit_time") || !r.at_end())
    return r.error();
  return message{m};
}

result read_origin(reader& r) {
  origin_msg m;
  if (!r.u64(m.origin_lsn, "Origin origin_lsn") || !r.string(m.name, "Origin name") || !r.at_end())
    return r.error();
  return message{m};
}

bool read_xid(reader& r, bool in_stream, std::optional<std::uint32_t>& xid) {
  if (!in_stream) return true;
  std::uint32_t v = 0;
  if (!r.u32(v, "streamed xid")) return false;
  xid = v;
  return true;
}

result read_relation(reader& r, bool in_stream, std::vector<relation_column>& columns) {
  relation_msg m;
  if (!read_xid(r, in_stream, m.xid) || !r.u32(m.relid, "Relation relid") ||
      !r.string(m.nspname, "Relation namespace") || !r.string(m.relname, "Relation name"))
    return r.error();
  std::size_t ident_at = r.offset();
  if (!r.byte(m.replica_identity, "Relation replica identity")) return r.error();
  if (m.replica_identity != 'd' && m.replica_identity != 'n' && m.replica_identity != 'f' &&
      m.replica_identity != 'i') {
    r.fail(decode_errc::bad_value, ident_at, "Relation replica identity is not d, n, f or i");
    return r.error();
  }
  std::size_t count_at = r.offset();
  std::uint16_t ncols = 0;
  if (!r.u16(ncols, "Relation column count")) return r.error();
  if (ncols * min_relation_column_bytes > r.remaining()) {
    r.fail(decode_errc::oversized, count_at, "Relation column count exceeds the remaining bytes");
    return r.error();
  }
  columns.resize(ncols);
  for (auto& c : columns) {
    if (!r.u8(c.flags, "Relation column flags") || !r.string(c.name, "Relation column name") ||
        !r.u32(c.type_oid, "Relation column type oid") || !r.i32(c.typmod, "Relation column typmod"))
      return r.error();
  }
  if (!r.at_end()) return r.error();
  m.columns = columns;
  return message{m};
}

result read_type(reader& r, bool in_stream) {
  type_msg m;
  if (!read_xid(r, in_stream, m.xid) || !r.u32(m.oid, "Type oid") || !r.string(m.nspname, "Type namespace") ||
      !r.string(m.name, "Type name") || !r.at_end())
    return r.error();
  return message{m};
}

result read_insert(reader& r, bool in_stream, std::vector<column_value>& values) {
  insert_msg m;
  if (!read_xid(r, in_stream, m.xid) || !r.u32(m.relid, "Insert relid")) return r.error();
  std::size_t tag_at = r.offset();
  char tag = 0;
  if (!r.byte(tag, "Insert tuple tag")) return r.error();
  if (tag != 'N') {
    r.fail(decode_errc::bad_value, tag_at, "Insert tuple tag is not N");
    return r.error();
  }
  std::size_t used = 0;
  if (!r.tuple_data(values, used) || !r.at_end()) return r.error();
  m.new_tuple = tuple(values.data(), used);
  return message{m};
}

result read_update(reader& r, bool in_stream, std::vector<column_value>& values) {
  update_msg m;
  if (!read_xid(r, in_stream, m.xid) || !r.u32(m.relid, "Update relid")) return r.error();
  std::size_t tag_at = r.offset();
  char tag = 0;
  if (!r.byte(tag, "Update tuple tag")) return r.error();
  std::size_t used = 0;
  if (tag == 'K' || tag == 'O') {
    m.old_kind = tag;
    if (!r.tuple_data(values, used)) return r.error();
    tag_at = r.offset();
    if (!r.byte(tag, "Update new tuple tag")) return r.error();
  }
  if (tag != 'N') {
    r.fail(decode_errc::bad_value, tag_at,
           m.old_kind == 0 ? "Update tuple tag is not K, O or N" : "Update new tuple tag is not N");
    return r.error();
  }
  std::size_t old_count = used;
  if (!r.tuple_data(values, used) || !r.at_end()) return r.error();
  // Spans are taken only now: reading the new tuple may have grown (moved) `values`.
  m.old_tuple = tuple(values.data(), old_count);
  m.new_tuple = tuple(values.data() + old_count, used - old_count);
  return message{m};
}

result read_delete(reader& r, bool in_stream, std::vector<column_value>& values) {
  delete_msg m;
  if (!read_xid(r, in_stream, m.xid) || !r.u32(m.relid, "Delete relid")) return r.error();
  std::size_t tag_at = r.offset();
  if (!r.byte(m.old_kind, "Delete tuple tag")) return r.error();
  if (m.old_kind != 'K' && m.old_kind != 'O') {
    r.fail(decode_errc::bad_value, tag_at, "Delete tuple tag is not K or O");
    return r.error();
  }
  std::size_t used = 0;
  if (!r.tuple_data(values, used) || !r.at_end()) return r.error();
  m.old_tuple = tuple(values.data(), used);
  return message{m};
}

result read_truncate(reader& r, bool in_stream, std::vector<std::uint32_t>& relids) {
  truncate_msg m;
  if (!read_xid(r, in_stream, m.xid)) return r.error();
  std::size_t count_at = r.offset();
  std::uint32_t nrels = 0;
  if (!r.u32(nrels, "Truncate relation count") || !r.u8(m.flags, "Truncate flags")) return r.error();
  if (static_cast<std::uint64_t>(nrels) * 4 > r.remaining()) {
    r.fail(decode_errc::oversized, count_at, "Truncate relation count exceeds the remaining bytes");
    return r.error();
  }
  relids.resize(nrels);
  for (auto& relid : relids)
    if (!r.u32(relid, "Truncate relid")) return r.error();
  if (!r.at_end()) return r.error();
  m.relids = relids;
  return message{m};
}

result read_logical_message(reader& r, bool in_stream) {
  logical_message_msg m;
  if (!read_xid(r, in_stream, m.xid) || !r.u8(m.flags, "Message flags") || !r.u64(m.lsn, "Message lsn") ||
      !r.string(m.prefix, "Message prefix") || !r.counted_bytes(m.content, "Message content length") ||
      !r.at_end())
    return r.error();
  return message{m};
}

result read_stream_start(reader& r) {
  stream_start_msg m;
  if (!r.u32(m.xid, "Stream Start xid") || !r.u8(m.first_segment, "Stream Start first_segment") || !r.at_end())
    return r.error();
  return message{m};
}

result read_stream_commit(reader& r) {
  stream_commit_msg m;
  if (!r.u32(m.xid, "Stream Commit xid") || !r.u8(m.flags, "Stream Commit flags") ||
      !r.u64(m.commit_lsn, "Stream Commit commit_lsn") || !r.u64(m.end_lsn, "Stream Commit end_lsn") ||
      !r.i64(m.commit_time, "Stream Commit commit_time") || !r.at_end())
    return r.error();
  return message{m};
}

// Stream Abort carries abort_lsn/abort_time only with streaming 'parallel' (protocol 4);
// the message does not say which, so the remaining length decides.
result read_stream_abort(reader& r) {
  stream_abort_msg m;
  if (!r.u32(m.xid, "Stream Abort xid") || !r.u32(m.subxid, "Stream Abort subxid")) return r.error();
  if (r.remaining() > 0) {
    lsn_t abort_lsn = 0;
    pg_time_t abort_time = 0;
    if (!r.u64(abort_lsn, "Stream Abort abort_lsn") || !r.i64(abort_time, "Stream Abort abort_time") ||
        !r.at_end())
      return r.error();
    m.abort_lsn = abort_lsn;
    m.abort_time = abort_time;
  }
  return message{m};
}

result read_two_phase(reader& r, char type) {
  two_phase_msg m;
  m.type = type;
  bool ok = true;
  if (type == 'b') {
    ok = r.u64(m.lsn_a, "Begin Prepare prepare_lsn") && r.u64(m.lsn_b, "Begin Prepare end_lsn") &&
         r.i64(m.time_a, "Begin Prepare prepare_time");
  } else if (type == 'r') {
    ok = r.u8(m.flags, "Rollback Prepared flags") && r.u64(m.lsn_a, "Rollback Prepared prepare_end_lsn") &&
         r.u64(m.lsn_b, "Rollback Prepared rollback_end_lsn") &&
         r.i64(m.time_a, "Rollback Prepared prepare_time") && r.i64(m.time_b, "Rollback Prepared rollback_time");
  } else {  // 'P', 'p', 'K'
    ok = r.u8(m.flags, "two-phase flags") && r.u64(m.lsn_a, "two-phase lsn") &&
         r.u64(m.lsn_b, "two-phase end_lsn") && r.i64(m.time_a, "two-phase time");
  }
  if (!ok || !r.u32(m.xid, "two-phase xid") || !r.string(m.gid, "two-phase gid") || !r.at_end())
    return r.error();
  return message{m};
}

}  // namespace

std::string to_string(const decode_error& err) {
  std::string out = "pgoutput ";
  auto type = static_cast<unsigned char>(err.message_type);
  if (type >= 0x21 && type <= 0x7e) {
    out += '\'';
    out += static_cast<char>(type);
    out += "' ";
  } else if (type != 0) {
    static constexpr char hex[] = "0123456789abcdef";
    out += "0x";
    out += hex[type >> 4];
    out += hex[type & 15];
    out += ' ';
  }
  out += "at byte ";
  out += std::to_string(err.offset);
  out += ": ";
  out += errc_name(err.code);
  if (!err.detail.empty()) {
    out += ": ";
    out += err.detail;
  }
  return out;
}

decode_result<envelope> decode_envelope(std::string_view copy_data) {
  if (copy_data.empty()) return decode_error{decode_errc::truncated, 0, 0, "empty CopyData"};
  char type = copy_data[0];
  reader r(copy_data.substr(1), type);
  // Offsets count from the start of copy_data, type byte included.
  auto shifted = [](decode_error e) {
    e.offset += 1;
    return e;
  };
  switch (type) {
    case 'w': {
      xlog_data x;
      if (!r.u64(x.data_start, "XLogData dataStart") || !r.u64(x.wal_end, "XLogData walEnd") ||
          !r.i64(x.send_time, "XLogData sendTime"))
        return shifted(r.error());
      x.payload = copy_data.substr(1 + r.offset());
      return envelope{x};
    }
    case 'k': {
      keepalive k;
      std::uint8_t reply = 0;
      if (!r.u64(k.wal_end, "keepalive walEnd") || !r.i64(k.send_time, "keepalive sendTime") ||
          !r.u8(reply, "keepalive replyRequested") || !r.at_end())
        return shifted(r.error());
      k.reply_requested = reply != 0;
      return envelope{k};
    }
    case 'r': {
      status_update s;
      std::uint8_t reply = 0;
      if (!r.u64(s.write, "status write") || !r.u64(s.flush, "status flush") || !r.u64(s.apply, "status apply") ||
          !r.i64(s.client_time, "status clientTime") || !r.u8(reply, "status replyRequested") || !r.at_end())
        return shifted(r.error());
      s.reply_requested = reply != 0;
      return envelope{s};
    }
    default:
      return decode_error{decode_errc::unknown_type, 0, type, "CopyData type is not w, k or r"};
  }
}

decode_result<message> decoder::decode(std::string_view payload) {
  if (payload.empty()) return decode_error{decode_errc::truncated, 0, 0, "empty pgoutput message"};
  char type = payload[0];
  reader r(payload, type);
  std::uint8_t skip = 0;
  r.u8(skip, "");  // the type byte: offsets stay relative to the whole message
  switch (type) {
    case 'I': return read_insert(r, in_stream_, values_);
    case 'U': return read_update(r, in_stream_, values_);
    case 'D': return read_delete(r, in_stream_, values_);
    case 'B': return read_begin(r);
    case 'C': return read_commit(r);
    case 'R': return read_relation(r, in_stream_, columns_);
    case 'Y': return read_type(r, in_stream_);
    case 'T': return read_truncate(r, in_stream_, relids_);
    case 'M': return read_logical_message(r, in_stream_);
    case 'O': return read_origin(r);
    case 'S': {
      if (in_stream_) return decode_error{decode_errc::bad_value, 0, type, "Stream Start inside a stream block"};
      auto res = read_stream_start(r);
      if (res.index() == 0) in_stream_ = true;
      return res;
    }
    case 'E':
      if (!in_stream_) return decode_error{decode_errc::bad_value, 0, type, "Stream Stop outside a stream block"};
      if (!r.at_end()) return r.error();
      in_stream_ = false;
      return message{stream_stop_msg{}};
    case 'c': return read_stream_commit(r);
    case 'A': return read_stream_abort(r);
    case 'b':
    case 'P':
    case 'K':
    case 'r':
    case 'p':
      return read_two_phase(r, type);
    default:
      return decode_error{decode_errc::unknown_type, 0, type, "unknown pgoutput message type"};
  }
}

}  // namespace pg2sr::codecs::pgoutput
