// pgoutput captures from a real PostgreSQL 15: the checked-in ones (tests/data/pgoutput/) and a
// fresh one made now from the harness's server must both decode completely and show every
// feature that capture.sql exercises (unchanged TOAST, K and O old tuples, Truncate, both kinds
// of logical message, a Relation re-sent after ALTER TABLE, streamed transactions with commit,
// abort and subtransaction abort).
//
// Capture file format: a sequence of CopyData payloads from the walsender ('w' and 'k'), each
// preceded by its length as a big-endian uint32.
//
// With PG2SR_CAPTURE_WRITE=<dir> set, the live capture is also written to <dir>
// (scripts/capture-pgoutput.sh uses this to refresh the checked-in files).
#include "codecs/pgoutput/change_event.hpp"
#include "tests/support/pg_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace pg2sr::codecs::pgoutput;
namespace test = pg2sr::test;

namespace {

using capture = std::vector<std::string>;  // CopyData payloads in arrival order

struct variant_spec {
  std::string name;  // file stem: capture_<name>.bin
  int proto;
  bool binary;
};

const std::vector<variant_spec>& variants() {
  static const std::vector<variant_spec> v{
      {"proto1_text", 1, false}, {"proto1_binary", 1, true}, {"proto2_text", 2, false}, {"proto2_binary", 2, true}};
  return v;
}

// ---- capture files -----------------------------------------------------------------------

capture read_capture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  capture out;
  std::size_t pos = 0;
  while (pos < all.size()) {
    if (all.size() - pos < 4) throw std::runtime_error(path.string() + ": truncated length prefix");
    auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(all[pos + i])); };
    std::uint32_t len = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    pos += 4;
    if (len > all.size() - pos) throw std::runtime_error(path.string() + ": truncated message");
    out.push_back(all.substr(pos, len));
    pos += len;
  }
  return out;
}

void write_capture(const std::filesystem::path& path, const capture& msgs) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& m : msgs) {
    auto n = static_cast<std::uint32_t>(m.size());
    char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
    out.write(len, 4);
    out.write(m.data(), static_cast<std::streamsize>(m.size()));
  }
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// ---- running capture.sql and streaming the slots -------------------------------------------

struct sql_script {
  std::vector<std::string> setup, workload;
};

sql_script read_sql(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  sql_script s;
  auto* part = &s.setup;
  std::string line, stmt;
  while (std::getline(in, line)) {
    if (line.rfind("-- @workload", 0) == 0) {
      part = &s.workload;
      continue;
    }
    if (line.rfind("--", 0) == 0 || line.find_first_not_of(" \t") == std::string::npos) continue;
    stmt += (stmt.empty() ? "" : "\n") + line;
    if (!line.empty() && line.back() == ';') {
      part->push_back(stmt);
      stmt.clear();
    }
  }
  if (!stmt.empty()) throw std::runtime_error(path.string() + ": last statement lacks ';'");
  return s;
}

std::string status_update_bytes(std::uint64_t lsn) {
  std::string s = "r";
  auto u64 = [&](std::uint64_t v) {
    for (int i = 7; i >= 0; --i) s += static_cast<char>(v >> (8 * i));
  };
  u64(lsn);
  u64(lsn);
  u64(lsn);
  u64(0);
  s += '\0';
  return s;
}

