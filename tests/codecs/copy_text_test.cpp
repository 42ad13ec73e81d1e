// copy_text: COPY TO STDOUT text bytes in, pgoutput-equal values out. The inputs are the
// exact bytes PostgreSQL 15 wrote for `COPY (SELECT ...) TO STDOUT`; the expected values are
// what `SELECT` of the same expressions returned in text format (the output functions that
// pgoutput runs too). Queries are quoted above each capture.
#include "codecs/values/copy_text.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace ct = pg2sr::codecs::copy_text;
namespace pg = pg2sr::codecs::pgoutput;

namespace pg2sr::codecs::copy_text {
// for Boost.Test's messages
std::ostream& operator<<(std::ostream& os, copy_text_errc code) { return os << to_string(code); }
}  // namespace pg2sr::codecs::copy_text

namespace {

using row = std::vector<std::optional<std::string>>;

// SELECT id, t FROM (VALUES
//  (1, E'a\tb'), (2, E'line1\nline2'), (3, E'back\\slash'), (4, E'cr\rhere\r\n'),
//  (5, 'héllo ✓ 😀 日本'), (6, NULL), (7, 'NULL'), (8, E'\\N'), (9, ''),
//  (10, E'\b\f' || chr(11) || E'\x01\x7f'), (11, E'\\\\ end\\'), (12, E'\\.'),
//  (13, E' spaced \t\t ')) v(id, t) ORDER BY id
const std::string text_copy =
    "1\ta\\tb\n"
    "2\tline1\\nline2\n"
    "3\tback\\\\slash\n"
    "4\tcr\\rhere\\r\\n\n"
    "5\th\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac\n"
    "6\t\\N\n"
    "7\tNULL\n"
    "8\t\\\\N\n"
    "9\t\n"
    "10\t\\b\\f\\v\x01\x7f\n"
    "11\t\\\\\\\\ end\\\\\n"
    "12\t\\\\.\n"
    "13\t spaced \\t\\t \n";

const std::vector<row> text_rows = {
    {"1", "a\tb"},
    {"2", "line1\nline2"},
    {"3", "back\\slash"},
    {"4", "cr\rhere\r\n"},
    {"5", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac"},
    {"6", std::nullopt},
    {"7", "NULL"},
    {"8", "\\N"},
    {"9", ""},
    {"10", "\x08\x0c\x0b\x01\x7f"},
    {"11", "\\\\ end\\"},
    {"12", "\\."},
    {"13", " spaced \t\t "},
};

// SELECT
//  ARRAY['a"b', 'c,d', NULL, E'e\\f', '', 'NULL', E'tab\there']::text[] AS arr,
//  '{"k": "v\"q\\\\ \n \u00e9 \t", "n": null, "a": [1, "x\\y"]}'::jsonb AS j,
//  '\xdeadbeef00'::bytea AS b, ROW(1, E'x"y\\z', NULL)::record::text AS rec,
//  '{{1,2},{3,NULL}}'::int[] AS arr2, '(1.5,-2)'::point AS pt, '[1,10)'::int4range AS rng,
//  123.4500::numeric AS num, true AS bo, '2024-02-29 12:34:56.789+00'::timestamptz AS ts
// (TimeZone Etc/UTC, DateStyle ISO, MDY)
const std::string typed_copy =
    "{\"a\\\\\"b\",\"c,d\",NULL,\"e\\\\\\\\f\",\"\",\"NULL\",\"tab\\there\"}\t"
    "{\"a\": [1, \"x\\\\\\\\y\"], \"k\": \"v\\\\\"q\\\\\\\\\\\\\\\\ \\\\n \xc3\xa9 \\\\t\", \"n\": null}\t"
    "\\\\xdeadbeef00\t(1,\"x\"\"y\\\\\\\\z\",)\t{{1,2},{3,NULL}}\t(1.5,-2)\t[1,10)\t123.4500\tt\t"
    "2024-02-29 12:34:56.789+00\n";

const row typed_row = {
    "{\"a\\\"b\",\"c,d\",NULL,\"e\\\\f\",\"\",\"NULL\",\"tab\there\"}",
    "{\"a\": [1, \"x\\\\y\"], \"k\": \"v\\\"q\\\\\\\\ \\n \xc3\xa9 \\t\", \"n\": null}",
    "\\xdeadbeef00",
    "(1,\"x\"\"y\\\\z\",)",
    "{{1,2},{3,NULL}}",
    "(1.5,-2)",
    "[1,10)",
    "123.4500",
    "t",
    "2024-02-29 12:34:56.789+00",
};

std::shared_ptr<const pg::relation_schema> schema(std::uint32_t relid, std::size_t columns) {
  auto s = std::make_shared<pg::relation_schema>();
  s->relid = relid;
  s->nspname = "public";
  s->relname = "t";
  for (std::size_t i = 0; i < columns; ++i) s->columns.push_back({"c" + std::to_string(i), 25, -1, i == 0, {}, {}});
  return s;
}

/// The batch's rows as owned values.
std::vector<row> rows_of(const pg::change_batch& b) {
  std::vector<row> out;
  for (const auto& e : b.events) {
    row r;
    for (const auto& v : b.new_tuple(e)) {
      if (v.kind == pg::value_kind::null) r.emplace_back(std::nullopt);
      else r.emplace_back(std::string(v.data));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string show(const std::optional<std::string>& v) { return v ? "'" + *v + "'" : "NULL"; }

void check_rows(const std::vector<row>& got, const std::vector<row>& want) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST_CONTEXT("row " << i) {
      BOOST_REQUIRE_EQUAL(got[i].size(), want[i].size());
      for (std::size_t c = 0; c < got[i].size(); ++c) BOOST_TEST(show(got[i][c]) == show(want[i][c]));
    }
  }
}

/// Feeds `data` in pieces ending at `cuts` and returns the rows (failing on any error).
std::vector<row> parse_split(const std::string& data, std::size_t columns, const std::vector<std::size_t>& cuts) {
  ct::copy_text_parser parser(7, columns);
  pg::change_batch batch;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    auto err = parser.feed(std::string_view(data).substr(at, cut - at), batch);
    BOOST_REQUIRE_MESSAGE(!err, ct::to_string(*err));
    at = cut;
  }
  auto err = parser.feed(std::string_view(data).substr(at), batch);
  BOOST_REQUIRE_MESSAGE(!err, ct::to_string(*err));
  BOOST_REQUIRE(!parser.finish());
  return rows_of(batch);
}

/// Feeds `data` whole, then finishes, and returns the error it must give.
ct::copy_text_error error_of(const std::string& data, std::size_t columns) {
  ct::copy_text_parser parser(7, columns);
  pg::change_batch batch;
  auto err = parser.feed(data, batch);
  if (err) {
    BOOST_TEST(batch.events.empty());  // all or nothing
    BOOST_TEST(batch.values.empty());
  } else {
    err = parser.finish();
  }
  BOOST_REQUIRE(err.has_value());
  return *err;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(copy_text)

BOOST_AUTO_TEST_CASE(parse_line_unescapes_postgres_text_values) {
  std::string_view rest = text_copy;
  for (const row& want : text_rows) {
    const std::size_t nl = rest.find('\n');
    row got;
    auto err = ct::parse_copy_text_line(rest.substr(0, nl), got);
    BOOST_REQUIRE_MESSAGE(!err, *err);
    check_rows({got}, {want});
    rest.remove_prefix(nl + 1);
  }
  BOOST_TEST(rest.empty());
}

BOOST_AUTO_TEST_CASE(parser_reads_postgres_text_values) {
  auto rel = schema(16384, 2);
  ct::copy_text_parser parser(rel);
  pg::change_batch batch;
  BOOST_REQUIRE(!parser.feed(text_copy, batch));
  BOOST_REQUIRE(!parser.finish());
  check_rows(rows_of(batch), text_rows);
  BOOST_TEST(parser.rows() == text_rows.size());
  BOOST_TEST(parser.bytes() == text_copy.size());
  BOOST_TEST(batch.payload_bytes == text_copy.size());
  for (const auto& e : batch.events) {
    BOOST_TEST((e.op == pg::change_op::insert));
    BOOST_TEST(e.relid == 16384u);
    BOOST_TEST(e.relation == rel.get());
    BOOST_TEST(e.new_count == 2u);
    BOOST_TEST(e.old_count == 0u);
    BOOST_TEST(e.lsn == 0u);
  }
  BOOST_REQUIRE_EQUAL(batch.relations.size(), 1u);
  BOOST_TEST(batch.relations[0] == rel);
  BOOST_TEST((batch.values[5 * 2 + 1].kind == pg::value_kind::null));
  BOOST_TEST((batch.values[6 * 2 + 1].kind == pg::value_kind::text));  // the string 'NULL'
}

BOOST_AUTO_TEST_CASE(a_line_without_escapes_is_marked_and_kept_verbatim_in_place) {
  ct::copy_text_parser parser(schema(16384, 2));
  pg::change_batch batch;
  BOOST_REQUIRE(!parser.feed(text_copy, batch));
  std::string_view rest = text_copy;
  std::size_t verbatim = 0;
  for (const auto& e : batch.events) {
    const std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(line.size() + 1);
    bool marked = (e.flags & pg::insert_copy_line) != 0;
    BOOST_TEST(marked == (line.find('\\') == std::string_view::npos), line);
    if (!marked) continue;
    ++verbatim;
    const auto& first = batch.values[e.new_begin].data;
    const auto& last = batch.values[e.new_begin + e.new_count - 1].data;
    BOOST_TEST(std::string_view(first.data(), static_cast<std::size_t>(last.data() + last.size() - first.data())) == line);
  }
  BOOST_TEST(verbatim == 3u);  // rows 5, 7, 9: no backslash; 1..4, 6, 8, 10..13: escapes or \N
}

BOOST_AUTO_TEST_CASE(parser_reads_postgres_arrays_jsonb_bytea_and_others) {
  std::vector<row> got = parse_split(typed_copy, typed_row.size(), {});
  check_rows(got, {typed_row});
}

BOOST_AUTO_TEST_CASE(parser_reads_pgbench_accounts_rows) {
  // COPY (SELECT 1 aid, 1 bid, 0 abalance, ''::char(84) filler) TO STDOUT
  const std::string filler(84, ' ');
  const std::string line = "1\t1\t0\t" + filler + "\n";
  check_rows(parse_split(line + line, 4, {}), {{"1", "1", "0", filler}, {"1", "1", "0", filler}});
}

BOOST_AUTO_TEST_CASE(split_at_every_byte_gives_the_same_rows) {
  const std::vector<row> want = parse_split(text_copy, 2, {});
  for (std::size_t cut = 0; cut <= text_copy.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut) { check_rows(parse_split(text_copy, 2, {cut}), want); }
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < text_copy.size(); ++i) every.push_back(i);
  check_rows(parse_split(text_copy, 2, every), want);
  std::vector<std::size_t> every_typed;
  for (std::size_t i = 1; i < typed_copy.size(); ++i) every_typed.push_back(i);
  check_rows(parse_split(typed_copy, typed_row.size(), every_typed), {typed_row});
}

// Escapes COPY FROM accepts though COPY TO never writes them; the expected values are what
// PostgreSQL 15 stored for the same input to `COPY ct(a text, b text) FROM STDIN`.
BOOST_AUTO_TEST_CASE(reads_octal_hex_and_self_standing_escapes_like_copy_from) {
  row got;
  BOOST_REQUIRE(!ct::parse_copy_text_line("\\101\\x41\\x4g\\xg\\q\\1011\t\\a\\\tz", got));
  check_rows({got}, {{"AA\x04gxgqA1", "a\tz"}});
  BOOST_REQUIRE(!ct::parse_copy_text_line("x\\\rq\tx\\Ny\t\\N\t\\x\t\\377\\xFf\\7", got));
  check_rows({got}, {{"x\rq", "xNy", std::nullopt, "x", "\xff\xff\x07"}});
}

BOOST_AUTO_TEST_CASE(empty_lines_are_one_empty_column_or_zero_columns) {
  check_rows(parse_split("\n\n", 1, {}), {{""}, {""}});
  // COPY (SELECT) TO STDOUT writes "\n" per row.
  ct::copy_text_parser parser(7, 0);
  pg::change_batch batch;
  BOOST_REQUIRE(!parser.feed("\n\n", batch));
  BOOST_REQUIRE_EQUAL(batch.events.size(), 2u);
  BOOST_TEST(batch.events[1].new_count == 0u);
  check_rows(parse_split("\t\n", 2, {}), {{"", ""}});
}

BOOST_AUTO_TEST_CASE(wrong_column_count_is_an_error_with_line_and_offset) {
  auto too_many = error_of("1\ta\n2\tb\tc\n", 2);
  BOOST_TEST(too_many.code == ct::copy_text_errc::column_count);
  BOOST_TEST(too_many.line == 2u);
  BOOST_TEST(too_many.offset == 7u);  // the second tab of line 2
  BOOST_TEST(too_many.expected_columns == 2u);
  BOOST_TEST(too_many.actual_columns == 3u);
  BOOST_TEST(ct::to_string(too_many) == "COPY text line 2, byte 7: expected 2 columns, got 3");

  auto too_few = error_of("1\ta\n2\n", 2);
  BOOST_TEST(too_few.line == 2u);
  BOOST_TEST(too_few.offset == 5u);  // the end of line 2
  BOOST_TEST(too_few.actual_columns == 1u);

  auto escaped_tab = error_of("1\ta\\\tb\tc\n", 2);  // `\<TAB>` is data, not a delimiter
  BOOST_TEST(escaped_tab.code == ct::copy_text_errc::column_count);
  BOOST_TEST(escaped_tab.offset == 6u);
}

BOOST_AUTO_TEST_CASE(corrupt_escapes_and_bytes_are_errors) {
  auto trailing = error_of("1\ta\n2\tb\\\n", 2);
  BOOST_TEST(trailing.code == ct::copy_text_errc::trailing_backslash);
  BOOST_TEST(trailing.line == 2u);
  BOOST_TEST(trailing.offset == 7u);
  BOOST_TEST(error_of("a\\\\\\\n", 1).code == ct::copy_text_errc::trailing_backslash);
  BOOST_TEST(error_of("\\.\n", 1).code == ct::copy_text_errc::end_of_data_marker);
  BOOST_TEST(error_of("x\\.y\n", 1).code == ct::copy_text_errc::end_of_data_marker);
  auto cr = error_of("ab\r\n", 1);
  BOOST_TEST(cr.code == ct::copy_text_errc::carriage_return);
  BOOST_TEST(cr.offset == 2u);
  BOOST_TEST(error_of("\\\\\rx\n", 1).code == ct::copy_text_errc::carriage_return);
  BOOST_TEST(error_of("x\\000\n", 1).code == ct::copy_text_errc::nul_byte);
  BOOST_TEST(error_of("x\\x00\n", 1).code == ct::copy_text_errc::nul_byte);
  BOOST_TEST(error_of("x\\400\n", 1).code == ct::copy_text_errc::nul_byte);  // 0400 & 0377

  auto incomplete = error_of("1\ta\n2\tb", 2);
  BOOST_TEST(incomplete.code == ct::copy_text_errc::incomplete_line);
  BOOST_TEST(incomplete.line == 2u);
  BOOST_TEST(incomplete.offset == 7u);

  row got;
  BOOST_TEST(ct::parse_copy_text_line("a\tb\\", got).value() == "COPY text line 1, byte 3: line ends in a backslash");
  BOOST_TEST(got.empty());
  BOOST_TEST(ct::parse_copy_text_line("a\nb", got).has_value());
}

BOOST_AUTO_TEST_CASE(feed_appends_nothing_on_error_and_the_error_sticks) {
  ct::copy_text_parser parser(7, 2);
  pg::change_batch batch;
  BOOST_REQUIRE(!parser.feed("1\ta\n", batch));
  auto err = parser.feed("2\tb\n3\n4\td\n", batch);
  BOOST_REQUIRE(err.has_value());
  BOOST_TEST(err->line == 3u);
  BOOST_TEST(batch.events.size() == 1u);
  BOOST_TEST(batch.values.size() == 2u);
  BOOST_TEST(batch.payload_bytes == 4u);
  BOOST_TEST(parser.rows() == 1u);
  BOOST_TEST(parser.feed("5\te\n", batch).has_value());
  BOOST_TEST(parser.finish().has_value());
  BOOST_TEST(batch.events.size() == 1u);

  parser.reset();
  BOOST_REQUIRE(!parser.feed("5\te\n", batch));
  BOOST_TEST(batch.events.size() == 2u);
  BOOST_TEST(parser.rows() == 1u);
}

BOOST_AUTO_TEST_CASE(values_outlive_the_parser_across_arena_blocks_and_batches) {
  std::vector<pg::change_batch> batches(3);
  std::vector<row> want;
  {
    ct::copy_text_parser parser(7, 2);
    const std::string big(ct::copy_text_parser::arena_block_bytes + 10, 'x');  // a block of its own
    for (int i = 0; i < 3000; ++i) {
      const std::string v = i % 1000 == 0 ? big : "value\\t" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 300), 'y');
      const std::string line = std::to_string(i) + "\t" + v + "\n";
      auto& batch = batches[static_cast<std::size_t>(i) / 1000];
      BOOST_REQUIRE(!parser.feed(line, batch));
      std::string unescaped = v;
      if (auto at = unescaped.find("\\t"); at != std::string::npos) unescaped.replace(at, 2, "\t");
      want.push_back({std::to_string(i), unescaped});
    }
    parser.reset(8, 1);
    auto& last = batches[2];
    BOOST_REQUIRE(!parser.feed("after reset\n", last));
    want.push_back({"after reset"});
  }  // the parser and its arena handle are gone; the batches keep the blocks
  std::vector<row> got;
  for (const auto& b : batches)
    for (auto& r : rows_of(b)) got.push_back(std::move(r));
  check_rows(got, want);
  BOOST_TEST(batches[2].events.back().relid == 8u);
}

