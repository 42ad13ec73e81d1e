// pgoutput encoder: golden bytes, and encode -> decode gives back every field of every
// message type, tuple kind and envelope (with the xid inside Stream Start/Stop blocks).
#include "codecs/pgoutput/pgoutput.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace pg2sr::codecs::pgoutput;

namespace {

std::string to_hex(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

template <class T>
std::string opt(const std::optional<T>& v) {
  return v ? std::to_string(*v) : std::string("none");
}

// ---- field-by-field comparison -------------------------------------------------------

void check_tuple(tuple expected, tuple got) {
  BOOST_TEST_REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST_CONTEXT("column " << i) {
      BOOST_TEST(static_cast<char>(got[i].kind) == static_cast<char>(expected[i].kind));
      BOOST_TEST(got[i].data == expected[i].data);
    }
  }
}

void check(const begin_msg& e, const begin_msg& g) {
  BOOST_TEST(g.final_lsn == e.final_lsn);
  BOOST_TEST(g.commit_time == e.commit_time);
  BOOST_TEST(g.xid == e.xid);
}
void check(const commit_msg& e, const commit_msg& g) {
  BOOST_TEST(g.flags == e.flags);
  BOOST_TEST(g.commit_lsn == e.commit_lsn);
  BOOST_TEST(g.end_lsn == e.end_lsn);
  BOOST_TEST(g.commit_time == e.commit_time);
}
void check(const origin_msg& e, const origin_msg& g) {
  BOOST_TEST(g.origin_lsn == e.origin_lsn);
  BOOST_TEST(g.name == e.name);
}
void check(const relation_msg& e, const relation_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.relid == e.relid);
  BOOST_TEST(g.nspname == e.nspname);
  BOOST_TEST(g.relname == e.relname);
  BOOST_TEST(g.replica_identity == e.replica_identity);
  BOOST_TEST_REQUIRE(g.columns.size() == e.columns.size());
  for (std::size_t i = 0; i < e.columns.size(); ++i) {
    BOOST_TEST(g.columns[i].flags == e.columns[i].flags);
    BOOST_TEST(g.columns[i].name == e.columns[i].name);
    BOOST_TEST(g.columns[i].type_oid == e.columns[i].type_oid);
    BOOST_TEST(g.columns[i].typmod == e.columns[i].typmod);
  }
}
void check(const type_msg& e, const type_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.oid == e.oid);
  BOOST_TEST(g.nspname == e.nspname);
  BOOST_TEST(g.name == e.name);
}
void check(const insert_msg& e, const insert_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.relid == e.relid);
  check_tuple(e.new_tuple, g.new_tuple);
}
void check(const update_msg& e, const update_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.relid == e.relid);
  BOOST_TEST(g.old_kind == e.old_kind);
  if (e.old_kind != 0) check_tuple(e.old_tuple, g.old_tuple);
  check_tuple(e.new_tuple, g.new_tuple);
}
void check(const delete_msg& e, const delete_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.relid == e.relid);
  BOOST_TEST(g.old_kind == e.old_kind);
  check_tuple(e.old_tuple, g.old_tuple);
}
void check(const truncate_msg& e, const truncate_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.flags == e.flags);
  BOOST_TEST(std::vector<std::uint32_t>(g.relids.begin(), g.relids.end()) ==
             std::vector<std::uint32_t>(e.relids.begin(), e.relids.end()));
}
void check(const logical_message_msg& e, const logical_message_msg& g) {
  BOOST_TEST(opt(g.xid) == opt(e.xid));
  BOOST_TEST(g.flags == e.flags);
  BOOST_TEST(g.transactional() == e.transactional());
  BOOST_TEST(g.lsn == e.lsn);
  BOOST_TEST(g.prefix == e.prefix);
  BOOST_TEST(g.content == e.content);
}
void check(const stream_start_msg& e, const stream_start_msg& g) {
  BOOST_TEST(g.xid == e.xid);
  BOOST_TEST(g.first_segment == e.first_segment);
}
void check(const stream_stop_msg&, const stream_stop_msg&) {}
void check(const stream_commit_msg& e, const stream_commit_msg& g) {
  BOOST_TEST(g.xid == e.xid);
  BOOST_TEST(g.flags == e.flags);
  BOOST_TEST(g.commit_lsn == e.commit_lsn);
  BOOST_TEST(g.end_lsn == e.end_lsn);
  BOOST_TEST(g.commit_time == e.commit_time);
}
void check(const stream_abort_msg& e, const stream_abort_msg& g) {
  BOOST_TEST(g.xid == e.xid);
  BOOST_TEST(g.subxid == e.subxid);
  BOOST_TEST(opt(g.abort_lsn) == opt(e.abort_lsn));
  BOOST_TEST(opt(g.abort_time) == opt(e.abort_time));
}
void check(const two_phase_msg& e, const two_phase_msg& g) {
  BOOST_TEST(g.type == e.type);
  BOOST_TEST(g.flags == e.flags);
  BOOST_TEST(g.lsn_a == e.lsn_a);
  BOOST_TEST(g.lsn_b == e.lsn_b);
  BOOST_TEST(g.time_a == e.time_a);
  BOOST_TEST(g.time_b == e.time_b);
  BOOST_TEST(g.xid == e.xid);
  BOOST_TEST(g.gid == e.gid);
}

