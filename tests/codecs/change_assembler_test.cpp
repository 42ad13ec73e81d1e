// change_assembler: CopyData in, transaction-ordered change events out — plain and streamed
// transactions, aborts, keepalives, relation changes mid-stream, and its errors.
#include "codecs/pgoutput/change_event.hpp"
#include "tests/support/wire_bytes.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace pg2sr::codecs::pgoutput;

namespace {

using pg2sr::test::bytes;

using opt_xid = std::optional<std::uint32_t>;

std::string begin(std::uint64_t final_lsn, std::uint32_t xid) { return bytes().ch('B').u64(final_lsn).u64(1000).u32(xid); }
std::string commit(std::uint64_t commit_lsn, std::uint64_t end_lsn) {
  return bytes().ch('C').u8(0).u64(commit_lsn).u64(end_lsn).u64(2000);
}
/// R for `relid` with columns id (key, int4) + the given text columns.
std::string relation(std::uint32_t relid, std::vector<std::string> extra, opt_xid x = {}, char ident = 'd',
                     std::string nsp = "public") {
  bytes b;
  b.ch('R').xid(x).u32(relid).str(nsp).str("t" + std::to_string(relid)).ch(ident).u16(static_cast<std::uint16_t>(1 + extra.size()));
  b.u8(1).str("id").u32(23).u32(0xffffffff);
  for (const auto& name : extra) b.u8(0).str(name).u32(25).u32(0xffffffff);
  return b;
}
std::string insert(std::uint32_t relid, std::vector<std::string> vals, opt_xid x = {}) {
  bytes b;
  b.ch('I').xid(x).u32(relid).ch('N').u16(static_cast<std::uint16_t>(vals.size()));
  for (const auto& v : vals) b.text(v);
  return b;
}
std::string stream_start(std::uint32_t xid, bool first) { return bytes().ch('S').u32(xid).u8(first ? 1 : 0); }
std::string stream_stop() { return "E"; }
std::string stream_commit(std::uint32_t xid, std::uint64_t commit_lsn, std::uint64_t end_lsn) {
  return bytes().ch('c').u32(xid).u8(0).u64(commit_lsn).u64(end_lsn).u64(3000);
}
std::string stream_abort(std::uint32_t xid, std::uint32_t subxid) { return bytes().ch('A').u32(xid).u32(subxid); }

/// Feeds CopyData into an assembler, each in its own owned buffer, like the reader does.
struct feeder {
  change_assembler a;
  change_batch out;
  std::uint64_t next_lsn = 0x1000;
  std::vector<std::shared_ptr<const std::string>> fed;

