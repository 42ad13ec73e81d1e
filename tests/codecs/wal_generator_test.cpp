// Synthetic WAL generator: determinism, restart at an LSN, the walsender's ordering and LSN
// rules, the operation mix, and a replay of the decoded stream that must end in exactly the
// rows the generator says it produced.
#include "codecs/synthetic/wal_generator.hpp"

#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace pg2sr::codecs;
using namespace pg2sr::codecs::wal_gen;
namespace pg = pg2sr::codecs::pgoutput;
// The suite below is named wal_generator (its ctest name), which hides the class name.
using generator = pg2sr::codecs::wal_gen::wal_generator;

namespace {

/// A compact workload that exercises every feature.
generator_params busy_params(std::uint64_t seed = 42) {
  generator_params p;
  p.seed = seed;
  p.table_count = 3;
  p.column_count = 6;
  p.column_types.enumeration = 1;
  p.initial_rows_per_table = 20;
  p.operations = {50, 35, 12, 1};
  p.min_rows_per_txn = 1;
  p.max_rows_per_txn = 12;
  p.unchanged_toast_share = 0.3;
  p.key_change_share = 0.1;
  p.keepalive_every_txns = 7;
  p.alter_every_txns = 40;
  p.message_every_txns = 11;
  p.stream_above_rows = 8;
  p.max_txns = 400;
  return p;
}

std::vector<std::string> collect(generator& gen, std::size_t max_bytes = 64 * 1024,
                                 std::size_t max_events = SIZE_MAX) {
  std::vector<std::string> out;
  wal_chunk chunk;
  for (;;) {
    chunk.clear();
    const std::size_t n = gen.next_batch(chunk, max_bytes, max_events);
    BOOST_TEST_REQUIRE(n == chunk.size());
    if (n == 0) break;
    for (std::size_t i = 0; i < chunk.size(); ++i) out.emplace_back(chunk[i]);
  }
  BOOST_TEST(gen.finished());
  return out;
}

std::vector<std::string> generate(const generator_params& p, std::size_t max_bytes = 64 * 1024) {
  generator gen(p);
  return collect(gen, max_bytes);
}

pg::envelope envelope_of(std::string_view payload) {
  auto r = pg::decode_envelope(payload);
  if (const auto* err = std::get_if<pg::decode_error>(&r)) BOOST_FAIL("envelope: " << pg::to_string(*err));
  return std::get<pg::envelope>(r);
}

/// Decodes a whole stream; each payload's envelope and (for 'w') message type.
struct decoded {
  char env = 0;
  char type = 0;            ///< pgoutput message type for 'w'
  pg::lsn_t data_start = 0; ///< 'w' dataStart, 'k' walEnd
};

char type_of(const pg::message& m) {
  return std::visit(
      [](const auto& v) -> char {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, pg::begin_msg>) return 'B';
        else if constexpr (std::is_same_v<T, pg::commit_msg>) return 'C';
        else if constexpr (std::is_same_v<T, pg::origin_msg>) return 'O';
        else if constexpr (std::is_same_v<T, pg::relation_msg>) return 'R';
        else if constexpr (std::is_same_v<T, pg::type_msg>) return 'Y';
        else if constexpr (std::is_same_v<T, pg::insert_msg>) return 'I';
        else if constexpr (std::is_same_v<T, pg::update_msg>) return 'U';
        else if constexpr (std::is_same_v<T, pg::delete_msg>) return 'D';
        else if constexpr (std::is_same_v<T, pg::truncate_msg>) return 'T';
        else if constexpr (std::is_same_v<T, pg::logical_message_msg>) return 'M';
        else if constexpr (std::is_same_v<T, pg::stream_start_msg>) return 'S';
        else if constexpr (std::is_same_v<T, pg::stream_stop_msg>) return 'E';
        else if constexpr (std::is_same_v<T, pg::stream_commit_msg>) return 'c';
        else if constexpr (std::is_same_v<T, pg::stream_abort_msg>) return 'A';
        else return v.type;
      },
      m);
}

/// Calls f(envelope, message-or-null) for every payload, decoding with one decoder.
template <class F>
void for_each_message(const std::vector<std::string>& stream, F&& f) {
  pg::decoder dec;
  for (const std::string& payload : stream) {
    const pg::envelope env = envelope_of(payload);
    if (const auto* x = std::get_if<pg::xlog_data>(&env)) {
      auto r = dec.decode(x->payload);
      if (const auto* err = std::get_if<pg::decode_error>(&r)) BOOST_FAIL("message: " << pg::to_string(*err));
      f(env, &std::get<pg::message>(r));
    } else {
      f(env, nullptr);
    }
  }
}