BOOST_AUTO_TEST_CASE(random_garbage_gives_rows_or_errors_never_a_crash) {
  std::mt19937 rng(42);
  const char alphabet[] = {'a', '\t', '\n', '\\', 'N', '.', 'x', '0', '7', '\r', 'f', '\xff'};
  for (int round = 0; round < 2000; ++round) {
    std::string data;
    const std::size_t n = rng() % 64;
    for (std::size_t i = 0; i < n; ++i) data += alphabet[rng() % sizeof alphabet];
    const std::size_t columns = 1 + rng() % 3;
    ct::copy_text_parser whole(1, columns), split(1, columns);
    pg::change_batch a, b;
    auto err_a = whole.feed(data, a);
    if (err_a) BOOST_TEST(a.events.empty());
    if (!err_a) err_a = whole.finish();
    std::optional<ct::copy_text_error> err_b;
    for (std::size_t i = 0; i < data.size() && !err_b; ++i) err_b = split.feed(data.substr(i, 1), b);
    if (!err_b) err_b = split.finish();
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_REQUIRE_EQUAL(err_a.has_value(), err_b.has_value());
      if (err_a) {
        BOOST_TEST(err_a->code == err_b->code);
        BOOST_TEST(err_a->line == err_b->line);
        BOOST_TEST(err_a->offset == err_b->offset);
      } else {
        check_rows(rows_of(a), rows_of(b));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
