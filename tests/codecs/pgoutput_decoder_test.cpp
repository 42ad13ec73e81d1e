// pgoutput decoder: every message and envelope from hand-built bytes, every error kind with
// its offset, and truncation/garbage robustness (errors, never crashes or over-reads).
#include "codecs/pgoutput/pgoutput.hpp"
#include "tests/support/wire_bytes.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

using namespace pg2sr::codecs::pgoutput;

namespace {

using pg2sr::test::bytes;

std::string hex(std::string_view h) {
  std::string out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string digits;
  for (char c : h)
    if (c != ' ') digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out += static_cast<char>(nib(digits[i]) * 16 + nib(digits[i + 1]));
  return out;
}

template <class T>
const T& expect(const decode_result<message>& r) {
  if (const auto* err = std::get_if<decode_error>(&r)) BOOST_FAIL("unexpected error: " << to_string(*err));
  const auto& m = std::get<message>(r);
  BOOST_TEST_REQUIRE(std::holds_alternative<T>(m));
  return std::get<T>(m);
}

decode_error expect_error(const decode_result<message>& r) {
  BOOST_TEST_REQUIRE(std::holds_alternative<decode_error>(r));
  return std::get<decode_error>(r);
}

decode_error expect_error(const decode_result<envelope>& r) {
  BOOST_TEST_REQUIRE(std::holds_alternative<decode_error>(r));
  return std::get<decode_error>(r);
}

/// A decoder that keeps every input and result alive for the whole test case, so that the
/// views in earlier results stay valid (the decoder's own scratch is still reused).
struct harness {
  decoder d;
  std::deque<std::string> inputs;
  std::deque<decode_result<message>> results;
  const decode_result<message>& decode(std::string in) {
    inputs.push_back(std::move(in));
    results.push_back(d.decode(inputs.back()));
    return results.back();
  }
  bool in_stream_block() const { return d.in_stream_block(); }
  void reset() {
    d.reset();
    inputs.clear();
    results.clear();
  }
};

/// decode_envelope over a copy kept alive by `keep`.
decode_result<envelope> envelope_of(std::string in, std::deque<std::string>& keep) {
  keep.push_back(std::move(in));
  return decode_envelope(keep.back());
}

// A message and whether it must be decoded inside a Stream Start/Stop block.
struct sample {
  std::string name;
  std::string bytes;
  bool in_stream = false;
};

std::string relation_bytes(std::optional<std::uint32_t> xid) {
  bytes b;
  b.ch('R');
  if (xid) b.u32(*xid);
  b.u32(16384).str("public").str("t").ch('d').u16(2);
  b.u8(1).str("id").u32(23).u32(0xffffffff);
  b.u8(0).str("name").u32(1043).u32(36);
  return b;
}

/// One valid instance of every message (plain and streamed variants).
std::vector<sample> all_messages() {
  std::vector<sample> v;
  v.push_back({"Begin", bytes().ch('B').u64(0x16B374D848).u64(700000000000000).u32(742)});
  v.push_back({"Commit", bytes().ch('C').u8(0).u64(0x16B374D848).u64(0x16B374D878).u64(700000000000001)});
  v.push_back({"Origin", bytes().ch('O').u64(0x1234).str("node_a")});
  v.push_back({"Relation", relation_bytes(std::nullopt)});
  v.push_back({"Relation streamed", relation_bytes(901), true});
  v.push_back({"Type", bytes().ch('Y').u32(16390).str("public").str("mood")});
  v.push_back({"Type streamed", bytes().ch('Y').u32(901).u32(16390).str("").str("int4"), true});
  v.push_back({"Insert", bytes().ch('I').u32(16384).ch('N').u16(2).text("1").text("ab")});
  v.push_back({"Insert streamed", bytes().ch('I').u32(902).u32(16384).ch('N').u16(3).ch('n').ch('u').bin("\x01\x02"), true});
  v.push_back({"Update", bytes().ch('U').u32(16384).ch('N').u16(2).text("1").ch('u')});
  v.push_back({"Update K", bytes().ch('U').u32(16384).ch('K').u16(2).text("1").ch('n').ch('N').u16(2).text("2").text("x")});
  v.push_back({"Update O streamed", bytes().ch('U').u32(903).u32(16384).ch('O').u16(2).text("1").text("a").ch('N').u16(2).text("1").text("b"), true});
  v.push_back({"Delete K", bytes().ch('D').u32(16384).ch('K').u16(2).text("1").ch('n')});
  v.push_back({"Delete O streamed", bytes().ch('D').u32(903).u32(16384).ch('O').u16(2).bin(std::string("\0\0\0\1", 4)).text("a"), true});
  v.push_back({"Truncate", bytes().ch('T').u32(2).u8(3).u32(16384).u32(16390)});
  v.push_back({"Truncate streamed", bytes().ch('T').u32(904).u32(1).u8(0).u32(16384), true});
  v.push_back({"Message", bytes().ch('M').u8(1).u64(0x1000).str("pg2sr").u32(5).raw(std::string("L:1\0x", 5))});
  v.push_back({"Message streamed", bytes().ch('M').u32(905).u8(1).u64(0x1000).str("p").u32(0), true});
  v.push_back({"Stream Start", bytes().ch('S').u32(901).u8(1)});
  v.push_back({"Stream Stop", bytes().ch('E'), true});
  v.push_back({"Stream Commit", bytes().ch('c').u32(901).u8(0).u64(0x2000).u64(0x2030).u64(700000000000002)});
  v.push_back({"Stream Abort", bytes().ch('A').u32(901).u32(902)});
  v.push_back({"Stream Abort parallel", bytes().ch('A').u32(901).u32(901).u64(0x3000).u64(700000000000003)});
  v.push_back({"Begin Prepare", bytes().ch('b').u64(0x4000).u64(0x4030).u64(5).u32(77).str("gid1")});
  v.push_back({"Prepare", bytes().ch('P').u8(0).u64(0x4000).u64(0x4030).u64(5).u32(77).str("gid1")});
  v.push_back({"Commit Prepared", bytes().ch('K').u8(0).u64(0x5000).u64(0x5030).u64(6).u32(77).str("gid1")});
  v.push_back({"Rollback Prepared", bytes().ch('r').u8(0).u64(0x4030).u64(0x6030).u64(5).u64(7).u32(77).str("gid1")});
  v.push_back({"Stream Prepare", bytes().ch('p').u8(0).u64(0x4000).u64(0x4030).u64(5).u32(78).str("gid2")});
  return v;
}

/// Decodes `payload` with a decoder put into (or out of) a stream block first.
const decode_result<message>& decode_in(harness& d, const std::string& payload, bool in_stream) {
  d.reset();
  if (in_stream) {
    auto start = d.decode(std::string(bytes().ch('S').u32(901).u8(1)));
    BOOST_TEST_REQUIRE(std::holds_alternative<message>(start));
  }
  return d.decode(payload);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pgoutput_decoder)

BOOST_AUTO_TEST_CASE(decode_golden_insert_from_protocols_doc) {
  harness d;
  auto payload = hex("49 00004000 4E 0002 74 00000001 31 74 00000002 61 62");
  const auto& m = expect<insert_msg>(d.decode(payload));
  BOOST_TEST(m.relid == 16384u);
  BOOST_TEST(!m.xid.has_value());
  BOOST_TEST_REQUIRE(m.new_tuple.size() == 2u);
  BOOST_TEST((m.new_tuple[0].kind == value_kind::text));
  BOOST_TEST(m.new_tuple[0].data == "1");
  BOOST_TEST((m.new_tuple[1].kind == value_kind::text));
  BOOST_TEST(m.new_tuple[1].data == "ab");
  // Zero-copy: values point into the input.
  BOOST_TEST(m.new_tuple[1].data.data() == payload.data() + payload.size() - 2);
}

BOOST_AUTO_TEST_CASE(decode_begin_and_commit) {
  harness d;
  const auto& b = expect<begin_msg>(d.decode(bytes().ch('B').u64(0x16B374D848).u64(700000000000000).u32(742)));
  BOOST_TEST(b.final_lsn == 0x16B374D848u);
  BOOST_TEST(b.commit_time == 700000000000000);
  BOOST_TEST(b.xid == 742u);
  const auto& c = expect<commit_msg>(d.decode(bytes().ch('C').u8(0).u64(0x10).u64(0x20).u64(-5)));
  BOOST_TEST(c.flags == 0);
  BOOST_TEST(c.commit_lsn == 0x10u);
  BOOST_TEST(c.end_lsn == 0x20u);
  BOOST_TEST(c.commit_time == -5);
}

BOOST_AUTO_TEST_CASE(decode_origin) {
  harness d;
  const auto& o = expect<origin_msg>(d.decode(bytes().ch('O').u64(0x1234).str("node_a")));
  BOOST_TEST(o.origin_lsn == 0x1234u);
  BOOST_TEST(o.name == "node_a");
}

BOOST_AUTO_TEST_CASE(decode_relation_with_columns) {
  harness d;
  const auto& r = expect<relation_msg>(d.decode(relation_bytes(std::nullopt)));
  BOOST_TEST(!r.xid.has_value());
  BOOST_TEST(r.relid == 16384u);
  BOOST_TEST(r.nspname == "public");
  BOOST_TEST(r.relname == "t");
  BOOST_TEST(r.replica_identity == 'd');
  BOOST_TEST_REQUIRE(r.columns.size() == 2u);
  BOOST_TEST(r.columns[0].name == "id");
  BOOST_TEST(r.columns[0].is_key());
  BOOST_TEST(r.columns[0].type_oid == 23u);
  BOOST_TEST(r.columns[0].typmod == -1);
  BOOST_TEST(r.columns[1].name == "name");
  BOOST_TEST(!r.columns[1].is_key());
  BOOST_TEST(r.columns[1].type_oid == 1043u);
  BOOST_TEST(r.columns[1].typmod == 36);
}

BOOST_AUTO_TEST_CASE(decode_type) {
  harness d;
  const auto& t = expect<type_msg>(d.decode(bytes().ch('Y').u32(16390).str("public").str("mood")));
  BOOST_TEST(t.oid == 16390u);
  BOOST_TEST(t.nspname == "public");
  BOOST_TEST(t.name == "mood");
}

BOOST_AUTO_TEST_CASE(decode_insert_with_every_column_kind) {
  harness d;
  const auto& m = expect<insert_msg>(
      d.decode(bytes().ch('I').u32(7).ch('N').u16(4).ch('n').ch('u').text("").bin(std::string("\0\xff", 2))));
  BOOST_TEST_REQUIRE(m.new_tuple.size() == 4u);
  BOOST_TEST((m.new_tuple[0].kind == value_kind::null));
  BOOST_TEST((m.new_tuple[1].kind == value_kind::unchanged_toast));
  BOOST_TEST((m.new_tuple[2].kind == value_kind::text));
  BOOST_TEST(m.new_tuple[2].data.empty());
  BOOST_TEST((m.new_tuple[3].kind == value_kind::binary));
  BOOST_TEST(m.new_tuple[3].data == std::string("\0\xff", 2));
}

BOOST_AUTO_TEST_CASE(decode_update_without_old_tuple) {
  harness d;
  const auto& m = expect<update_msg>(d.decode(bytes().ch('U').u32(16384).ch('N').u16(2).text("1").ch('u')));
  BOOST_TEST(m.old_kind == 0);
  BOOST_TEST(m.old_tuple.empty());
  BOOST_TEST_REQUIRE(m.new_tuple.size() == 2u);
  BOOST_TEST((m.new_tuple[1].kind == value_kind::unchanged_toast));
}

BOOST_AUTO_TEST_CASE(decode_update_with_key_and_old_tuples) {
  harness d;
  {
    const auto& m = expect<update_msg>(
        d.decode(bytes().ch('U').u32(16384).ch('K').u16(2).text("1").ch('n').ch('N').u16(2).text("2").text("x")));
    BOOST_TEST(m.old_kind == 'K');
    BOOST_TEST_REQUIRE(m.old_tuple.size() == 2u);
    BOOST_TEST(m.old_tuple[0].data == "1");
    BOOST_TEST((m.old_tuple[1].kind == value_kind::null));
    BOOST_TEST_REQUIRE(m.new_tuple.size() == 2u);
    BOOST_TEST(m.new_tuple[0].data == "2");
    BOOST_TEST(m.new_tuple[1].data == "x");
  }
  {
    const auto& m = expect<update_msg>(
        d.decode(bytes().ch('U').u32(16384).ch('O').u16(1).text("old").ch('N').u16(1).text("new")));
    BOOST_TEST(m.old_kind == 'O');
    BOOST_TEST(m.old_tuple[0].data == "old");
    BOOST_TEST(m.new_tuple[0].data == "new");
  }
}

BOOST_AUTO_TEST_CASE(decode_delete_key_and_full) {
  harness d;
  const auto& k = expect<delete_msg>(d.decode(bytes().ch('D').u32(16384).ch('K').u16(2).text("1").ch('n')));
  BOOST_TEST(k.relid == 16384u);
  BOOST_TEST(k.old_kind == 'K');
  BOOST_TEST(k.old_tuple.size() == 2u);
  const auto& o = expect<delete_msg>(d.decode(bytes().ch('D').u32(16384).ch('O').u16(1).text("z")));
  BOOST_TEST(o.old_kind == 'O');
  BOOST_TEST(o.old_tuple[0].data == "z");
}

BOOST_AUTO_TEST_CASE(decode_truncate_with_relids_and_flags) {
  harness d;
  const auto& t = expect<truncate_msg>(d.decode(bytes().ch('T').u32(2).u8(3).u32(16384).u32(16390)));
  BOOST_TEST(t.flags == 3);
  BOOST_TEST_REQUIRE(t.relids.size() == 2u);
  BOOST_TEST(t.relids[0] == 16384u);
  BOOST_TEST(t.relids[1] == 16390u);
}

BOOST_AUTO_TEST_CASE(decode_logical_message_with_binary_content) {
  harness d;
  const auto& m = expect<logical_message_msg>(
      d.decode(bytes().ch('M').u8(1).u64(0x1000).str("pg2sr").u32(5).raw(std::string("L:1\0x", 5))));
  BOOST_TEST(m.transactional());
  BOOST_TEST(m.lsn == 0x1000u);
  BOOST_TEST(m.prefix == "pg2sr");
  BOOST_TEST(m.content == std::string("L:1\0x", 5));
  const auto& n = expect<logical_message_msg>(d.decode(bytes().ch('M').u8(0).u64(1).str("p").u32(0)));
  BOOST_TEST(!n.transactional());
  BOOST_TEST(n.content.empty());
}

BOOST_AUTO_TEST_CASE(decode_stream_block_reads_xid_before_each_change) {
  harness d;
  const auto& s = expect<stream_start_msg>(d.decode(bytes().ch('S').u32(901).u8(1)));
  BOOST_TEST(s.xid == 901u);
  BOOST_TEST(s.first_segment == 1);
  BOOST_TEST(d.in_stream_block());
  BOOST_TEST(*expect<relation_msg>(d.decode(relation_bytes(901))).xid == 901u);
  BOOST_TEST(*expect<type_msg>(d.decode(bytes().ch('Y').u32(902).u32(5).str("").str("x"))).xid == 902u);
  const auto& i = expect<insert_msg>(d.decode(bytes().ch('I').u32(903).u32(16384).ch('N').u16(1).text("v")));
  BOOST_TEST(*i.xid == 903u);
  BOOST_TEST(i.relid == 16384u);
  BOOST_TEST(*expect<update_msg>(d.decode(bytes().ch('U').u32(904).u32(1).ch('N').u16(0))).xid == 904u);
  BOOST_TEST(*expect<delete_msg>(d.decode(bytes().ch('D').u32(905).u32(1).ch('K').u16(0))).xid == 905u);
  BOOST_TEST(*expect<truncate_msg>(d.decode(bytes().ch('T').u32(906).u32(0).u8(0))).xid == 906u);
  BOOST_TEST(*expect<logical_message_msg>(d.decode(bytes().ch('M').u32(907).u8(1).u64(1).str("").u32(0))).xid == 907u);
  expect<stream_stop_msg>(d.decode(bytes().ch('E')));
  BOOST_TEST(!d.in_stream_block());
  // Outside the block the same insert bytes mean relid 903 and a bad tuple tag.
  auto err = expect_error(d.decode(bytes().ch('I').u32(903).u32(16384).ch('N').u16(1).text("v")));
  BOOST_TEST((err.code == decode_errc::bad_value));
  BOOST_TEST(err.offset == 5u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_nested_stream_start_and_stray_stream_stop) {
  harness d;
  auto e1 = expect_error(d.decode(bytes().ch('E')));
  BOOST_TEST((e1.code == decode_errc::bad_value));
  BOOST_TEST(e1.message_type == 'E');
  expect<stream_start_msg>(d.decode(bytes().ch('S').u32(1).u8(1)));
  auto e2 = expect_error(d.decode(bytes().ch('S').u32(1).u8(0)));
  BOOST_TEST((e2.code == decode_errc::bad_value));
  BOOST_TEST(d.in_stream_block());
}

BOOST_AUTO_TEST_CASE(decode_stream_commit_and_both_abort_layouts) {
  harness d;
  const auto& c = expect<stream_commit_msg>(d.decode(bytes().ch('c').u32(901).u8(0).u64(0x2000).u64(0x2030).u64(9)));
  BOOST_TEST(c.xid == 901u);
  BOOST_TEST(c.commit_lsn == 0x2000u);
  BOOST_TEST(c.end_lsn == 0x2030u);
  BOOST_TEST(c.commit_time == 9);
  const auto& a = expect<stream_abort_msg>(d.decode(bytes().ch('A').u32(901).u32(902)));
  BOOST_TEST(a.xid == 901u);
  BOOST_TEST(a.subxid == 902u);
  BOOST_TEST(!a.abort_lsn.has_value());
  BOOST_TEST(!a.abort_time.has_value());
  const auto& p = expect<stream_abort_msg>(d.decode(bytes().ch('A').u32(901).u32(901).u64(0x3000).u64(11)));
  BOOST_TEST(p.subxid == 901u);
  BOOST_TEST(*p.abort_lsn == 0x3000u);
  BOOST_TEST(*p.abort_time == 11);
  // Between the two layouts: neither.
  auto err = expect_error(d.decode(bytes().ch('A').u32(901).u32(901).u64(0x3000)));
  BOOST_TEST((err.code == decode_errc::truncated));
  BOOST_TEST(err.offset == 17u);
}

BOOST_AUTO_TEST_CASE(decode_two_phase_messages) {
  harness d;
  const auto& b = expect<two_phase_msg>(d.decode(bytes().ch('b').u64(0x4000).u64(0x4030).u64(5).u32(77).str("gid1")));
  BOOST_TEST(b.type == 'b');
  BOOST_TEST(b.lsn_a == 0x4000u);
  BOOST_TEST(b.lsn_b == 0x4030u);
  BOOST_TEST(b.time_a == 5);
  BOOST_TEST(b.xid == 77u);
  BOOST_TEST(b.gid == "gid1");
  for (char type : {'P', 'K', 'p'}) {
    const auto& m = expect<two_phase_msg>(d.decode(bytes().ch(type).u8(0).u64(0x5000).u64(0x5030).u64(6).u32(78).str("g")));
    BOOST_TEST(m.type == type);
    BOOST_TEST(m.lsn_a == 0x5000u);
    BOOST_TEST(m.lsn_b == 0x5030u);
    BOOST_TEST(m.time_a == 6);
    BOOST_TEST(m.xid == 78u);
    BOOST_TEST(m.gid == "g");
  }
  const auto& r = expect<two_phase_msg>(d.decode(bytes().ch('r').u8(0).u64(0x4030).u64(0x6030).u64(5).u64(7).u32(77).str("gid1")));
  BOOST_TEST(r.lsn_a == 0x4030u);
  BOOST_TEST(r.lsn_b == 0x6030u);
  BOOST_TEST(r.time_a == 5);
  BOOST_TEST(r.time_b == 7);
  BOOST_TEST(r.xid == 77u);
}

BOOST_AUTO_TEST_CASE(decode_envelopes) {
  std::string w = bytes().ch('w').u64(0x10).u64(0x20).u64(30).raw("payload");
  auto ew = decode_envelope(w);
  BOOST_TEST_REQUIRE(std::holds_alternative<envelope>(ew));
  const auto& x = std::get<xlog_data>(std::get<envelope>(ew));
  BOOST_TEST(x.data_start == 0x10u);
  BOOST_TEST(x.wal_end == 0x20u);
  BOOST_TEST(x.send_time == 30);
  BOOST_TEST(x.payload == "payload");
  BOOST_TEST(x.payload.data() == w.data() + 25);

  std::deque<std::string> keep;
  auto ek = envelope_of(bytes().ch('k').u64(0x99).u64(5).u8(1), keep);
  BOOST_TEST_REQUIRE(std::holds_alternative<envelope>(ek));
  const auto& k = std::get<keepalive>(std::get<envelope>(ek));
  BOOST_TEST(k.wal_end == 0x99u);
  BOOST_TEST(k.send_time == 5);
  BOOST_TEST(k.reply_requested);

  auto er = envelope_of(bytes().ch('r').u64(1).u64(2).u64(3).u64(4).u8(0), keep);
  BOOST_TEST_REQUIRE(std::holds_alternative<envelope>(er));
  const auto& s = std::get<status_update>(std::get<envelope>(er));
  BOOST_TEST(s.write == 1u);
  BOOST_TEST(s.flush == 2u);
  BOOST_TEST(s.apply == 3u);
  BOOST_TEST(s.client_time == 4);
  BOOST_TEST(!s.reply_requested);
}

BOOST_AUTO_TEST_CASE(decode_envelope_errors_carry_offset_and_type) {
  std::deque<std::string> keep;
  auto e1 = expect_error(decode_envelope(""));
  BOOST_TEST((e1.code == decode_errc::truncated));
  auto e2 = expect_error(decode_envelope("x123"));
  BOOST_TEST((e2.code == decode_errc::unknown_type));
  BOOST_TEST(e2.message_type == 'x');
  BOOST_TEST(e2.offset == 0u);
  auto e3 = expect_error(envelope_of(bytes().ch('w').u64(1).u64(2).u32(0), keep));
  BOOST_TEST((e3.code == decode_errc::truncated));
  BOOST_TEST(e3.message_type == 'w');
  BOOST_TEST(e3.offset == 17u);
  auto e4 = expect_error(envelope_of(bytes().ch('k').u64(1).u64(2).u8(0).u8(0), keep));
  BOOST_TEST((e4.code == decode_errc::trailing_bytes));
  BOOST_TEST(e4.offset == 18u);
  auto e5 = expect_error(envelope_of(bytes().ch('k').u64(1).u64(2), keep));
  BOOST_TEST((e5.code == decode_errc::truncated));
  BOOST_TEST(e5.offset == 17u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_truncated_tuple) {
  harness d;
  // The second value claims 2 bytes, 1 is left.
  auto err = expect_error(d.decode(hex("49 00004000 4E 0002 74 00000001 31 74 00000002 61")));
  BOOST_TEST((err.code == decode_errc::oversized));
  BOOST_TEST(err.offset == 15u);
  BOOST_TEST(err.message_type == 'I');
  // Cut inside the second value's length field.
  auto err2 = expect_error(d.decode(hex("49 00004000 4E 0002 74 00000001 31 74 0000")));
  BOOST_TEST((err2.code == decode_errc::truncated));
  BOOST_TEST(err2.offset == 15u);
  // Cut before the second column's kind.
  auto err3 = expect_error(d.decode(hex("49 00004000 4E 0002 74 00000001 31")));
  BOOST_TEST((err3.code == decode_errc::truncated));
  BOOST_TEST(err3.offset == 14u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_unknown_message_type) {
  harness d;
  auto err = expect_error(d.decode("Z\x01\x02"));
  BOOST_TEST((err.code == decode_errc::unknown_type));
  BOOST_TEST(err.offset == 0u);
  BOOST_TEST(err.message_type == 'Z');
  auto empty = expect_error(d.decode(""));
  BOOST_TEST((empty.code == decode_errc::truncated));
  BOOST_TEST(empty.offset == 0u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_bad_tuple_kind) {
  harness d;
  auto err = expect_error(d.decode(hex("49 00004000 4E 0002 74 00000001 31 78")));
  BOOST_TEST((err.code == decode_errc::bad_value));
  BOOST_TEST(err.offset == 14u);
  BOOST_TEST(err.detail == "TupleData column kind is not n, u, t or b");
}

BOOST_AUTO_TEST_CASE(decode_rejects_bad_tuple_tags) {
  harness d;
  auto ins = expect_error(d.decode(bytes().ch('I').u32(1).ch('K').u16(0)));
  BOOST_TEST((ins.code == decode_errc::bad_value));
  BOOST_TEST(ins.offset == 5u);
  auto upd = expect_error(d.decode(bytes().ch('U').u32(1).ch('X').u16(0)));
  BOOST_TEST((upd.code == decode_errc::bad_value));
  BOOST_TEST(upd.offset == 5u);
  auto upd2 = expect_error(d.decode(bytes().ch('U').u32(1).ch('K').u16(0).ch('K').u16(0)));
  BOOST_TEST((upd2.code == decode_errc::bad_value));
  BOOST_TEST(upd2.offset == 8u);
  auto del = expect_error(d.decode(bytes().ch('D').u32(1).ch('N').u16(0)));
  BOOST_TEST((del.code == decode_errc::bad_value));
  BOOST_TEST(del.offset == 5u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_negative_lengths_and_bad_replica_identity) {
  harness d;
  auto neg = expect_error(d.decode(bytes().ch('I').u32(1).ch('N').u16(1).ch('t').u32(0xffffffff)));
  BOOST_TEST((neg.code == decode_errc::bad_value));
  BOOST_TEST(neg.offset == 9u);
  auto negmsg = expect_error(d.decode(bytes().ch('M').u8(0).u64(1).str("p").u32(0x80000000)));
  BOOST_TEST((negmsg.code == decode_errc::bad_value));
  BOOST_TEST(negmsg.offset == 12u);
  auto ident = expect_error(d.decode(bytes().ch('R').u32(1).str("").str("t").ch('x').u16(0)));
  BOOST_TEST((ident.code == decode_errc::bad_value));
  BOOST_TEST(ident.offset == 8u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_counts_larger_than_the_input) {
  harness d;
  auto cols = expect_error(d.decode(bytes().ch('I').u32(1).ch('N').u16(60000).ch('n')));
  BOOST_TEST((cols.code == decode_errc::oversized));
  BOOST_TEST(cols.offset == 6u);
  auto rel = expect_error(d.decode(bytes().ch('R').u32(1).str("").str("t").ch('d').u16(2).u8(0).str("a").u32(23).u32(0)));
  BOOST_TEST((rel.code == decode_errc::oversized));
  BOOST_TEST(rel.offset == 9u);
  auto trunc = expect_error(d.decode(bytes().ch('T').u32(0x40000000).u8(0).u32(1)));
  BOOST_TEST((trunc.code == decode_errc::oversized));
  BOOST_TEST(trunc.offset == 1u);
  auto len = expect_error(d.decode(bytes().ch('M').u8(0).u64(1).str("p").u32(100).raw("abc")));
  BOOST_TEST((len.code == decode_errc::oversized));
  BOOST_TEST(len.offset == 12u);
}

BOOST_AUTO_TEST_CASE(decode_rejects_trailing_bytes_after_every_message) {
  harness d;
  for (const auto& s : all_messages()) {
    BOOST_TEST_CONTEXT(s.name) {
      if (s.bytes[0] == 'A') continue;  // extra bytes there start the abort_lsn field
      auto r = decode_in(d, s.bytes + "!", s.in_stream);
      auto err = expect_error(r);
      BOOST_TEST((err.code == decode_errc::trailing_bytes));
      BOOST_TEST(err.offset == s.bytes.size());
      BOOST_TEST(err.message_type == s.bytes[0]);
    }
  }
}

BOOST_AUTO_TEST_CASE(decode_every_sample_message_succeeds) {
  harness d;
  for (const auto& s : all_messages()) {
    BOOST_TEST_CONTEXT(s.name) {
      auto r = decode_in(d, s.bytes, s.in_stream);
      if (auto* err = std::get_if<decode_error>(&r)) BOOST_ERROR(to_string(*err));
    }
  }
}

BOOST_AUTO_TEST_CASE(decode_truncation_at_every_length_is_an_error) {
  harness d;
  std::size_t cases = 0;
  for (const auto& s : all_messages()) {
    for (std::size_t len = 0; len < s.bytes.size(); ++len) {
      if (s.name == "Stream Abort parallel" && len == 9) continue;  // the protocol 2 layout
      // A copy of exactly `len` bytes: a sanitizer sees any read past it.
      std::string cut = s.bytes.substr(0, len);
      auto r = decode_in(d, cut, s.in_stream);
      BOOST_TEST_CONTEXT(s.name << " cut to " << len) {
        BOOST_TEST(std::holds_alternative<decode_error>(r));
        if (auto* err = std::get_if<decode_error>(&r)) BOOST_TEST(err->offset <= len);
      }
      ++cases;
    }
    // The same inside a 'w' envelope.
    std::string w = bytes().ch('w').u64(1).u64(2).u64(3).raw(s.bytes);
    for (std::size_t len = 0; len < w.size(); ++len) {
      if (s.name == "Stream Abort parallel" && len == 25 + 9) continue;
      std::string cut = w.substr(0, len);
      auto env = decode_envelope(cut);
      bool failed = std::holds_alternative<decode_error>(env);
      if (!failed) failed = std::holds_alternative<decode_error>(decode_in(d, std::string(std::get<xlog_data>(std::get<envelope>(env)).payload), s.in_stream));
      BOOST_TEST(failed, s.name << " in envelope cut to " << len);
    }
  }
  BOOST_TEST(cases > 500u);
}

BOOST_AUTO_TEST_CASE(decode_random_garbage_never_crashes) {
  // Deterministic mutations of valid messages: each must decode or fail cleanly; under
  // ASan/UBSan an over-read would abort the test.
  std::mt19937 rng(12345);
  harness d;
  auto samples = all_messages();
  std::size_t errors = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto& s = samples[rng() % samples.size()];
    std::string b = s.bytes;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      switch (rng() % 3) {
        case 0: b[rng() % b.size()] = static_cast<char>(rng()); break;
        case 1: b.erase(rng() % b.size(), 1); break;
        default: b.insert(b.begin() + static_cast<long>(rng() % (b.size() + 1)), static_cast<char>(rng())); break;
      }
    }
    auto r = decode_in(d, b, s.in_stream);
    if (auto* err = std::get_if<decode_error>(&r)) {
      ++errors;
      BOOST_TEST_REQUIRE(err->offset <= b.size());
    }
  }
  BOOST_TEST(errors > 1000u);
}

BOOST_AUTO_TEST_CASE(decode_reuses_scratch_without_reallocating) {
  harness d;
  std::string a = bytes().ch('I').u32(1).ch('N').u16(4).text("1").text("2").text("3").text("4");
  std::string b = bytes().ch('U').u32(1).ch('K').u16(2).text("1").ch('n').ch('N').u16(2).text("5").text("6");
  const column_value* first = expect<insert_msg>(d.decode(a)).new_tuple.data();
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST_REQUIRE(expect<insert_msg>(d.decode(a)).new_tuple.data() == first);
    BOOST_TEST_REQUIRE(expect<update_msg>(d.decode(b)).old_tuple.data() == first);
  }
}

BOOST_AUTO_TEST_CASE(decode_null_after_text_in_reused_scratch_has_no_data) {
  decoder d;
  std::string a = bytes().ch('I').u32(1).ch('N').u16(2).text("x").text("y");
  std::string b = bytes().ch('I').u32(1).ch('N').u16(2).ch('n').ch('u');
  d.decode(a);
  auto r = d.decode(b);
  const auto& m = std::get<insert_msg>(std::get<message>(r));
  BOOST_TEST(m.new_tuple[0].data.empty());
  BOOST_TEST(m.new_tuple[0].data.data() == nullptr);
  BOOST_TEST(m.new_tuple[1].data.empty());
}

BOOST_AUTO_TEST_CASE(to_string_names_type_offset_kind_and_detail) {
  decode_error e{decode_errc::bad_value, 13, 'I', "TupleData column kind is not n, u, t or b"};
  BOOST_TEST(to_string(e) == "pgoutput 'I' at byte 13: bad value: TupleData column kind is not n, u, t or b");
  decode_error f{decode_errc::unknown_type, 0, '\x07', ""};
  BOOST_TEST(to_string(f) == "pgoutput 0x07 at byte 0: unknown type");
  decode_error g{decode_errc::truncated, 0, 0, "empty pgoutput message"};
  BOOST_TEST(to_string(g) == "pgoutput at byte 0: truncated: empty pgoutput message");
}

BOOST_AUTO_TEST_SUITE_END()