/// Encodes `msg`, decodes it with `dec` (whose stream state decides about xids), checks
/// every field, and checks that re-encoding the decoded message gives the same bytes.
template <class T>
void roundtrip(decoder& dec, const T& msg) {
  std::string bytes;
  encode(message{msg}, bytes);
  const decode_result<message> r = dec.decode(bytes);
  if (const auto* err = std::get_if<decode_error>(&r)) BOOST_FAIL("decode failed: " << to_string(*err));
  const message& got = std::get<message>(r);
  BOOST_TEST_REQUIRE(got.index() == message{msg}.index());
  check(msg, std::get<T>(got));
  std::string again;
  encode(got, again);
  BOOST_TEST(to_hex(again) == to_hex(bytes));
}

template <class T>
void roundtrip(const T& msg) {
  decoder dec;
  roundtrip(dec, msg);
}

// Every tuple kind, with edge cases: empty text, binary with NUL and high bytes.
const std::array<column_value, 6> every_kind = {
    column_value{value_kind::text, "42"},
    column_value{value_kind::null, {}},
    column_value{value_kind::unchanged_toast, {}},
    column_value{value_kind::binary, std::string_view("\x00\x01\xff\x80", 4)},
    column_value{value_kind::text, ""},
    column_value{value_kind::binary, ""},
};
const std::array<column_value, 3> key_tuple = {
    column_value{value_kind::text, "7"}, column_value{value_kind::null, {}}, column_value{value_kind::null, {}}};
const std::array<column_value, 3> old_row = {
    column_value{value_kind::text, "7"}, column_value{value_kind::text, "old text"},
    column_value{value_kind::binary, std::string_view("\x00\x00\x00\x05", 4)}};
const std::array<column_value, 3> new_row = {
    column_value{value_kind::text, "8"}, column_value{value_kind::unchanged_toast, {}},
    column_value{value_kind::binary, std::string_view("\x00\x00\x00\x06", 4)}};

const std::array<relation_column, 3> columns = {
    relation_column{1, "id", 20, -1}, relation_column{0, "body", 25, -1},
    relation_column{0, "amount", 1700, (12 << 16 | 2) + 4}};

}  // namespace

BOOST_AUTO_TEST_SUITE(pgoutput_roundtrip)

BOOST_AUTO_TEST_CASE(encode_golden_insert_from_protocols_doc) {
  const std::array<column_value, 2> values = {column_value{value_kind::text, "1"},
                                              column_value{value_kind::text, "ab"}};
  std::string out;
  encode(message{insert_msg{std::nullopt, 16384, values}}, out);
  BOOST_TEST(to_hex(out) == "49000040004E00027400000001317400000002" "6162");
}

BOOST_AUTO_TEST_CASE(encode_appends_to_existing_bytes) {
  std::string out = "xyz";
  encode(message{stream_stop_msg{}}, out);
  encode(message{begin_msg{0x0102030405060708ULL, -2, 0xA0B0C0D0u}}, out);
  BOOST_TEST(to_hex(out) == "78797A" "45" "42" "0102030405060708" "FFFFFFFFFFFFFFFE" "A0B0C0D0");
}

BOOST_AUTO_TEST_CASE(roundtrip_begin_commit_origin) {
  roundtrip(begin_msg{0x16B3748ULL, 757382400123456LL, 750});
  roundtrip(commit_msg{0, 0x16B3748ULL, 0x16B3790ULL, 757382400123456LL});
  roundtrip(origin_msg{0xFFFFFFFF00000001ULL, "node_a"});
  roundtrip(origin_msg{0, ""});
}