  std::optional<decode_error> w(const std::string& payload, std::uint64_t data_start = 0) {
    if (data_start == 0) data_start = next_lsn += 0x10;
    auto buf = std::make_shared<const std::string>(bytes().ch('w').u64(data_start).u64(data_start).u64(7).raw(payload));
    fed.push_back(buf);
    return a.feed(*buf, buf, out);
  }
  void ok(const std::string& payload, std::uint64_t data_start = 0) {
    auto err = w(payload, data_start);
    if (err) BOOST_FAIL("feed failed: " << to_string(*err));
  }
  std::optional<decode_error> k(std::uint64_t wal_end, bool reply = false) {
    auto buf = std::make_shared<const std::string>(bytes().ch('k').u64(wal_end).u64(8).u8(reply ? 1 : 0));
    return a.feed(*buf, buf, out);
  }
  /// The event ops as text, e.g. "begin insert commit".
  std::string ops() const {
    std::string v;
    for (const auto& e : out.events) v += (v.empty() ? "" : " ") + std::string(to_string(e.op));
    return v;
  }
  std::vector<std::string> texts(const change_event& e) const {
    std::vector<std::string> v;
    for (const auto& c : out.new_tuple(e)) v.emplace_back(c.data);
    return v;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(change_assembler)

BOOST_AUTO_TEST_CASE(assemble_plain_transaction) {
  feeder f;
  f.ok(relation(16384, {"name"}));
  f.ok(begin(0x5000, 742), 0x4000);
  f.ok(insert(16384, {"1", "ab"}), 0x4010);
  f.ok(bytes().ch('U').u32(16384).ch('K').u16(2).text("1").ch('n').ch('N').u16(2).text("2").text("ab"), 0x4020);
  f.ok(bytes().ch('D').u32(16384).ch('K').u16(2).text("2").ch('n'), 0x4030);
  f.ok(commit(0x5000, 0x5030), 0x5030);
  BOOST_TEST(f.ops() == "begin insert update delete commit");
  const auto& ev = f.out.events;
  for (const auto& e : ev) {
    BOOST_TEST(e.xid == 742u);
    BOOST_TEST(e.txn_final_lsn == 0x5000u);
  }
  BOOST_TEST(ev[0].lsn == 0x4000u);
  BOOST_TEST(ev[0].time == 1000);
  BOOST_TEST(ev[1].relid == 16384u);
  BOOST_TEST_REQUIRE(ev[1].relation != nullptr);
  BOOST_TEST(ev[1].relation->relname == "t16384");
  BOOST_TEST(ev[1].lsn == 0x4010u);
  BOOST_TEST(f.texts(ev[1]) == (std::vector<std::string>{"1", "ab"}));
  BOOST_TEST(ev[1].old_count == 0u);
  BOOST_TEST(ev[2].old_kind == 'K');
  BOOST_TEST(f.out.old_tuple(ev[2])[0].data == "1");
  BOOST_TEST((f.out.old_tuple(ev[2])[1].kind == value_kind::null));
  BOOST_TEST(f.texts(ev[2]) == (std::vector<std::string>{"2", "ab"}));
  BOOST_TEST(ev[3].new_count == 0u);
  BOOST_TEST(ev[3].old_kind == 'K');
  BOOST_TEST(f.out.old_tuple(ev[3])[0].data == "2");
  BOOST_TEST(ev[4].end_lsn == 0x5030u);
  BOOST_TEST(ev[4].lsn == 0x5030u);
  BOOST_TEST(!f.a.in_transaction());
}

BOOST_AUTO_TEST_CASE(assemble_values_are_views_into_kept_buffers) {
  feeder f;
  f.ok(relation(1, {"v"}));
  f.ok(begin(0x50, 1));
  f.ok(insert(1, {"7", "seven"}));
  f.ok(commit(0x50, 0x60));
  const auto& insert_buf = f.fed[2];
  auto v = f.out.new_tuple(f.out.events[1])[1].data;
  BOOST_TEST(v == "seven");
  BOOST_TEST((v.data() >= insert_buf->data() && v.data() < insert_buf->data() + insert_buf->size()));
  bool kept = false;
  for (const auto& b : f.out.buffers) kept |= b == insert_buf;
  BOOST_TEST(kept);
  BOOST_TEST(f.out.relations.size() == 1u);
  BOOST_TEST(f.out.payload_bytes > 0u);
  // The batch outlives the feeder's own references.
  change_batch moved = std::move(f.out);
  f.fed.clear();
  BOOST_TEST(moved.new_tuple(moved.events[1])[1].data == "seven");
}

BOOST_AUTO_TEST_CASE(assemble_streamed_transaction_released_at_stream_commit) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(stream_start(900, true), 0x100);
  f.ok(relation(11, {"w"}, 900));
  f.ok(insert(10, {"1", "a"}, 900), 0x110);
  f.ok(insert(11, {"2", "b"}, 901), 0x120);  // a subtransaction's change
  f.ok(stream_stop());
  BOOST_TEST(f.out.events.empty());
  BOOST_TEST(f.a.pending_streamed_transactions() == 1u);
  BOOST_TEST(f.a.buffered_bytes() > 0u);
  // A plain transaction commits while the streamed one is open.
  f.ok(begin(0x200, 950));
  f.ok(insert(10, {"3", "c"}));
  f.ok(commit(0x200, 0x210));
  f.ok(stream_start(900, false));
  f.ok(insert(10, {"4", "d"}, 900), 0x130);
  f.ok(stream_stop());
  f.ok(stream_commit(900, 0x300, 0x330), 0x330);
  BOOST_TEST(f.ops() == "begin insert commit begin insert insert insert commit");
  const auto& ev = f.out.events;
  BOOST_TEST(ev[3].xid == 900u);
  BOOST_TEST(ev[3].lsn == 0x100u);
  BOOST_TEST(ev[3].txn_final_lsn == 0x300u);
  for (std::size_t i = 3; i < ev.size(); ++i) {
    BOOST_TEST(ev[i].xid == 900u);
    BOOST_TEST(ev[i].txn_final_lsn == 0x300u);
  }
  BOOST_TEST(f.texts(ev[4]) == (std::vector<std::string>{"1", "a"}));
  BOOST_TEST(ev[4].lsn == 0x110u);
  BOOST_TEST(f.texts(ev[5]) == (std::vector<std::string>{"2", "b"}));
  BOOST_TEST(ev[5].relation->relname == "t11");
  BOOST_TEST(f.texts(ev[6]) == (std::vector<std::string>{"4", "d"}));
  BOOST_TEST(ev[7].end_lsn == 0x330u);
  BOOST_TEST(ev[7].lsn == 0x330u);
  BOOST_TEST(f.a.pending_streamed_transactions() == 0u);
  BOOST_TEST(f.a.buffered_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(assemble_stream_abort_discards_the_transaction) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(stream_start(900, true));
  f.ok(insert(10, {"1", "a"}, 900));
  f.ok(stream_stop());
  f.ok(stream_abort(900, 900));
  BOOST_TEST(f.out.events.empty());
  BOOST_TEST(f.a.pending_streamed_transactions() == 0u);
  // A proto-4 abort (with abort_lsn/abort_time) does the same.
  f.ok(stream_start(901, true));
  f.ok(insert(10, {"2", "b"}, 901));
  f.ok(stream_stop());
  f.ok(bytes().ch('A').u32(901).u32(901).u64(0x999).u64(5));
  BOOST_TEST(f.out.events.empty());
  BOOST_TEST(f.a.pending_streamed_transactions() == 0u);
  // Committing it afterwards is an error: it was never (still) streamed.
  auto err = f.w(stream_commit(901, 0x10, 0x20));
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST((err->code == decode_errc::bad_value));
}

BOOST_AUTO_TEST_CASE(assemble_subtransaction_abort_drops_only_its_changes) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(stream_start(900, true));
  f.ok(insert(10, {"1", "top"}, 900));
  f.ok(insert(10, {"2", "sub"}, 901));
  f.ok(insert(10, {"3", "other sub"}, 902));
  f.ok(insert(10, {"4", "top"}, 900));
  f.ok(stream_stop());
  f.ok(stream_abort(900, 901));
  BOOST_TEST(f.a.pending_streamed_transactions() == 1u);
  f.ok(stream_commit(900, 0x300, 0x330));
  BOOST_TEST(f.ops() == "begin insert insert insert commit");
  BOOST_TEST(f.texts(f.out.events[1])[1] == "top");
  BOOST_TEST(f.texts(f.out.events[2])[1] == "other sub");
  BOOST_TEST(f.texts(f.out.events[3])[1] == "top");
}

BOOST_AUTO_TEST_CASE(assemble_keepalive_only_outside_transactions) {
  feeder f;
  f.ok(relation(10, {"v"}));
  BOOST_TEST(!f.k(0x100, true).has_value());
  f.ok(begin(0x200, 5));
  BOOST_TEST(!f.k(0x150).has_value());  // inside Begin..Commit: not acknowledgeable
  f.ok(commit(0x200, 0x210));
  f.ok(stream_start(900, true));
  BOOST_TEST(!f.k(0x220).has_value());  // inside a stream block
  f.ok(stream_stop());
  BOOST_TEST(!f.k(0x230).has_value());  // between blocks of a pending streamed transaction
  BOOST_TEST(f.ops() == "keepalive begin commit keepalive");
  BOOST_TEST(f.out.events[0].lsn == 0x100u);
  BOOST_TEST(f.out.events[0].flags == keepalive_reply_requested);
  BOOST_TEST(f.out.events[0].txn_final_lsn == 0u);
  BOOST_TEST(f.out.events[3].lsn == 0x230u);
  BOOST_TEST(f.out.events[3].flags == 0);
}

BOOST_AUTO_TEST_CASE(assemble_relation_overwrite_mid_stream_keeps_old_schema_alive) {
  feeder f;
  f.ok(relation(10, {"a"}));
  f.ok(begin(0x200, 5));
  f.ok(insert(10, {"1", "x"}));
  f.ok(commit(0x200, 0x210));
  auto v1 = f.a.relations().find(10);
  // ALTER TABLE ... ADD COLUMN b: a new R, then a wider tuple.
  f.ok(relation(10, {"a", "b"}));
  f.ok(begin(0x300, 6));
  f.ok(insert(10, {"2", "y", "z"}));
  f.ok(commit(0x300, 0x310));
  auto v2 = f.a.relations().find(10);
  BOOST_TEST(v1 != v2);
  BOOST_TEST(v2->version > v1->version);
  BOOST_TEST(!v1->same_columns(*v2));
  const auto* r1 = f.out.events[1].relation;
  const auto* r2 = f.out.events[4].relation;
  BOOST_TEST(r1 == v1.get());
  BOOST_TEST(r2 == v2.get());
  BOOST_TEST(r1->columns.size() == 2u);
  BOOST_TEST(r2->columns.size() == 3u);
  BOOST_TEST(r2->columns[2].name == "b");
  // Only the batch keeps the old schema alive now.
  v1.reset();
  f.a.relations().clear();
  BOOST_TEST(f.out.events[1].relation->columns[1].name == "a");
  BOOST_TEST(f.out.relations.size() == 2u);
  // The old schema's tuple width is now wrong for the new one, and vice versa.
  f.ok(relation(10, {"a", "b"}));
  f.ok(begin(0x400, 7));
  auto err = f.w(insert(10, {"3", "only a"}));
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(err->detail == "tuple column count differs from the Relation message");
}

// Without publish_via_partition_root the stream names each partition: mapped, their changes
// are the root's, sibling partitions of one shape share one schema (no batch cut between
// them), and a partition's own TRUNCATE is not the root's.
BOOST_AUTO_TEST_CASE(assemble_names_a_mapped_partitions_changes_by_its_root) {
  feeder f;
  std::vector<std::uint32_t> asked;
  f.a.relations().map_partitions([&](std::uint32_t relid) -> std::optional<partition_root> {
    asked.push_back(relid);
    if (relid == 21 || relid == 22) return partition_root{20, "sales", "events"};
    return std::nullopt;
  });
  f.ok(relation(21, {"a"}));
  f.ok(relation(22, {"a"}));
  f.ok(relation(30, {"a"}));
  f.ok(begin(0x200, 5));
  f.ok(insert(21, {"1", "x"}));
  f.ok(insert(22, {"2", "y"}));
  f.ok(insert(30, {"3", "z"}));
  f.ok(bytes().ch('T').u32(1).u8(0).u32(22));  // TRUNCATE of one partition
  f.ok(relation(20, {"a"}));                   // the root is sent when TRUNCATE names it
  f.ok(bytes().ch('T').u32(3).u8(0).u32(20).u32(21).u32(22));  // TRUNCATE of the root
  f.ok(commit(0x200, 0x210));
  BOOST_TEST((asked == std::vector<std::uint32_t>{21, 22, 30, 20}));
  BOOST_TEST(f.ops() == "begin insert insert insert truncate commit");
  BOOST_TEST(f.out.events[4].relid == 20u);
  const auto& e = f.out.events;
  BOOST_TEST(e[1].relid == 20u);
  BOOST_TEST(e[1].relation->qualified_name() == "sales.events");
  BOOST_TEST(e[2].relid == 20u);
  BOOST_TEST(e[1].relation == e[2].relation);
  BOOST_TEST(e[3].relid == 30u);
  BOOST_TEST(e[3].relation->qualified_name() == "public.t30");
  // A partition of another shape (ATTACHed with other columns) gets a schema of its own.
  f.ok(relation(22, {"a", "b"}));
  BOOST_TEST(f.a.relations().find(22) != f.a.relations().find(21));
  BOOST_TEST(f.a.relations().find(22)->relid == 20u);
}

BOOST_AUTO_TEST_CASE(assemble_rejects_change_for_unknown_relation) {
  feeder f;
  f.ok(begin(0x200, 5));
  auto before = f.out.events.size();
  auto err = f.w(insert(77, {"1"}));
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST((err->code == decode_errc::bad_value));
  BOOST_TEST(err->message_type == 'I');
  BOOST_TEST(err->offset == 25u);
  BOOST_TEST(std::string(err->detail).find("no Relation message") != std::string::npos);
  BOOST_TEST(f.out.events.size() == before);
  auto terr = f.w(bytes().ch('T').u32(1).u8(0).u32(77));
  BOOST_TEST_REQUIRE(terr.has_value());
  BOOST_TEST(std::string(terr->detail).find("no Relation message") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(assemble_rejects_protocol_order_violations) {
  feeder f;
  f.ok(relation(10, {"v"}));
  auto outside = f.w(insert(10, {"1", "a"}));
  BOOST_TEST_REQUIRE(outside.has_value());
  BOOST_TEST(outside->detail == "change outside a transaction");
  auto stray_commit = f.w(commit(1, 2));
  BOOST_TEST_REQUIRE(stray_commit.has_value());
  BOOST_TEST(stray_commit->message_type == 'C');
  f.ok(begin(0x200, 5));
  BOOST_TEST(f.w(begin(0x300, 6)).has_value());
  BOOST_TEST(f.w(stream_start(7, true)).has_value());
  f.ok(commit(0x200, 0x210));
  // A continuation segment for a transaction whose first segment never came.
  auto cont = f.w(stream_start(8, false));
  BOOST_TEST_REQUIRE(cont.has_value());
  BOOST_TEST(!f.a.in_transaction());
  // The client's own status update is not something the server sends.
  auto buf = std::make_shared<const std::string>(bytes().ch('r').u64(1).u64(2).u64(3).u64(4).u8(0));
  auto r = f.a.feed(*buf, buf, f.out);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->message_type == 'r');
  // Two-phase messages are refused, not skipped.
  auto tp = f.w(bytes().ch('b').u64(1).u64(2).u64(3).u32(4).str("g"));
  BOOST_TEST_REQUIRE(tp.has_value());
  BOOST_TEST(tp->message_type == 'b');
}

BOOST_AUTO_TEST_CASE(assemble_decode_errors_offset_from_copy_data_start) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(begin(0x200, 5));
  auto err = f.w(bytes().ch('I').u32(10).ch('N').u16(2).text("1").ch('x'));
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST((err->code == decode_errc::bad_value));
  BOOST_TEST(err->offset == 25u + 14u);
  auto env = f.a.feed("k\x01", nullptr, f.out);
  BOOST_TEST_REQUIRE(env.has_value());
  BOOST_TEST((env->code == decode_errc::truncated));
  BOOST_TEST(env->offset == 1u);
}

BOOST_AUTO_TEST_CASE(assemble_truncate_emits_one_event_per_relation) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(relation(11, {"v"}));
  f.ok(begin(0x200, 5));
  f.ok(bytes().ch('T').u32(2).u8(truncate_cascade | truncate_restart_identity).u32(10).u32(11));
  f.ok(commit(0x200, 0x210));
  BOOST_TEST(f.ops() == "begin truncate truncate commit");
  BOOST_TEST(f.out.events[1].relid == 10u);
  BOOST_TEST(f.out.events[2].relid == 11u);
  BOOST_TEST(f.out.events[2].relation->relname == "t11");
  BOOST_TEST(f.out.events[1].flags == (truncate_cascade | truncate_restart_identity));
}

BOOST_AUTO_TEST_CASE(assemble_logical_messages_both_kinds) {
  feeder f;
  f.ok(bytes().ch('M').u8(0).u64(0x777).str("pg2sr").u32(3).raw("L:1"));
  f.ok(begin(0x200, 5));
  f.ok(bytes().ch('M').u8(1).u64(0x150).str("app").u32(5).raw(std::string("a\0b\0c", 5)));
  f.ok(commit(0x200, 0x210));
  BOOST_TEST(f.ops() == "message begin message commit");
  const auto& nt = f.out.events[0];
  BOOST_TEST(nt.lsn == 0x777u);
  BOOST_TEST(nt.flags == 0);
  BOOST_TEST(nt.txn_final_lsn == 0u);
  BOOST_TEST(f.out.message_prefix(nt) == "pg2sr");
  BOOST_TEST(f.out.message_content(nt) == "L:1");
  const auto& t = f.out.events[2];
  BOOST_TEST(t.flags == message_transactional);
  BOOST_TEST(t.xid == 5u);
  BOOST_TEST(t.txn_final_lsn == 0x200u);
  BOOST_TEST(f.out.message_prefix(t) == "app");
  BOOST_TEST(f.out.message_content(t) == std::string("a\0b\0c", 5));
  // Transactional message inside a streamed transaction is held with it.
  f.ok(stream_start(900, true));
  f.ok(bytes().ch('M').u32(900).u8(1).u64(0x160).str("app").u32(1).raw("s"));
  f.ok(stream_stop());
  BOOST_TEST(f.out.events.size() == 4u);
  f.ok(stream_commit(900, 0x300, 0x310));
  BOOST_TEST(f.out.events.size() == 7u);
  BOOST_TEST(f.out.message_content(f.out.events[5]) == "s");
}

BOOST_AUTO_TEST_CASE(relation_cache_names_types_and_catalog_namespace) {
  feeder f;
  f.ok(bytes().ch('Y').u32(16500).str("public").str("mood"));
  f.ok(bytes().ch('R').u32(20).str("").str("pg_thing").ch('f').u16(2)
           .u8(1).str("id").u32(23).u32(0xffffffff).u8(1).str("m").u32(16500).u32(0xffffffff));
  const auto& rel = f.a.relations().find(20);
  BOOST_TEST_REQUIRE(rel != nullptr);
  BOOST_TEST(rel->nspname == "pg_catalog");
  BOOST_TEST(rel->qualified_name() == "pg_catalog.pg_thing");
  BOOST_TEST(rel->replica_identity == 'f');
  BOOST_TEST(rel->columns[0].type_name.empty());
  BOOST_TEST(rel->columns[1].type_name == "mood");
  BOOST_TEST(rel->columns[1].type_nspname == "public");
  BOOST_TEST(rel->key_columns == (std::vector<std::uint16_t>{0, 1}));
  BOOST_TEST(*rel->column_index("m") == 1u);
  BOOST_TEST(!rel->column_index("nope").has_value());
  BOOST_TEST_REQUIRE(f.a.relations().type(16500) != nullptr);
  BOOST_TEST(f.a.relations().type(16500)->name == "mood");
  BOOST_TEST(f.a.relations().find(21) == nullptr);
}

BOOST_AUTO_TEST_CASE(change_batch_append_rebases_value_ranges) {
  feeder a, b;
  for (auto* f : {&a, &b}) {
    f->ok(relation(10, {"v"}));
    f->ok(begin(0x200, 5));
  }
  a.ok(insert(10, {"1", "a"}));
  b.ok(insert(10, {"2", "b"}));
  b.ok(bytes().ch('U').u32(10).ch('O').u16(2).text("2").text("b").ch('N').u16(2).text("2").text("c"));
  change_batch sum = a.out;
  sum.append(b.out);
  BOOST_TEST(sum.events.size() == 5u);
  BOOST_TEST(sum.new_tuple(sum.events[3])[1].data == "b");
  BOOST_TEST(sum.old_tuple(sum.events[4])[1].data == "b");
  BOOST_TEST(sum.new_tuple(sum.events[4])[1].data == "c");
  BOOST_TEST(sum.payload_bytes == a.out.payload_bytes + b.out.payload_bytes);
  sum.clear();
  BOOST_TEST(sum.empty());
  BOOST_TEST(sum.values.empty());
  BOOST_TEST(sum.buffers.empty());
  BOOST_TEST(sum.relations.empty());
  BOOST_TEST(sum.payload_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(assemble_reset_forgets_open_and_streamed_transactions) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(stream_start(900, true));
  f.ok(insert(10, {"1", "a"}, 900));
  BOOST_TEST(f.a.in_transaction());
  f.a.reset();
  BOOST_TEST(!f.a.in_transaction());
  BOOST_TEST(f.a.pending_streamed_transactions() == 0u);
  BOOST_TEST(f.a.relations().find(10) != nullptr);
  f.ok(stream_start(900, true));  // the server re-sends it from the first segment
  f.ok(stream_stop());
  f.ok(stream_commit(900, 1, 2));
  BOOST_TEST(f.ops() == "begin commit");
}

// A reconnect inside a run: the walsender resends everything after the durable LSN,
// also transactions (and the first part of one) already passed downstream. Passed on
// again, they are loaded twice (a Duplicate Key table keeps both copies, a 2PC load of the
// first part is recorded and committed while the stream still brings that part again).
BOOST_AUTO_TEST_CASE(assemble_reconnect_never_passes_an_event_twice) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(begin(0x200, 5), 0x100);  // whole before the reconnect, not yet durable
  f.ok(insert(10, {"1", "a"}), 0x110);
  f.ok(commit(0x200, 0x210), 0x200);
  f.ok(bytes().ch('M').u8(0).u64(0x220).str("app").u32(1).raw("n"));  // non-transactional
  f.ok(stream_start(900, true));  // a streamed one: held until Stream Commit
  f.ok(insert(10, {"9", "s"}, 900), 0x230);
  f.ok(stream_stop());
  f.ok(begin(0x400, 6), 0x240);  // cut after its second insert
  f.ok(insert(10, {"2", "b"}), 0x250);
  f.ok(insert(10, {"3", "c"}), 0x260);
  BOOST_TEST(f.ops() == "begin insert commit message begin insert insert");
  f.a.reset();
  // The new session, from the durable LSN: a keepalive first (the pipeline still holds
  // transaction 6 open: acknowledging its walEnd would end it), then all of it again.
  BOOST_TEST(!f.k(0x100).has_value());
  f.ok(relation(10, {"v"}));
  f.ok(begin(0x200, 5), 0x100);
  f.ok(insert(10, {"1", "a"}), 0x110);
  f.ok(commit(0x200, 0x210), 0x200);
  f.ok(bytes().ch('M').u8(0).u64(0x220).str("app").u32(1).raw("n"));
  f.ok(begin(0x400, 6), 0x240);
  f.ok(insert(10, {"2", "b"}), 0x250);
  f.ok(insert(10, {"3", "c"}), 0x260);
  f.ok(insert(10, {"4", "d"}), 0x270);
  f.ok(commit(0x400, 0x410), 0x400);
  f.ok(stream_start(900, true));
  f.ok(insert(10, {"9", "s"}, 900), 0x230);
  f.ok(stream_stop());
  f.ok(stream_commit(900, 0x500, 0x510));
  BOOST_TEST(f.k(0x600).has_value() == false);
  BOOST_TEST(f.ops() ==
             "begin insert commit message begin insert insert insert commit begin insert commit keepalive");
  std::vector<std::string> keys;
  for (const auto& e : f.out.events)
    if (e.op == change_op::insert) keys.push_back(f.texts(e)[0]);
  BOOST_TEST(keys == (std::vector<std::string>{"1", "2", "3", "4", "9"}), boost::test_tools::per_element());
}

// Reconnects one after the other, the second while the resent first part is being read.
BOOST_AUTO_TEST_CASE(assemble_reconnect_twice_inside_a_resent_part) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(begin(0x400, 6), 0x240);
  f.ok(insert(10, {"2", "b"}), 0x250);
  f.ok(insert(10, {"3", "c"}), 0x260);
  f.a.reset();
  f.ok(begin(0x400, 6), 0x240);
  f.ok(insert(10, {"2", "b"}), 0x250);
  f.a.reset();
  f.ok(begin(0x400, 6), 0x240);
  f.ok(insert(10, {"2", "b"}), 0x250);
  f.ok(insert(10, {"3", "c"}), 0x260);
  f.ok(insert(10, {"4", "d"}), 0x270);
  f.ok(commit(0x400, 0x410), 0x400);
  BOOST_TEST(f.ops() == "begin insert insert insert commit");
}

// A reconnect that does not resend the part of a transaction passed on before is not the
// stream pg2sr was reading: it stops rather than load half a transaction twice or never.
BOOST_AUTO_TEST_CASE(assemble_reconnect_refuses_a_resend_that_differs) {
  feeder f;
  f.ok(relation(10, {"v"}));
  f.ok(begin(0x400, 6), 0x240);
  f.ok(insert(10, {"2", "b"}), 0x250);
  f.a.reset();
  f.ok(begin(0x400, 6), 0x240);
  auto err = f.w(insert(10, {"2", "b"}), 0x258);  // not the change passed on at 0x250
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(to_string(*err).find("reconnect") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