/// Streams the slot on `conn` (a replication connection) until the 'capture_end' message.
capture stream_slot(PGconn* conn, const std::string& slot, const variant_spec& v) {
  std::string cmd = "START_REPLICATION SLOT " + slot + " LOGICAL 0/0 (proto_version '" + std::to_string(v.proto) +
                    "', publication_names '\"p\"', messages 'true', binary '" + (v.binary ? "true" : "false") + "'" +
                    (v.proto >= 2 ? ", streaming 'on'" : "") + ")";
  PGresult* res = PQexec(conn, cmd.c_str());
  auto status = PQresultStatus(res);
  std::string err = PQresultErrorMessage(res);
  PQclear(res);
  if (status != PGRES_COPY_BOTH) throw std::runtime_error("START_REPLICATION failed: " + err);

  capture out;
  decoder dec;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::uint64_t last_lsn = 0;
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn, &buf, 1);
    if (n == 0) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("capture of " + v.name + ": no 'capture_end' message within 60 s");
      pollfd pfd{PQsocket(conn), POLLIN, 0};
      poll(&pfd, 1, 1000);
      if (PQconsumeInput(conn) == 0) throw std::runtime_error(std::string("replication read failed: ") + PQerrorMessage(conn));
      continue;
    }
    if (n < 0) throw std::runtime_error(std::string("replication stream ended: ") + PQerrorMessage(conn));
    std::string msg(buf, static_cast<std::size_t>(n));
    PQfreemem(buf);
    out.push_back(msg);

    auto env = decode_envelope(out.back());
    if (auto* e = std::get_if<decode_error>(&env)) throw std::runtime_error("capture: " + to_string(*e));
    if (auto* k = std::get_if<keepalive>(&std::get<envelope>(env))) {
      if (k->reply_requested) {
        auto r = status_update_bytes(last_lsn);
        if (PQputCopyData(conn, r.data(), static_cast<int>(r.size())) != 1 || PQflush(conn) != 0)
          throw std::runtime_error("cannot send status update");
      }
      continue;
    }
    const auto& x = std::get<xlog_data>(std::get<envelope>(env));
    last_lsn = std::max(last_lsn, x.wal_end);
    auto m = dec.decode(x.payload);
    if (auto* e = std::get_if<decode_error>(&m)) throw std::runtime_error("capture: " + to_string(*e));
    if (auto* lm = std::get_if<logical_message_msg>(&std::get<message>(m)); lm && lm->prefix == "capture_end") break;
  }
  return out;
}

/// Runs capture.sql in a fresh database and returns one capture per variant.
std::map<std::string, capture> capture_live() {
  auto script = read_sql(test::data_dir() / "pgoutput" / "capture.sql");
  std::string conninfo = test::fresh_database("pg2sr_pgoutput_capture");
  auto sql = test::connect(conninfo);
  for (const auto& s : script.setup) test::exec(sql.get(), s);

  // One replication session (and temporary slot) per variant, created before the workload.
  std::vector<test::pg_conn> repl;
  for (const auto& v : variants()) {
    repl.push_back(test::connect(conninfo + " replication=database"));
    test::exec(repl.back().get(), "SET logical_decoding_work_mem = '64kB'");
    test::exec(repl.back().get(), "CREATE_REPLICATION_SLOT cap_" + v.name + " TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')");
  }
  for (const auto& s : script.workload) test::exec(sql.get(), s);

  std::map<std::string, capture> out;
  for (std::size_t i = 0; i < variants().size(); ++i)
    out[variants()[i].name] = stream_slot(repl[i].get(), "cap_" + variants()[i].name, variants()[i]);
  return out;
}

// ---- what a capture contains --------------------------------------------------------------

struct features {
  std::size_t copy_data = 0, bytes = 0;
  std::map<char, std::size_t> types;  // pgoutput message type -> count
  std::size_t keepalives = 0;
  bool unchanged_toast = false;       // 'u' in an Update of items.note
  bool key_old_tuple = false;         // Update with 'K'
  bool full_old_update = false;       // Update with 'O'
  bool full_old_delete = false;       // Delete with 'O'
  bool text_values = false, binary_values = false;
  bool tx_message = false, nontx_message = false;
  std::vector<std::size_t> items_relation_widths;  // ncols of each R for items
  std::size_t type_messages_for_mood = 0;
  std::size_t abort_whole = 0, abort_subxact = 0;
  std::size_t truncate_flags_seen = 0;
  // From the assembler:
  std::size_t bulk_inserts = 0, bulk_updates = 0, items_events = 0, truncate_events = 0;
  std::size_t begins = 0, commits = 0, message_events = 0;
  bool aborted_rows_leaked = false;
  bool messages_in_right_place = true;
  bool commit_order_ok = true;
  bool toast_event_kept_unchanged = false;
};

bool has_kind(tuple t, value_kind k) {
  for (const auto& c : t)
    if (c.kind == k) return true;
  return false;
}