BOOST_AUTO_TEST_CASE(roundtrip_relation_and_type) {
  roundtrip(relation_msg{std::nullopt, 16384, "public", "accounts", 'd', columns});
  roundtrip(relation_msg{std::nullopt, 16385, "", "pg_side", 'f', {}});  // "" = pg_catalog
  roundtrip(relation_msg{std::nullopt, 16386, "s", "t", 'i', columns});
  roundtrip(relation_msg{std::nullopt, 16387, "s", "t", 'n', columns});
  roundtrip(type_msg{std::nullopt, 16400, "public", "mood"});
}

BOOST_AUTO_TEST_CASE(roundtrip_insert_with_every_tuple_kind) {
  roundtrip(insert_msg{std::nullopt, 16384, every_kind});
  roundtrip(insert_msg{std::nullopt, 1, {}});  // zero columns
}

BOOST_AUTO_TEST_CASE(roundtrip_update_without_and_with_old_tuple) {
  roundtrip(update_msg{std::nullopt, 16384, 0, {}, new_row});
  roundtrip(update_msg{std::nullopt, 16384, 'K', key_tuple, new_row});
  roundtrip(update_msg{std::nullopt, 16384, 'O', old_row, new_row});
  roundtrip(update_msg{std::nullopt, 16384, 'O', every_kind, every_kind});
}

BOOST_AUTO_TEST_CASE(roundtrip_delete_key_and_full) {
  roundtrip(delete_msg{std::nullopt, 16384, 'K', key_tuple});
  roundtrip(delete_msg{std::nullopt, 16384, 'O', old_row});
}

BOOST_AUTO_TEST_CASE(roundtrip_truncate) {
  const std::array<std::uint32_t, 3> relids = {16384, 16385, 0xFFFFFFFFu};
  roundtrip(truncate_msg{std::nullopt, 0, std::span<const std::uint32_t>(relids.data(), 1)});
  roundtrip(truncate_msg{std::nullopt, 1, relids});
  roundtrip(truncate_msg{std::nullopt, 3, relids});
}

BOOST_AUTO_TEST_CASE(roundtrip_logical_messages) {
  roundtrip(logical_message_msg{std::nullopt, 0, 0x16B3748ULL, "pg2sr", "L:orders:17"});
  roundtrip(logical_message_msg{std::nullopt, 1, 0x16B3750ULL, "p", std::string_view("\x00\x01\xff", 3)});
  roundtrip(logical_message_msg{std::nullopt, 1, 1, "", ""});
}

BOOST_AUTO_TEST_CASE(roundtrip_stream_commit_and_abort) {
  roundtrip(stream_commit_msg{751, 0, 0x2000000ULL, 0x2000030ULL, 757382400999999LL});
  roundtrip(stream_abort_msg{751, 751, std::nullopt, std::nullopt});
  roundtrip(stream_abort_msg{751, 760, std::nullopt, std::nullopt});
  roundtrip(stream_abort_msg{751, 760, 0x2000100ULL, 757382401000000LL});
}

BOOST_AUTO_TEST_CASE(roundtrip_two_phase_messages) {
  roundtrip(two_phase_msg{'b', 0, 0x3000000ULL, 0x3000040ULL, 757382400000001LL, 0, 800, "gid-b"});
  roundtrip(two_phase_msg{'P', 0, 0x3000000ULL, 0x3000040ULL, 757382400000002LL, 0, 800, "gid-P"});
  roundtrip(two_phase_msg{'K', 0, 0x3000100ULL, 0x3000140ULL, 757382400000003LL, 0, 800, "gid-K"});
  roundtrip(two_phase_msg{'r', 0, 0x3000040ULL, 0x3000200ULL, 757382400000004LL, 757382400000005LL, 800, "gid-r"});
  roundtrip(two_phase_msg{'p', 0, 0x3000000ULL, 0x3000040ULL, 757382400000006LL, 0, 801, ""});
}