std::vector<decoded> summarize(const std::vector<std::string>& stream) {
  std::vector<decoded> out;
  for_each_message(stream, [&out](const pg::envelope& env, const pg::message* m) {
    if (const auto* x = std::get_if<pg::xlog_data>(&env)) out.push_back({'w', type_of(*m), x->data_start});
    else if (const auto* k = std::get_if<pg::keepalive>(&env)) out.push_back({'k', 0, k->wal_end});
  });
  return out;
}

/// Index of the first payload of every element (transaction, keepalive, non-transactional
/// message) with the element's position: commit end LSN, walEnd, or message LSN.
std::vector<std::pair<std::size_t, pg::lsn_t>> elements(const std::vector<decoded>& s) {
  std::vector<std::pair<std::size_t, pg::lsn_t>> out;
  std::optional<std::size_t> txn_start;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const decoded& d = s[i];
    if (d.env == 'k') {
      out.push_back({i, d.data_start});
    } else if (!txn_start && (d.type == 'B' || d.type == 'S')) {
      txn_start = i;
    } else if (!txn_start && d.type == 'M') {
      out.push_back({i, d.data_start});
    } else if (d.type == 'C' || d.type == 'c') {
      out.push_back({txn_start.value_or(i), d.data_start});
      txn_start.reset();
    }
  }
  return out;
}

std::int64_t key_of(pg::tuple t) {
  BOOST_TEST_REQUIRE(t.size() > 0);
  BOOST_TEST_REQUIRE((t[0].kind == pg::value_kind::text));
  return std::stoll(std::string(t[0].data));
}

std::optional<std::string> text_of(const pg::column_value& v) {
  if (v.kind == pg::value_kind::null) return std::nullopt;
  return std::string(v.data);
}

/// Applies a decoded text-format stream to rows, checking on the way that every update and
/// delete hits an existing key, every insert a fresh one, and that 'O' tuples equal the
/// current row. Afterwards `tables` must equal the generator's expected rows.
struct replica {
  struct table {
    std::size_t ncols = 0;
    char identity = 0;
    std::map<std::int64_t, row_values> rows;
  };
  std::map<std::uint32_t, table> tables;
  std::uint64_t inserts = 0, updates = 0, deletes = 0, truncates = 0, full_old = 0, key_old = 0, unchanged = 0;

  row_values row_from(const table& t, pg::tuple tup, const row_values* previous) {
    BOOST_TEST_REQUIRE(tup.size() == t.ncols);
    row_values r(t.ncols);
    for (std::size_t c = 0; c < tup.size(); ++c) {
      if (tup[c].kind == pg::value_kind::unchanged_toast) {
        BOOST_TEST_REQUIRE(previous != nullptr);
        BOOST_TEST_REQUIRE(c < previous->size());
        BOOST_TEST_REQUIRE((*previous)[c].has_value());
        r[c] = (*previous)[c];
        ++unchanged;
      } else {
        r[c] = text_of(tup[c]);
      }
    }
    return r;
  }

  void apply(const pg::message& m) {
    if (const auto* rel = std::get_if<pg::relation_msg>(&m)) {
      table& t = tables[rel->relid];
      BOOST_TEST_REQUIRE(rel->columns.size() >= t.ncols);  // only ADD COLUMN happens
      t.ncols = rel->columns.size();
      t.identity = rel->replica_identity;
      for (auto& [k, row] : t.rows) row.resize(t.ncols);  // added columns are NULL
    } else if (const auto* ins = std::get_if<pg::insert_msg>(&m)) {
      table& t = tables.at(ins->relid);
      const std::int64_t key = key_of(ins->new_tuple);
      BOOST_TEST_REQUIRE(t.rows.count(key) == 0);
      t.rows[key] = row_from(t, ins->new_tuple, nullptr);
      ++inserts;
    } else if (const auto* up = std::get_if<pg::update_msg>(&m)) {
      table& t = tables.at(up->relid);
      const std::int64_t old_key = up->old_kind ? key_of(up->old_tuple) : key_of(up->new_tuple);
      auto it = t.rows.find(old_key);
      BOOST_TEST_REQUIRE((it != t.rows.end()));
      if (up->old_kind == 'O') {
        BOOST_TEST(t.identity == 'f');
        BOOST_TEST((row_from(t, up->old_tuple, nullptr) == it->second));
        ++full_old;
      } else if (up->old_kind == 'K') {
        BOOST_TEST(t.identity == 'd');
        BOOST_TEST(key_of(up->new_tuple) != old_key);
        ++key_old;
      } else {
        BOOST_TEST(t.identity == 'd');
      }
      row_values r = row_from(t, up->new_tuple, &it->second);
      const std::int64_t new_key = key_of(up->new_tuple);
      t.rows.erase(it);
      BOOST_TEST_REQUIRE(t.rows.count(new_key) == 0);
      t.rows[new_key] = std::move(r);
      ++updates;
    } else if (const auto* del = std::get_if<pg::delete_msg>(&m)) {
      table& t = tables.at(del->relid);
      auto it = t.rows.find(key_of(del->old_tuple));
      BOOST_TEST_REQUIRE((it != t.rows.end()));
      if (del->old_kind == 'O') {
        BOOST_TEST(t.identity == 'f');
        BOOST_TEST((row_from(t, del->old_tuple, nullptr) == it->second));
        ++full_old;
      } else {
        BOOST_TEST(del->old_kind == 'K');
        for (std::size_t c = 1; c < del->old_tuple.size(); ++c)
          BOOST_TEST((del->old_tuple[c].kind == pg::value_kind::null));
      }
      t.rows.erase(it);
      ++deletes;
    } else if (const auto* tr = std::get_if<pg::truncate_msg>(&m)) {
      for (std::uint32_t relid : tr->relids) tables.at(relid).rows.clear();
      ++truncates;
    }
  }
};

