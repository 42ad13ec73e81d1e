// pgoutput encoder: writes the bytes a PostgreSQL walsender writes (proto.c, walsender.c).
//
// Used by the synthetic WAL generator and by the round-trip tests. Each call computes the
// exact size of the message first, grows `out` once and then stores the fields through a
// raw pointer, so encoding costs one size check and no allocation per field.
#include "codecs/pgoutput/pgoutput.hpp"

#include "codecs/pgoutput/big_endian.hpp"

#include <cassert>
#include <type_traits>

namespace pg2sr::codecs::pgoutput {

namespace {

/// TupleData: the column count, then per column its kind and, for a value, the length and
/// the bytes.
void tuple_data(be_writer& w, tuple t) {
  assert(t.size() <= 0xFFFF);
  w.u16(static_cast<std::uint16_t>(t.size()));
  for (const column_value& v : t) {
    w.ch(static_cast<char>(v.kind));
    if (v.kind == value_kind::text || v.kind == value_kind::binary) {
      w.u32(static_cast<std::uint32_t>(v.data.size()));
      w.bytes(v.data);
    }
  }
}

constexpr std::size_t cstring_size(std::string_view s) { return s.size() + 1; }

std::size_t tuple_size(tuple t) {
  std::size_t n = 2 + t.size();
  for (const column_value& v : t) {
    if (v.kind == value_kind::text || v.kind == value_kind::binary) n += 4 + v.data.size();
  }
  return n;
}

std::size_t xid_size(const std::optional<std::uint32_t>& xid) { return xid ? 4 : 0; }

// ---- per message: exact size, then the fields in wire order --------------------------

std::size_t size_of(const begin_msg&) { return 1 + 8 + 8 + 4; }
void write(be_writer& w, const begin_msg& m) {
  w.ch('B');
  w.u64(m.final_lsn);
  w.i64(m.commit_time);
  w.u32(m.xid);
}

std::size_t size_of(const commit_msg&) { return 1 + 1 + 8 + 8 + 8; }
void write(be_writer& w, const commit_msg& m) {
  w.ch('C');
  w.u8(m.flags);
  w.u64(m.commit_lsn);
  w.u64(m.end_lsn);
  w.i64(m.commit_time);
}

std::size_t size_of(const origin_msg& m) { return 1 + 8 + cstring_size(m.name); }
void write(be_writer& w, const origin_msg& m) {
  w.ch('O');
  w.u64(m.origin_lsn);
  w.cstring(m.name);
}

std::size_t size_of(const relation_msg& m) {
  std::size_t n = 1 + xid_size(m.xid) + 4 + cstring_size(m.nspname) + cstring_size(m.relname) + 1 + 2;
  for (const relation_column& c : m.columns) n += 1 + cstring_size(c.name) + 4 + 4;
  return n;
}
void write(be_writer& w, const relation_msg& m) {
  w.ch('R');
  if (m.xid) w.u32(*m.xid);
  w.u32(m.relid);
  w.cstring(m.nspname);
  w.cstring(m.relname);
  w.ch(m.replica_identity);
  assert(m.columns.size() <= 0xFFFF);
  w.u16(static_cast<std::uint16_t>(m.columns.size()));
  for (const relation_column& c : m.columns) {
    w.u8(c.flags);
    w.cstring(c.name);
    w.u32(c.type_oid);
    w.i32(c.typmod);
  }
}

std::size_t size_of(const type_msg& m) {
  return 1 + xid_size(m.xid) + 4 + cstring_size(m.nspname) + cstring_size(m.name);
}
void write(be_writer& w, const type_msg& m) {
  w.ch('Y');
  if (m.xid) w.u32(*m.xid);
  w.u32(m.oid);
  w.cstring(m.nspname);
  w.cstring(m.name);
}

std::size_t size_of(const insert_msg& m) { return 1 + xid_size(m.xid) + 4 + 1 + tuple_size(m.new_tuple); }
void write(be_writer& w, const insert_msg& m) {
  w.ch('I');
  if (m.xid) w.u32(*m.xid);
  w.u32(m.relid);
  w.ch('N');
  tuple_data(w, m.new_tuple);
}

std::size_t size_of(const update_msg& m) {
  std::size_t n = 1 + xid_size(m.xid) + 4 + 1 + tuple_size(m.new_tuple);
  if (m.old_kind != 0) n += 1 + tuple_size(m.old_tuple);
  return n;
}
void write(be_writer& w, const update_msg& m) {
  w.ch('U');
  if (m.xid) w.u32(*m.xid);
  w.u32(m.relid);
  if (m.old_kind != 0) {
    assert(m.old_kind == 'K' || m.old_kind == 'O');
    w.ch(m.old_kind);
    tuple_data(w, m.old_tuple);
  }
  w.ch('N');
  tuple_data(w, m.new_tuple);
}

std::size_t size_of(const delete_msg& m) { return 1 + xid_size(m.xid) + 4 + 1 + tuple_size(m.old_tuple); }
void write(be_writer& w, const delete_msg& m) {
  assert(m.old_kind == 'K' || m.old_kind == 'O');
  w.ch('D');
  if (m.xid) w.u32(*m.xid);
  w.u32(m.relid);
  w.ch(m.old_kind);
  tuple_data(w, m.old_tuple);
}

std::size_t size_of(const truncate_msg& m) { return 1 + xid_size(m.xid) + 4 + 1 + 4 * m.relids.size(); }
void write(be_writer& w, const truncate_msg& m) {
  w.ch('T');
  if (m.xid) w.u32(*m.xid);
  w.u32(static_cast<std::uint32_t>(m.relids.size()));
  w.u8(m.flags);
  for (std::uint32_t relid : m.relids) w.u32(relid);
}

std::size_t size_of(const logical_message_msg& m) {
  return 1 + xid_size(m.xid) + 1 + 8 + cstring_size(m.prefix) + 4 + m.content.size();
}
void write(be_writer& w, const logical_message_msg& m) {
  w.ch('M');
  if (m.xid) w.u32(*m.xid);
  w.u8(m.flags);
  w.u64(m.lsn);
  w.cstring(m.prefix);
  w.u32(static_cast<std::uint32_t>(m.content.size()));
  w.bytes(m.content);
}

std::size_t size_of(const stream_start_msg&) { return 1 + 4 + 1; }
void write(be_writer& w, const stream_start_msg& m) {
  w.ch('S');
  w.u32(m.xid);
  w.u8(m.first_segment);
}

std::size_t size_of(const stream_stop_msg&) { return 1; }
void write(be_writer& w, const stream_stop_msg&) { w.ch('E'); }

std::size_t size_of(const stream_commit_msg&) { return 1 + 4 + 1 + 8 + 8 + 8; }
void write(be_writer& w, const stream_commit_msg& m) {
  w.ch('c');
  w.u32(m.xid);
  w.u8(m.flags);
  w.u64(m.commit_lsn);
  w.u64(m.end_lsn);
  w.i64(m.commit_time);
}

std::size_t size_of(const stream_abort_msg& m) {
  return 1 + 4 + 4 + (m.abort_lsn ? 8 : 0) + (m.abort_time ? 8 : 0);
}
void write(be_writer& w, const stream_abort_msg& m) {
  w.ch('A');
  w.u32(m.xid);
  w.u32(m.subxid);
  // PG16 writes both or neither (streaming 'parallel'); the model allows each alone.
  if (m.abort_lsn) w.u64(*m.abort_lsn);
  if (m.abort_time) w.i64(*m.abort_time);
}

// Two-phase layouts (proto.c): 'b' has no flags byte; 'r' has two timestamps.
std::size_t size_of(const two_phase_msg& m) {
  std::size_t n = 1 + 8 + 8 + 8 + 4 + cstring_size(m.gid);
  if (m.type != 'b') n += 1;
  if (m.type == 'r') n += 8;
  return n;
}
void write(be_writer& w, const two_phase_msg& m) {
  assert(m.type == 'b' || m.type == 'P' || m.type == 'K' || m.type == 'r' || m.type == 'p');
  w.ch(m.type);
  if (m.type != 'b') w.u8(m.flags);
  w.u64(m.lsn_a);
  w.u64(m.lsn_b);
  w.i64(m.time_a);
  if (m.type == 'r') w.i64(m.time_b);
  w.u32(m.xid);
  w.cstring(m.gid);
}

// ---- envelopes -------------------------------------------------------------------------

std::size_t size_of(const xlog_data& e) { return 1 + 8 + 8 + 8 + e.payload.size(); }
void write(be_writer& w, const xlog_data& e) {
  w.ch('w');
  w.u64(e.data_start);
  w.u64(e.wal_end);
  w.i64(e.send_time);
  w.bytes(e.payload);
}

std::size_t size_of(const keepalive&) { return 1 + 8 + 8 + 1; }
void write(be_writer& w, const keepalive& e) {
  w.ch('k');
  w.u64(e.wal_end);
  w.i64(e.send_time);
  w.u8(e.reply_requested ? 1 : 0);
}

std::size_t size_of(const status_update&) { return 1 + 8 + 8 + 8 + 8 + 1; }
void write(be_writer& w, const status_update& e) {
  w.ch('r');
  w.u64(e.write);
  w.u64(e.flush);
  w.u64(e.apply);
  w.i64(e.client_time);
  w.u8(e.reply_requested ? 1 : 0);
}

template <class T>
void append(const T& m, std::string& out) {
  const std::size_t n = size_of(m);
  const std::size_t old = out.size();
  out.resize(old + n);
  be_writer w{out.data() + old};
  write(w, m);
  assert(w.p == out.data() + old + n);
}

}  // namespace

void encode(const message& msg, std::string& out) {
  std::visit([&out](const auto& m) { append(m, out); }, msg);
}

void encode(const envelope& env, std::string& out) {
  std::visit([&out](const auto& e) { append(e, out); }, env);
}

}  // namespace pg2sr::codecs::pgoutput
