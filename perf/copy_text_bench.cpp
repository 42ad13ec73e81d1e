// COPY text parse throughput on one core: 1 M pgbench_accounts rows as COPY TO STDOUT
// writes them (`<aid>\t<bid>\t0\t<84 spaces>`) through copy_text_parser into a change_batch
// cleared every 4096 rows, fed one row per call (as PQgetCopyData returns them) and in
// 64 KiB pieces; and through parse_copy_text_line (the simple, allocating path).
// Peer: memcpy of the same bytes.
//
// Usage: copy_text_bench [repeats=5] [rows=1000000]
#include "codecs/pgoutput/change_event.hpp"
#include "codecs/values/copy_text.hpp"
#include "perf/bench_support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ct = pg2sr::codecs::copy_text;
namespace pg = pg2sr::codecs::pgoutput;
namespace perf = pg2sr::perf;

namespace {

struct input {
  std::string bytes;
  std::vector<std::size_t> line_ends;  ///< one past each line's '\n'
};

input pgbench_accounts(std::size_t rows) {
  input in;
  const std::string filler(84, ' ');
  in.bytes.reserve(rows * 100);
  for (std::size_t i = 0; i < rows; ++i) {
    in.bytes += std::to_string(i + 1);
    in.bytes += '\t';
    in.bytes += std::to_string(i / 100000 + 1);
    in.bytes += "\t0\t";
    in.bytes += filler;
    in.bytes += '\n';
    in.line_ends.push_back(in.bytes.size());
  }
  return in;
}

volatile std::uint64_t sink;

[[noreturn]] void die(const ct::copy_text_error& err) {
  std::fprintf(stderr, "parse failed: %s\n", ct::to_string(err).c_str());
  std::exit(1);
}

void drain(pg::change_batch& batch, std::uint64_t& acc) {
  if (batch.size() >= 4096) {
    acc += batch.size() + batch.values.back().data.size();
    batch.clear();
  }
}

void parse_per_row(const input& in) {
  ct::copy_text_parser parser(16384, 4);
  pg::change_batch batch;
  std::uint64_t acc = 0;
  std::size_t begin = 0;
  for (std::size_t end : in.line_ends) {
    if (auto err = parser.feed(std::string_view(in.bytes).substr(begin, end - begin), batch)) die(*err);
    begin = end;
    drain(batch, acc);
  }
  sink = acc + batch.size();
}

void parse_chunked(const input& in) {
  constexpr std::size_t piece = 64 * 1024;
  ct::copy_text_parser parser(16384, 4);
  pg::change_batch batch;
  std::uint64_t acc = 0;
  for (std::size_t at = 0; at < in.bytes.size(); at += piece) {
    if (auto err = parser.feed(std::string_view(in.bytes).substr(at, piece), batch)) die(*err);
    drain(batch, acc);
  }
  if (auto err = parser.finish()) die(*err);
  sink = acc + batch.size();
}

void parse_lines(const input& in) {
  std::vector<std::optional<std::string>> row;
  std::uint64_t acc = 0;
  std::size_t begin = 0;
  for (std::size_t end : in.line_ends) {
    if (auto err = ct::parse_copy_text_line(std::string_view(in.bytes).substr(begin, end - begin - 1), row)) {
      std::fprintf(stderr, "parse failed: %s\n", err->c_str());
      std::exit(1);
    }
    acc += row.size();
    begin = end;
  }
  sink = acc;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const long rows_arg = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  const auto rows = static_cast<std::size_t>(std::max(1L, rows_arg));
  std::printf("copy_text_bench / COPY TO STDOUT text rows (pgbench_accounts, 4 columns) parsed into "
              "change_batch insert events, one thread; peer: memcpy / codecs\n");
  const input in = pgbench_accounts(rows);
  const double n = static_cast<double>(rows), bytes = static_cast<double>(in.bytes.size());
  std::printf("pgbench.rows %.0f rows\n", n);
  std::printf("pgbench.bytes %.0f bytes\n", bytes);
  std::printf("pgbench.avg_line_bytes %.1f bytes\n", bytes / n);
  perf::print_rows("pgbench.per_row", perf::measure(repeats, [&] { parse_per_row(in); }), n, bytes);
  perf::print_rows("pgbench.chunked_64k", perf::measure(repeats, [&] { parse_chunked(in); }), n, bytes);
  perf::print_rows("pgbench.parse_line", perf::measure(repeats, [&] { parse_lines(in); }), n, bytes);
  perf::print_rows("pgbench.memcpy", perf::measure(repeats, [&] { perf::copy_bytes(in.bytes); }), n, bytes);
  return 0;
}