/// Seeds a replica with the generator's initial rows (a snapshot), then replays `stream`.
replica replay(const generator_params& p, const std::vector<std::string>& stream) {
  generator initial(p);  // nothing generated yet: its rows are the initial rows
  replica rep;
  for (std::size_t t = 0; t < initial.table_count(); ++t) {
    auto& tab = rep.tables[initial.relid(t)];
    tab.ncols = initial.columns(t).size();
    tab.rows = initial.expected_rows(t);
  }
  for_each_message(stream, [&rep](const pg::envelope&, const pg::message* m) {
    if (m) rep.apply(*m);
  });
  return rep;
}

void check_final_state(const generator& gen, const replica& rep) {
  for (std::size_t t = 0; t < gen.table_count(); ++t) {
    BOOST_TEST_CONTEXT("table " << gen.table_name(t)) {
      const auto expected = gen.expected_rows(t);
      const auto& got = rep.tables.at(gen.relid(t)).rows;
      BOOST_TEST(got.size() == expected.size());
      BOOST_TEST(gen.row_count(t) == expected.size());
      BOOST_TEST((got == expected));
      std::uint64_t sum = 0;
      for (const auto& [key, row] : got) {
        std::vector<std::optional<std::string_view>> views;
        for (const auto& v : row) views.push_back(v ? std::optional<std::string_view>(*v) : std::nullopt);
        views.resize(gen.columns(t).size());
        sum += generator::row_checksum(views);
      }
      BOOST_TEST(sum == gen.checksum(t));
    }
  }
}

std::vector<std::string> without_schema(const std::vector<std::string>& stream) {
  std::vector<std::string> out;
  const auto s = summarize(stream);
  for (std::size_t i = 0; i < stream.size(); ++i)
    if (s[i].type != 'R' && s[i].type != 'Y') out.push_back(stream[i]);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wal_generator)

BOOST_AUTO_TEST_CASE(same_seed_gives_identical_bytes_whatever_the_batch_size) {
  const auto a = generate(busy_params(), 64 * 1024);
  const auto b = generate(busy_params(), 1);  // one step per batch
  generator gen(busy_params());
  const auto c = collect(gen, SIZE_MAX, 3);
  BOOST_TEST(a.size() > 1000u);
  BOOST_TEST((a == b));
  BOOST_TEST((a == c));
}

BOOST_AUTO_TEST_CASE(different_seeds_give_different_streams) {
  const auto a = generate(busy_params(1));
  const auto b = generate(busy_params(2));
  BOOST_TEST((a != b));
}

BOOST_AUTO_TEST_CASE(every_message_decodes_and_replays_to_the_expected_rows) {
  for (const identity_mode identity : {identity_mode::default_key, identity_mode::full}) {
    generator_params p = busy_params(7);
    p.identity = identity;
    generator gen(p);
    const auto stream = collect(gen);
    const replica rep = replay(p, stream);
    BOOST_TEST(rep.inserts > 0u);
    BOOST_TEST(rep.updates > 0u);
    BOOST_TEST(rep.deletes > 0u);
    BOOST_TEST(rep.truncates > 0u);
    BOOST_TEST(rep.unchanged > 0u);
    if (identity == identity_mode::full) {
      BOOST_TEST(rep.full_old == rep.updates + rep.deletes);  // FULL: 'O' on every update/delete
      BOOST_TEST(rep.key_old == 0u);
    } else {
      BOOST_TEST(rep.full_old == 0u);
      BOOST_TEST(rep.key_old > 0u);  // key changes
    }
    BOOST_TEST(gen.changes_emitted() == rep.inserts + rep.updates + rep.deletes + rep.truncates);
    check_final_state(gen, rep);
  }
}