features analyze(const capture& msgs) {
  features f;
  f.copy_data = msgs.size();
  decoder dec;
  for (const auto& raw : msgs) {
    f.bytes += raw.size();
    auto env = decode_envelope(raw);
    if (auto* e = std::get_if<decode_error>(&env)) throw std::runtime_error("envelope: " + to_string(*e));
    if (std::holds_alternative<keepalive>(std::get<envelope>(env))) {
      ++f.keepalives;
      continue;
    }
    auto res = dec.decode(std::get<xlog_data>(std::get<envelope>(env)).payload);
    if (auto* e = std::get_if<decode_error>(&res)) throw std::runtime_error("message: " + to_string(*e));
    const auto& m = std::get<message>(res);
    f.types[std::get<xlog_data>(std::get<envelope>(env)).payload[0]]++;
    auto note_values = [&](tuple t) {
      f.text_values |= has_kind(t, value_kind::text);
      f.binary_values |= has_kind(t, value_kind::binary);
    };
    if (auto* r = std::get_if<relation_msg>(&m); r && r->relname == "items") f.items_relation_widths.push_back(r->columns.size());
    if (auto* y = std::get_if<type_msg>(&m); y && y->name == "mood") ++f.type_messages_for_mood;
    if (auto* i = std::get_if<insert_msg>(&m)) note_values(i->new_tuple);
    if (auto* u = std::get_if<update_msg>(&m)) {
      note_values(u->new_tuple);
      f.unchanged_toast |= has_kind(u->new_tuple, value_kind::unchanged_toast);
      f.key_old_tuple |= u->old_kind == 'K' && !u->old_tuple.empty();
      f.full_old_update |= u->old_kind == 'O' && !u->old_tuple.empty();
    }
    if (auto* d = std::get_if<delete_msg>(&m)) f.full_old_delete |= d->old_kind == 'O';
    if (auto* lm = std::get_if<logical_message_msg>(&m); lm && lm->prefix == "capture") {
      f.tx_message |= lm->transactional() && lm->content == "transactional";
      f.nontx_message |= !lm->transactional() && lm->content == "non-transactional";
    }
    if (auto* t = std::get_if<truncate_msg>(&m)) f.truncate_flags_seen |= t->flags;
    if (auto* a = std::get_if<stream_abort_msg>(&m)) (a->xid == a->subxid ? f.abort_whole : f.abort_subxact)++;
  }

  // The same bytes through the assembler, one owned buffer per CopyData.
  change_assembler as;
  change_batch batch;
  for (const auto& raw : msgs) {
    auto owner = std::make_shared<const std::string>(raw);
    if (auto err = as.feed(*owner, owner, batch)) throw std::runtime_error("assembler: " + to_string(*err));
  }
  if (as.in_transaction() || as.pending_streamed_transactions() != 0)
    throw std::runtime_error("assembler: a transaction is still open at the end of the capture");
  lsn_t last_end = 0;
  bool in_txn = false;
  for (const auto& e : batch.events) {
    std::string rel = e.relation ? e.relation->relname : "";
    switch (e.op) {
      case change_op::begin: ++f.begins; in_txn = true; break;
      case change_op::commit:
        ++f.commits;
        in_txn = false;
        f.commit_order_ok &= e.end_lsn > last_end;
        last_end = e.end_lsn;
        break;
      case change_op::insert:
        if (rel == "bulk") {
          ++f.bulk_inserts;
          auto payload = batch.new_tuple(e)[1].data;
          f.aborted_rows_leaked |= payload.starts_with("gone") || payload.starts_with("aborted");
        }
        f.items_events += rel == "items";
        break;
      case change_op::update:
        f.bulk_updates += rel == "bulk";
        if (rel == "items") {
          ++f.items_events;
          auto note = e.relation->column_index("note");
          f.toast_event_kept_unchanged |= note && batch.new_tuple(e)[*note].kind == value_kind::unchanged_toast;
        }
        break;
      case change_op::delete_row: f.items_events += rel == "items"; break;
      case change_op::truncate: ++f.truncate_events; break;
      case change_op::message:
        ++f.message_events;
        if (batch.message_prefix(e) == "capture")
          f.messages_in_right_place &= ((e.flags & message_transactional) != 0) == in_txn &&
                                       ((e.txn_final_lsn != 0) == in_txn);
        break;
      case change_op::keepalive: f.messages_in_right_place &= !in_txn; break;
    }
  }
  return f;
}

