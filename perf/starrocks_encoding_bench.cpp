// Stream Load body encoding on one core: rows of pgoutput text values through
// append_json_rows and append_csv_rows, 8192 rows a body (the body cleared, its capacity
// kept, as a loader reusing its buffer does). Two shapes: narrow pgbench_accounts rows
// (aid, bid, abalance int4, filler char(84) blank-padded) and a wide mixed row (text with
// quotes and tabs now and then, numeric(12,2), timestamptz in assorted offsets, bool, int8,
// a ~110-byte jsonb). MB/s counts the body bytes written. Peer: memcpy of the same bytes.
//
// Usage: starrocks_encoding_bench [repeats=5] [rows=1000000]
#include "codecs/starrocks/starrocks_rows.hpp"
#include "perf/bench_support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <string>
#include <vector>

namespace sr = pg2sr::codecs::starrocks;
namespace pg = pg2sr::codecs::pgoutput;
namespace perf = pg2sr::perf;

namespace {

constexpr std::size_t rows_per_body = 8192;

/// Generated rows: the text the values view, the values, and the rows over them.
struct input {
  sr::table_encoding table;
  std::vector<std::size_t> columns;
  std::deque<std::string> text;
  std::vector<pg::column_value> values;
  std::vector<sr::encoded_row> rows;

  void add_row(const std::vector<std::string>& cells, bool is_delete) {
    for (const std::string& c : cells) values.push_back({pg::value_kind::text, text.emplace_back(c)});
    rows.push_back({nullptr, static_cast<std::uint32_t>(cells.size()), is_delete});
  }
  // Points the rows at their values once `values` stops growing.
  void finish() {
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r].values = values.data() + r * rows[r].count;
    for (std::size_t c = 0; c < table.columns.size(); ++c) columns.push_back(c);
  }
};

sr::column_mapping mapping(sr::value_form form, const char* type) {
  sr::column_mapping m;
  m.form = form;
  m.starrocks_type = type;
  return m;
}

input pgbench_accounts(std::size_t rows) {
  input in;
  in.table.names = {"aid", "bid", "abalance", "filler"};
  in.table.columns = {mapping(sr::value_form::integer, "INT"), mapping(sr::value_form::integer, "INT"),
                      mapping(sr::value_form::integer, "INT"), mapping(sr::value_form::string, "VARCHAR(336)")};
  const std::string filler(84, ' ');
  for (std::size_t i = 0; i < rows; ++i)
    in.add_row({std::to_string(i + 1), std::to_string(i / 100000 + 1), "0", filler}, false);
  in.finish();
  return in;
}

// A deterministic stream of numbers (xorshift64).
struct dice {
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

input wide_mixed(std::size_t rows) {
  input in;
  in.table.names = {"note", "amount", "updated_at", "active", "counter", "attrs"};
  in.table.columns = {mapping(sr::value_form::string, "VARCHAR(1048576)"),
                      mapping(sr::value_form::decimal, "DECIMAL(12,2)"),
                      mapping(sr::value_form::timestamptz, "DATETIME"),
                      mapping(sr::value_form::boolean, "BOOLEAN"),
                      mapping(sr::value_form::integer, "BIGINT"),
                      mapping(sr::value_form::json, "JSON")};
  static const char* const words[] = {"order", "shipped", "to", "customer", "with", "express", "note", "gift",
                                      "wrap", "and", "a", "card", "reading", "\"happy birthday\"", "tab\there"};
  static const char* const offsets[] = {"+00", "+02", "-05", "+05:30", "+09"};
  dice d;
  for (std::size_t i = 0; i < rows; ++i) {
    std::string note;
    while (note.size() < 60) {
      if (!note.empty()) note += ' ';
      // One word in 15 has quotes or a tab, which the encoders escape.
      note += words[d.below(std::size(words))];
    }
    char amount[32];
    std::snprintf(amount, sizeof amount, "%lld.%02u", static_cast<long long>(d.below(10'000'000)) - 5'000'000,
                  static_cast<unsigned>(d.below(100)));
    char at[64];
    int len = std::snprintf(at, sizeof at, "2024-%02u-%02u %02u:%02u:%02u.%06u", static_cast<unsigned>(1 + d.below(12)),
                            static_cast<unsigned>(1 + d.below(28)), static_cast<unsigned>(d.below(24)),
                            static_cast<unsigned>(d.below(60)), static_cast<unsigned>(d.below(60)),
                            static_cast<unsigned>(d.below(1'000'000)));
    while (at[len - 1] == '0') --len;  // timestamptz_out drops trailing fraction zeros
    if (at[len - 1] == '.') --len;
    std::snprintf(at + len, sizeof at - static_cast<std::size_t>(len), "%s", offsets[d.below(std::size(offsets))]);
    const std::string attrs = R"({"sku": "SKU-)" + std::to_string(d.below(100000)) + R"(", "qty": )" +
                              std::to_string(d.below(50)) + R"(, "tags": ["red", "large"], "price": )" +
                              std::to_string(d.below(10000)) + R"(.99, "gift": false})";
    in.add_row({note, amount, at, d.below(2) ? "t" : "f", std::to_string(static_cast<std::int64_t>(d.next())), attrs},
               d.below(10) == 0);
  }
  in.finish();
  return in;
}

[[noreturn]] void die(const sr::encode_error& err) {
  std::fprintf(stderr, "encode failed: %s\n", err.message.c_str());
  std::exit(1);
}

volatile std::uint64_t sink;

enum class format { json, csv };

// Encodes every row in bodies of rows_per_body rows; returns the body bytes written.
std::uint64_t encode_all(const input& in, format f) {
  static std::string body;
  std::uint64_t bytes = 0;
  const std::span<const sr::encoded_row> rows(in.rows);
  for (std::size_t at = 0; at < rows.size(); at += rows_per_body) {
    body.clear();
    const auto batch = rows.subspan(at, std::min(rows_per_body, rows.size() - at));
    const auto err = f == format::json ? sr::append_json_rows(in.table, in.columns, batch, true, body)
                                       : sr::append_csv_rows(in.table, in.columns, batch, true, body);
    if (err) die(*err);
    bytes += body.size();
  }
  sink = bytes;
  return bytes;
}

void run(const std::string& shape, const input& in, int repeats) {
  const double n = static_cast<double>(in.rows.size());
  for (const format f : {format::json, format::csv}) {
    const std::string prefix = shape + (f == format::json ? ".json" : ".csv");
    const double bytes = static_cast<double>(encode_all(in, f));
    std::printf("%s.body_bytes %.0f bytes\n", prefix.c_str(), bytes);
    std::printf("%s.avg_row_bytes %.1f bytes\n", prefix.c_str(), bytes / n);
    perf::print_rows(prefix, perf::measure(repeats, [&] { encode_all(in, f); }), n, bytes);
    const std::string same_bytes(static_cast<std::size_t>(bytes), 'x');
    perf::print_rows(prefix + ".memcpy", perf::measure(repeats, [&] { perf::copy_bytes(same_bytes); }), n, bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const long rows_arg = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  const auto rows = static_cast<std::size_t>(std::max(1L, rows_arg));
  std::printf("starrocks_encoding_bench / pgoutput text rows encoded into Stream Load JSON and CSV bodies "
              "(8192 rows a body), one thread; peer: memcpy of the body bytes / codecs\n");
  run("narrow", pgbench_accounts(rows), repeats);
  run("wide", wide_mixed(rows), repeats);
  return 0;
}