BOOST_AUTO_TEST_CASE(walsender_ordering_and_lsn_rules) {
  const generator_params p = busy_params(3);
  generator gen(p);
  const auto stream = collect(gen);
  BOOST_TEST(gen.events_emitted() == stream.size());

  pg::lsn_t last_pos = 0;         // every non-zero position: never decreases
  pg::lsn_t last_change = 0;      // change records: strictly increase
  pg::lsn_t begin_final = 0;
  std::optional<std::uint32_t> stream_xid;
  bool in_txn = false, streamed_txn = false;
  std::set<std::uint32_t> relation_sent;    // this session
  std::set<std::uint32_t> relation_in_txn;  // this streamed transaction
  std::map<std::uint32_t, std::size_t> ncols;
  std::uint64_t commits = 0, streamed = 0, keepalives = 0, messages = 0, alters = 0;
  bool pending_type = false;

  for_each_message(stream, [&](const pg::envelope& env, const pg::message* m) {
    if (const auto* k = std::get_if<pg::keepalive>(&env)) {
      BOOST_TEST(!in_txn);
      BOOST_TEST(k->wal_end > last_pos);
      last_pos = k->wal_end;
      ++keepalives;
      return;
    }
    const auto& x = std::get<pg::xlog_data>(env);
    BOOST_TEST(x.data_start == x.wal_end);
    const char type = type_of(*m);
    if (type == 'R' || type == 'Y') {
      BOOST_TEST(x.data_start == 0u);
    } else {
      BOOST_TEST(x.data_start >= last_pos);
      last_pos = x.data_start;
    }
    std::optional<std::uint32_t> expect_xid;
    if (streamed_txn) expect_xid = stream_xid.value_or(0);
    switch (type) {
      case 'B': {
        BOOST_TEST(!in_txn);
        in_txn = true;
        streamed_txn = false;
        begin_final = std::get<pg::begin_msg>(*m).final_lsn;
        break;
      }
      case 'S': {
        const auto& s = std::get<pg::stream_start_msg>(*m);
        if (!in_txn) {
          BOOST_TEST(s.first_segment == 1);
          in_txn = true;
          streamed_txn = true;
          stream_xid = s.xid;
          relation_in_txn.clear();
          ++streamed;
        } else {
          BOOST_TEST(streamed_txn);
          BOOST_TEST(s.first_segment == 0);
          BOOST_TEST(s.xid == *stream_xid);
        }
        break;
      }
      case 'E': BOOST_TEST(streamed_txn); break;
      case 'Y': {
        const auto& y = std::get<pg::type_msg>(*m);
        BOOST_TEST(y.oid >= 10000u);
        BOOST_TEST((y.xid == expect_xid));
        pending_type = true;
        break;
      }
      case 'R': {
        const auto& r = std::get<pg::relation_msg>(*m);
        BOOST_TEST((r.xid == expect_xid));
        bool has_enum = false;
        for (const auto& c : r.columns) has_enum |= c.type_oid >= 10000;
        BOOST_TEST(has_enum == pending_type);  // Type messages come right before their Relation
        pending_type = false;
        if (ncols.count(r.relid) && r.columns.size() != ncols[r.relid]) {
          BOOST_TEST(r.columns.size() == ncols[r.relid] + 1);
          ++alters;
        }
        ncols[r.relid] = r.columns.size();
        if (streamed_txn) relation_in_txn.insert(r.relid);
        else relation_sent.insert(r.relid);
        break;
      }
      case 'I':
      case 'U':
      case 'D':
      case 'T': {
        BOOST_TEST(in_txn);
        BOOST_TEST(x.data_start > last_change);
        last_change = x.data_start;
        std::uint32_t relid = 0;
        std::optional<std::uint32_t> xid;
        std::visit(
            [&](const auto& v) {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, pg::insert_msg> || std::is_same_v<T, pg::update_msg> ||
                            std::is_same_v<T, pg::delete_msg>) {
                relid = v.relid;
                xid = v.xid;
              } else if constexpr (std::is_same_v<T, pg::truncate_msg>) {
                relid = v.relids[0];
                xid = v.xid;
              }
            },
            *m);
        BOOST_TEST((xid == expect_xid));
        // a Relation preceded the table's first change (per streamed txn when streaming)
        BOOST_TEST((streamed_txn ? relation_in_txn.count(relid) : relation_sent.count(relid)) == 1u);
        break;
      }
      case 'C': {
        const auto& c = std::get<pg::commit_msg>(*m);
        BOOST_TEST(in_txn);
        BOOST_TEST(!streamed_txn);
        BOOST_TEST(c.commit_lsn == begin_final);
        BOOST_TEST(c.commit_lsn > last_change);
        BOOST_TEST(c.end_lsn > c.commit_lsn);
        BOOST_TEST(x.data_start == c.end_lsn);
        in_txn = false;
        ++commits;
        break;
      }
      case 'c': {
        const auto& c = std::get<pg::stream_commit_msg>(*m);
        BOOST_TEST(streamed_txn);
        BOOST_TEST(c.xid == *stream_xid);
        BOOST_TEST(c.commit_lsn > last_change);
        BOOST_TEST(c.end_lsn > c.commit_lsn);
        BOOST_TEST(x.data_start == c.end_lsn);
        for (std::uint32_t r : relation_in_txn) relation_sent.insert(r);
        in_txn = false;
        streamed_txn = false;
        ++commits;
        break;
      }
      case 'M': {
        const auto& msg = std::get<pg::logical_message_msg>(*m);
        BOOST_TEST(!in_txn);
        BOOST_TEST(!msg.transactional());
        BOOST_TEST(msg.lsn == x.data_start);
        BOOST_TEST(msg.prefix == p.message_prefix);
        ++messages;
        break;
      }
      default: BOOST_FAIL("unexpected message type " << type);
    }
  });
  BOOST_TEST(!in_txn);
  BOOST_TEST(commits == p.max_txns);
  BOOST_TEST(gen.txns_emitted() == p.max_txns);
  BOOST_TEST(streamed > 0u);
  BOOST_TEST(keepalives == p.max_txns / p.keepalive_every_txns);
  BOOST_TEST(messages == p.max_txns / p.message_every_txns);
  BOOST_TEST(alters > 0u);
  BOOST_TEST(gen.position() == last_pos);
}