BOOST_AUTO_TEST_CASE(roundtrip_messages_with_xid_inside_stream_blocks) {
  decoder dec;
  const std::array<std::uint32_t, 2> relids = {16384, 16385};
  roundtrip(dec, stream_start_msg{900, 1});
  BOOST_TEST(dec.in_stream_block());
  roundtrip(dec, type_msg{900, 16400, "public", "mood"});
  roundtrip(dec, relation_msg{900, 16384, "public", "accounts", 'f', columns});
  roundtrip(dec, insert_msg{900, 16384, every_kind});
  roundtrip(dec, update_msg{900, 16384, 0, {}, new_row});
  roundtrip(dec, update_msg{900, 16384, 'K', key_tuple, new_row});
  roundtrip(dec, update_msg{900, 16384, 'O', old_row, new_row});
  roundtrip(dec, delete_msg{900, 16384, 'K', key_tuple});
  roundtrip(dec, delete_msg{900, 16384, 'O', old_row});
  roundtrip(dec, truncate_msg{900, 2, relids});
  roundtrip(dec, logical_message_msg{900, 1, 0x2000010ULL, "pg2sr", "in stream"});
  roundtrip(dec, stream_stop_msg{});
  BOOST_TEST(!dec.in_stream_block());
  // a second segment of the same transaction, then the next message is outside again
  roundtrip(dec, stream_start_msg{900, 0});
  roundtrip(dec, insert_msg{0xFFFFFFFEu, 16384, new_row});
  roundtrip(dec, stream_stop_msg{});
  roundtrip(dec, stream_commit_msg{900, 0, 0x2000100ULL, 0x2000130ULL, 757382400000000LL});
  roundtrip(dec, insert_msg{std::nullopt, 16384, new_row});
}

BOOST_AUTO_TEST_CASE(roundtrip_envelopes) {
  const std::string payload = [] {
    std::string p;
    encode(message{insert_msg{std::nullopt, 16384, old_row}}, p);
    return p;
  }();
  const envelope samples[] = {
      xlog_data{0x16B3748ULL, 0x16B3749ULL, 757382400123456LL, payload},
      xlog_data{0, 0, -1, ""},
      keepalive{0x16B3790ULL, 757382400123456LL, false},
      keepalive{0xFFFFFFFFFFFFFFFFULL, 0, true},
      status_update{1, 2, 3, 757382400123456LL, false},
      status_update{0x16B3790ULL, 0x16B3790ULL, 0, 4, true},
  };
  for (const envelope& env : samples) {
    std::string bytes;
    encode(env, bytes);
    const decode_result<envelope> r = decode_envelope(bytes);
    if (const auto* err = std::get_if<decode_error>(&r)) BOOST_FAIL("decode failed: " << to_string(*err));
    const envelope& got = std::get<envelope>(r);
    BOOST_TEST_REQUIRE(got.index() == env.index());
    if (const auto* e = std::get_if<xlog_data>(&env)) {
      const auto& g = std::get<xlog_data>(got);
      BOOST_TEST(g.data_start == e->data_start);
      BOOST_TEST(g.wal_end == e->wal_end);
      BOOST_TEST(g.send_time == e->send_time);
      BOOST_TEST(to_hex(g.payload) == to_hex(e->payload));
    } else if (const auto* k = std::get_if<keepalive>(&env)) {
      const auto& g = std::get<keepalive>(got);
      BOOST_TEST(g.wal_end == k->wal_end);
      BOOST_TEST(g.send_time == k->send_time);
      BOOST_TEST(g.reply_requested == k->reply_requested);
    } else {
      const auto& s = std::get<status_update>(env);
      const auto& g = std::get<status_update>(got);
      BOOST_TEST(g.write == s.write);
      BOOST_TEST(g.flush == s.flush);
      BOOST_TEST(g.apply == s.apply);
      BOOST_TEST(g.client_time == s.client_time);
      BOOST_TEST(g.reply_requested == s.reply_requested);
    }
  }
}

BOOST_AUTO_TEST_CASE(encode_envelope_layouts) {
  std::string w, k, r;
  encode(envelope{xlog_data{1, 2, 3, "P"}}, w);
  encode(envelope{keepalive{0x10, 0x20, true}}, k);
  encode(envelope{status_update{1, 2, 3, 4, false}}, r);
  BOOST_TEST(to_hex(w) == "77" "0000000000000001" "0000000000000002" "0000000000000003" "50");
  BOOST_TEST(to_hex(k) == "6B" "0000000000000010" "0000000000000020" "01");
  BOOST_TEST(to_hex(r) == "72" "0000000000000001" "0000000000000002" "0000000000000003" "0000000000000004" "00");
}

BOOST_AUTO_TEST_SUITE_END()