void check_features(const features& f, const variant_spec& v) {
  BOOST_TEST_CONTEXT(v.name) {
    BOOST_TEST(f.types.count('B') > 0u);
    BOOST_TEST(f.types.count('C') > 0u);
    BOOST_TEST(f.types.count('I') > 0u);
    BOOST_TEST(f.types.count('U') > 0u);
    BOOST_TEST(f.types.count('D') > 0u);
    BOOST_TEST(f.unchanged_toast, "an Update carries 'u' for the untouched TOAST value");
    BOOST_TEST(f.toast_event_kept_unchanged);
    BOOST_TEST(f.key_old_tuple, "an Update carries a 'K' old key tuple");
    BOOST_TEST(f.full_old_update, "an Update carries an 'O' old tuple");
    BOOST_TEST(f.full_old_delete, "a Delete carries an 'O' old tuple");
    BOOST_TEST(f.types.count('T') > 0u);
    BOOST_TEST(f.truncate_flags_seen == 3u, "Truncate with CASCADE and RESTART IDENTITY");
    BOOST_TEST(f.tx_message);
    BOOST_TEST(f.nontx_message);
    BOOST_TEST(f.type_messages_for_mood >= 1u);
    BOOST_TEST_REQUIRE(f.items_relation_widths.size() >= 2u, "items gets a second Relation after ALTER TABLE");
    BOOST_TEST(f.items_relation_widths.front() == 4u);
    BOOST_TEST(f.items_relation_widths.back() == 5u);
    BOOST_TEST(f.text_values == !v.binary);  // every type in capture.sql has a binary send function
    BOOST_TEST(f.binary_values == v.binary);
    if (v.proto >= 2) {
      BOOST_TEST(f.types.count('S') > 0u);
      BOOST_TEST(f.types.count('E') > 0u);
      BOOST_TEST(f.types.count('c') > 0u);
      BOOST_TEST(f.abort_whole >= 1u, "the aborted large transaction is streamed, then aborted");
      BOOST_TEST(f.abort_subxact >= 1u, "the rolled-back savepoint is aborted on its own");
    } else {
      BOOST_TEST(f.types.count('S') == 0u);
      BOOST_TEST(f.types.count('A') == 0u);
    }
    // Assembled: exactly what committed, in commit order.
    BOOST_TEST(f.begins == f.commits);
    BOOST_TEST(f.commit_order_ok);
    BOOST_TEST(f.bulk_inserts == 600u);
    BOOST_TEST(f.bulk_updates == 10u);
    BOOST_TEST(!f.aborted_rows_leaked);
    BOOST_TEST(f.truncate_events == 3u);  // audit; moods + bulk
    BOOST_TEST(f.messages_in_right_place);
    BOOST_TEST(f.message_events >= 3u);  // transactional, non-transactional, capture_end
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pgoutput_capture)

BOOST_AUTO_TEST_CASE(checked_in_captures_decode_with_every_feature) {
  for (const auto& v : variants()) {
    auto path = test::data_dir() / "pgoutput" / ("capture_" + v.name + ".bin");
    auto msgs = read_capture(path);
    BOOST_TEST_MESSAGE(v.name << ": " << msgs.size() << " CopyData, " << std::filesystem::file_size(path) << " bytes");
    features f;
    BOOST_CHECK_NO_THROW(f = analyze(msgs));
    check_features(f, v);
  }
}

BOOST_AUTO_TEST_CASE(live_capture_from_postgres_has_every_feature) {
  auto live = capture_live();
  const char* write_dir = std::getenv("PG2SR_CAPTURE_WRITE");
  for (const auto& v : variants()) {
    const auto& msgs = live.at(v.name);
    BOOST_TEST_MESSAGE(v.name << " (live): " << msgs.size() << " CopyData");
    features f;
    BOOST_CHECK_NO_THROW(f = analyze(msgs));
    check_features(f, v);
    if (write_dir != nullptr && *write_dir != '\0')
      write_capture(std::filesystem::path(write_dir) / ("capture_" + v.name + ".bin"), msgs);
  }
}

BOOST_AUTO_TEST_SUITE_END()