BOOST_AUTO_TEST_CASE(seek_in_the_same_session_reproduces_the_bytes_from_there) {
  const generator_params p = busy_params(11);
  const auto full = generate(p);
  const auto elems = elements(summarize(full));
  BOOST_TEST_REQUIRE(elems.size() > 400u);
  // restart points: element positions (acknowledged LSNs), one byte past them, LSNs in the
  // middle of a transaction, before the start and past the end
  std::vector<pg::lsn_t> points = {0, p.start_lsn};
  for (std::size_t i : {1ul, 57ul, 200ul, 333ul, elems.size() - 2}) {
    points.push_back(elems[i].second);
    points.push_back(elems[i].second + 1);
    points.push_back((elems[i].second + elems[i + 1].second) / 2);
  }
  points.push_back(elems.back().second);
  for (const pg::lsn_t lsn : points) {
    BOOST_TEST_CONTEXT("seek to " << lsn) {
      std::size_t first = full.size();
      for (const auto& [index, pos] : elems) {
        if (pos > lsn) {
          first = index;
          break;
        }
      }
      const std::vector<std::string> expected(full.begin() + static_cast<std::ptrdiff_t>(first), full.end());
      generator gen(p);
      gen.seek(lsn, resume_mode::same_session);
      BOOST_TEST(gen.position() <= std::max(lsn, p.start_lsn));
      const auto got = collect(gen, 4096);
      BOOST_TEST(got.size() == expected.size());
      BOOST_TEST((got == expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(seek_as_a_new_session_resends_relations_first) {
  const generator_params p = busy_params(12);
  generator whole(p);
  const auto full = collect(whole);
  const auto elems = elements(summarize(full));
  const pg::lsn_t lsn = elems[elems.size() / 2].second;  // an acknowledged commit / keepalive / message
  std::size_t first = 0;
  for (const auto& [index, pos] : elems) {
    if (pos > lsn) {
      first = index;
      break;
    }
  }
  generator gen(p);
  gen.seek(lsn);  // new_session
  const auto resumed = collect(gen);
  // same changes, commits, keepalives; only Relation/Type messages differ
  BOOST_TEST((without_schema(resumed) ==
              without_schema(std::vector<std::string>(full.begin() + static_cast<std::ptrdiff_t>(first), full.end()))));
  // and every table's first change in the new session comes after its Relation
  std::set<std::uint32_t> sent;
  bool streamed = false;
  std::set<std::uint32_t> sent_in_stream;
  for_each_message(resumed, [&](const pg::envelope&, const pg::message* m) {
    if (!m) return;
    if (std::holds_alternative<pg::stream_start_msg>(*m) && std::get<pg::stream_start_msg>(*m).first_segment) {
      streamed = true;
      sent_in_stream.clear();
    }
    if (std::holds_alternative<pg::stream_commit_msg>(*m)) {
      streamed = false;
      sent.insert(sent_in_stream.begin(), sent_in_stream.end());
    }
    if (const auto* r = std::get_if<pg::relation_msg>(m)) (streamed ? sent_in_stream : sent).insert(r->relid);
    if (const auto* i = std::get_if<pg::insert_msg>(m)) BOOST_TEST((streamed ? sent_in_stream : sent).count(i->relid) == 1u);
    if (const auto* u = std::get_if<pg::update_msg>(m)) BOOST_TEST((streamed ? sent_in_stream : sent).count(u->relid) == 1u);
    if (const auto* d = std::get_if<pg::delete_msg>(m)) BOOST_TEST((streamed ? sent_in_stream : sent).count(d->relid) == 1u);
  });
  // the resumed run ends in the same rows as the uninterrupted one
  for (std::size_t t = 0; t < p.table_count; ++t) BOOST_TEST(gen.checksum(t) == whole.checksum(t));
}

BOOST_AUTO_TEST_CASE(operation_mix_is_close_to_the_weights) {
  generator_params p;
  p.seed = 5;
  p.table_count = 4;
  p.initial_rows_per_table = 100000;  // updates/deletes never meet an empty table
  p.operations = {50, 30, 15, 5};
  p.max_changes = 40000;
  p.max_rows_per_txn = 20;
  // a truncate empties its table; keep them from turning updates into inserts
  p.operations.truncates = 0;
  std::map<char, double> count;
  double total = 0;
  for_each_message(generate(p), [&](const pg::envelope&, const pg::message* m) {
    if (!m) return;
    const char t = type_of(*m);
    if (t == 'I' || t == 'U' || t == 'D' || t == 'T') {
      count[t] += 1;
      total += 1;
    }
  });
  BOOST_TEST(total >= 40000);
  BOOST_TEST(count['I'] / total == 50.0 / 95, boost::test_tools::tolerance(0.03));
  BOOST_TEST(count['U'] / total == 30.0 / 95, boost::test_tools::tolerance(0.03));
  BOOST_TEST(count['D'] / total == 15.0 / 95, boost::test_tools::tolerance(0.03));

  p.operations = {60, 30, 0, 10};  // truncates, with few rows so that tables empty often
  p.initial_rows_per_table = 0;
  p.max_changes = 20000;
  count.clear();
  total = 0;
  for_each_message(generate(p), [&](const pg::envelope&, const pg::message* m) {
    if (!m) return;
    const char t = type_of(*m);
    if (t == 'I' || t == 'U' || t == 'D' || t == 'T') {
      count[t] += 1;
      total += 1;
    }
  });
  BOOST_TEST(count['T'] / total == 0.10, boost::test_tools::tolerance(0.1));
}

BOOST_AUTO_TEST_CASE(unchanged_toast_share_is_respected) {
  generator_params p;
  p.seed = 9;
  p.column_count = 5;
  p.column_types = {};
  p.column_types.int4 = 0;
  p.column_types.int8 = 0;
  p.column_types.float8 = 0;
  p.column_types.numeric = 0;
  p.column_types.boolean = 0;
  p.column_types.timestamptz = 0;
  p.column_types.uuid = 0;
  p.column_types.text = 1;
  p.column_types.jsonb = 1;
  p.null_share = 0;
  p.initial_rows_per_table = 1000;
  p.operations = {0, 1, 0, 0};
  p.unchanged_toast_share = 0.25;
  p.max_changes = 20000;
  double updates = 0, with_u = 0, u_columns = 0, columns = 0;
  for_each_message(generate(p), [&](const pg::envelope&, const pg::message* m) {
    const auto* u = m ? std::get_if<pg::update_msg>(m) : nullptr;
    if (!u) return;
    ++updates;
    std::size_t n = 0;
    for (std::size_t c = 1; c < u->new_tuple.size(); ++c) n += u->new_tuple[c].kind == pg::value_kind::unchanged_toast;
    BOOST_TEST((n == 0 || n == u->new_tuple.size() - 1));  // all TOAST columns of the update
    BOOST_TEST((u->new_tuple[0].kind == pg::value_kind::text));  // never the key
    with_u += n > 0;
    u_columns += static_cast<double>(n);
    columns += static_cast<double>(u->new_tuple.size() - 1);
  });
  BOOST_TEST(updates >= 20000);
  BOOST_TEST(with_u / updates == 0.25, boost::test_tools::tolerance(0.06));
  BOOST_TEST(u_columns / columns == 0.25, boost::test_tools::tolerance(0.06));
}

BOOST_AUTO_TEST_CASE(binary_format_carries_the_same_values_as_text) {
  generator_params p = busy_params(21);
  p.column_count = 12;
  p.column_types.text = 1;  // make the fixed-size types frequent
  p.alter_every_txns = 0;
  p.max_txns = 60;
  p.null_share = 0;
  generator_params pb = p;
  pb.format = value_format::binary;
  const auto text = generate(p);
  const auto bin = generate(pb);
  BOOST_TEST_REQUIRE(text.size() == bin.size());
  generator schema(p);
  // relid -> column type oids
  std::map<std::uint32_t, std::vector<std::uint32_t>> oids;
  for (std::size_t t = 0; t < schema.table_count(); ++t)
    for (const auto& c : schema.columns(t)) oids[schema.relid(t)].push_back(c.type_oid);

  auto be = [](std::string_view b) {
    std::uint64_t v = 0;
    for (unsigned char c : b) v = v << 8 | c;
    return v;
  };
  auto numeric_text = [&be](std::string_view b) {
    const auto nd = static_cast<int>(be(b.substr(0, 2)));
    const auto weight = static_cast<std::int16_t>(be(b.substr(2, 2)));
    const bool neg = be(b.substr(4, 2)) == 0x4000;
    BOOST_TEST(be(b.substr(6, 2)) == 2u);
    BOOST_TEST(b.size() == 8u + 2u * static_cast<std::size_t>(nd));
    // integer part and two decimals from base-10000 digits
    std::int64_t units = 0, frac = 0;
    for (int i = 0; i < nd; ++i) {
      const auto d = static_cast<std::int64_t>(be(b.substr(8 + 2 * static_cast<std::size_t>(i), 2)));
      const int pos = weight - i;  // power of 10000
      if (pos >= 0) {
        std::int64_t m = d;
        for (int k = 0; k < pos; ++k) m *= 10000;
        units += m;
      } else if (pos == -1) {
        frac = d / 100;
        BOOST_TEST(d % 100 == 0);
      } else {
        BOOST_TEST(d == 0);
      }
    }
    std::string s = neg ? "-" : "";
    s += std::to_string(units) + "." + (frac < 10 ? "0" : "") + std::to_string(frac);
    return s;
  };

  std::vector<std::pair<pg::tuple, std::uint32_t>> text_tuples;
  std::vector<std::string> text_values;
  for_each_message(text, [&](const pg::envelope&, const pg::message* m) {
    if (const auto* i = m ? std::get_if<pg::insert_msg>(m) : nullptr)
      for (const auto& v : i->new_tuple) text_values.push_back(v.kind == pg::value_kind::null ? "<null>" : std::string(v.data));
  });
  std::size_t n = 0, checked = 0;
  for_each_message(bin, [&](const pg::envelope&, const pg::message* m) {
    const auto* i = m ? std::get_if<pg::insert_msg>(m) : nullptr;
    if (!i) return;
    const auto& types = oids.at(i->relid);
    for (std::size_t c = 0; c < i->new_tuple.size(); ++c, ++n) {
      const auto& v = i->new_tuple[c];
      const std::string& t = text_values.at(n);
      if (v.kind == pg::value_kind::null) {
        BOOST_TEST(t == "<null>");
        continue;
      }
      BOOST_TEST_REQUIRE((v.kind == pg::value_kind::binary));
      const std::string_view b = v.data;
      switch (c < types.size() ? types[c] : 0) {
        case 20: BOOST_TEST(static_cast<std::int64_t>(be(b)) == std::stoll(t)); BOOST_TEST(b.size() == 8u); break;
        case 23: BOOST_TEST(static_cast<std::int32_t>(be(b)) == std::stoi(t)); BOOST_TEST(b.size() == 4u); break;
        case 16: BOOST_TEST(b.size() == 1u); BOOST_TEST((b[0] == 1 ? "t" : "f") == t); break;
        case 701: BOOST_TEST(std::bit_cast<double>(be(b)) == std::stod(t)); break;
        case 1700: BOOST_TEST(numeric_text(b) == t); break;
        case 25: BOOST_TEST(b == t); break;
        case 3802: BOOST_TEST(b.size() == t.size() + 1); BOOST_TEST(b.substr(1) == t); BOOST_TEST(b[0] == 1); break;
        case 2950: {
          std::string hex;
          static constexpr char digits[] = "0123456789abcdef";
          for (unsigned char ch : b) {
            if (hex.size() == 8 || hex.size() == 13 || hex.size() == 18 || hex.size() == 23) hex += '-';
            hex += digits[ch >> 4];
            hex += digits[ch & 15];
          }
          BOOST_TEST(hex == t);
          break;
        }
        case 1184: {
          BOOST_TEST(b.size() == 8u);
          BOOST_TEST(t.size() >= 22u);
          BOOST_TEST(t.substr(t.size() - 3) == "+00");
          break;
        }
        default: BOOST_TEST(b == t); break;  // enum: its label
      }
      ++checked;
    }
  });
  BOOST_TEST(checked > 500u);
}

BOOST_AUTO_TEST_CASE(text_values_look_like_postgresql_output) {
  generator_params p;
  p.seed = 77;
  p.column_count = 40;
  p.column_types.enumeration = 1;
  p.max_txns = 30;
  p.null_share = 0;
  generator gen(p);
  collect(gen);
  std::size_t checked = 0;
  for (std::size_t t = 0; t < gen.table_count(); ++t) {
    const auto cols = gen.columns(t);
    for (const auto& [key, row] : gen.expected_rows(t)) {
      BOOST_TEST(*row[0] == std::to_string(key));
      for (std::size_t c = 1; c < cols.size(); ++c) {
        const std::string& v = *row[c];
        switch (cols[c].type) {
          case column_type::numeric: {
            const auto dot = v.find('.');
            BOOST_TEST(dot != std::string::npos);
            BOOST_TEST(v.size() - dot == 3u);
            BOOST_TEST(cols[c].typmod == ((12 << 16) | 2) + 4);
            break;
          }
          case column_type::timestamptz:
            // 2024-03-05 07:08:09[.fraction]+00, no trailing zeros in the fraction
            BOOST_TEST(v.substr(0, 2) == "20");
            BOOST_TEST(v[4] == '-');
            BOOST_TEST(v[10] == ' ');
            BOOST_TEST(v.substr(v.size() - 3) == "+00");
            if (v.size() > 22) {
              BOOST_TEST(v[19] == '.');
              BOOST_TEST(v[v.size() - 4] != '0');
            }
            break;
          case column_type::boolean: BOOST_TEST((v == "t" || v == "f")); break;
          case column_type::uuid: BOOST_TEST(v.size() == 36u); BOOST_TEST(v[8] == '-'); break;
          case column_type::jsonb: BOOST_TEST(v.substr(0, 6) == "{\"n\": "); BOOST_TEST(v.back() == '}'); break;
          case column_type::enumeration: BOOST_TEST((v == "sad" || v == "ok" || v == "happy")); break;
          case column_type::float8:
            BOOST_TEST(v.find('e') == std::string::npos);
            BOOST_TEST(std::to_string(std::stod(v)).substr(0, 1) == v.substr(0, 1));
            break;
          default: break;
        }
        ++checked;
      }
    }
  }
  BOOST_TEST(checked > 100u);
}

BOOST_AUTO_TEST_CASE(bounds_end_the_stream_after_a_whole_transaction) {
  generator_params p;
  p.max_txns = 25;
  generator a(p);
  const auto sa = collect(a);
  BOOST_TEST(a.txns_emitted() == 25u);
  BOOST_TEST(!a.in_transaction());
  BOOST_TEST(a.last_commit_end() == a.position());

  p.max_txns = 0;
  p.max_changes = 1000;
  p.min_rows_per_txn = 7;
  p.max_rows_per_txn = 7;
  generator b(p);
  collect(b);
  BOOST_TEST(b.changes_emitted() == 1001u);  // 143 transactions of 7
  BOOST_TEST(b.txns_emitted() == 143u);

  wal_chunk chunk;
  BOOST_TEST(b.next_batch(chunk, 1 << 20) == 0u);
  BOOST_TEST(chunk.empty());
}

BOOST_AUTO_TEST_CASE(batches_stop_near_max_bytes_and_max_events) {
  generator_params p;
  p.max_txns = 200;
  generator gen(p);
  wal_chunk chunk;
  const std::size_t n = gen.next_batch(chunk, 4096);
  BOOST_TEST(n == chunk.size());
  BOOST_TEST(chunk.bytes.size() >= 4096u);
  BOOST_TEST(chunk.bytes.size() < 4096u + 2048u);
  BOOST_TEST(chunk.ends.back() == chunk.bytes.size());
  chunk.clear();
  BOOST_TEST(gen.next_batch(chunk, SIZE_MAX, 10) <= 12u);  // a step: Begin, Relation, change
  BOOST_TEST(chunk.size() >= 10u);
}

BOOST_AUTO_TEST_CASE(relation_is_resent_after_alter_table_with_the_new_column) {
  generator_params p;
  p.table_count = 1;
  p.column_count = 3;
  p.alter_every_txns = 5;
  p.max_txns = 21;
  p.initial_rows_per_table = 10;
  generator gen(p);
  std::vector<std::size_t> relation_columns;
  for_each_message(collect(gen), [&](const pg::envelope&, const pg::message* m) {
    if (const auto* r = m ? std::get_if<pg::relation_msg>(m) : nullptr) {
      relation_columns.push_back(r->columns.size());
      BOOST_TEST(r->columns[0].name == "id");
      BOOST_TEST(r->columns[0].flags == 1);
      BOOST_TEST(r->columns.back().flags == 0);
    }
  });
  BOOST_TEST((relation_columns == std::vector<std::size_t>{3, 4, 5, 6, 7}));
  BOOST_TEST(gen.columns(0).size() == 7u);
  BOOST_TEST(gen.columns(0)[6].name == "x4");
}

BOOST_AUTO_TEST_CASE(validate_names_every_bad_field) {
  generator_params p;
  p.table_count = 0;
  p.column_count = 0;
  p.min_rows_per_txn = 5;
  p.max_rows_per_txn = 2;
  p.unchanged_toast_share = 1.5;
  p.operations = {0, 0, 0, 0};
  const auto errors = validate(p);
  BOOST_TEST(errors.size() == 5u);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  for (const char* field : {"table_count", "column_count", "max_rows_per_txn", "unchanged_toast_share", "operations"})
    BOOST_TEST(all.find(field) != std::string::npos, field);
  BOOST_CHECK_THROW(generator{p}, std::invalid_argument);
  BOOST_TEST(validate(generator_params{}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
