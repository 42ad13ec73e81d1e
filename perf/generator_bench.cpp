// Synthetic WAL generator throughput on one core, for the shapes decode_bench decodes
// (narrow rows: 4 columns, wide rows: 40 columns), text and binary values, and the cost of
// seek() (replaying the model without encoding). Peer: the decoder on the same stream.
//
// Usage: generator_bench [repeats=5] [scale=1.0]   (scale multiplies the stream sizes)
#include "codecs/pgoutput.hpp"
#include "codecs/wal_generator.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace pg = pg2sr::codecs::pgoutput;
namespace gen = pg2sr::codecs::wal_gen;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct sample {
  double cpu = 0;
  double wall = 0;
};

template <class F>
std::vector<sample> measure(int repeats, F&& f) {
  std::vector<sample> out;
  for (int i = 0; i < repeats; ++i) {
    const double c0 = cpu_seconds(), w0 = wall_seconds();
    f();
    out.push_back({cpu_seconds() - c0, wall_seconds() - w0});
  }
  std::sort(out.begin(), out.end(), [](const sample& a, const sample& b) { return a.cpu < b.cpu; });
  return out;
}

void report(const std::string& prefix, const std::vector<sample>& s, double events, double bytes) {
  const sample& best = s.front();
  const sample& median = s[s.size() / 2];
  double best_wall = s.front().wall;
  for (const sample& x : s) best_wall = std::min(best_wall, x.wall);
  std::printf("%s.events_per_s_cpu_best %.0f events/s\n", prefix.c_str(), events / best.cpu);
  std::printf("%s.events_per_s_cpu_median %.0f events/s\n", prefix.c_str(), events / median.cpu);
  std::printf("%s.events_per_s_wall_best %.0f events/s\n", prefix.c_str(), events / best_wall);
  if (bytes > 0) {
    std::printf("%s.mb_per_s_cpu_best %.1f MB/s\n", prefix.c_str(), bytes / best.cpu / 1e6);
    std::printf("%s.mb_per_s_cpu_median %.1f MB/s\n", prefix.c_str(), bytes / median.cpu / 1e6);
  }
  std::printf("%s.ns_per_event_cpu_best %.1f ns\n", prefix.c_str(), best.cpu * 1e9 / events);
}

struct shape {
  std::string name;
  gen::generator_params params;
};

std::vector<shape> shapes(double scale) {
  // the same streams as decode_bench
  gen::generator_params narrow;
  narrow.seed = 1;
  narrow.table_count = 8;
  narrow.column_count = 4;
  narrow.avg_row_bytes = 48;
  narrow.min_rows_per_txn = 1;
  narrow.max_rows_per_txn = 40;
  narrow.initial_rows_per_table = 10000;
  narrow.keepalive_every_txns = 64;
  narrow.max_changes = static_cast<std::uint64_t>(2'000'000 * scale);

  gen::generator_params wide = narrow;
  wide.column_count = 40;
  wide.avg_row_bytes = 1000;
  wide.max_changes = static_cast<std::uint64_t>(200'000 * scale);

  gen::generator_params narrow_bin = narrow;
  narrow_bin.format = gen::value_format::binary;
  gen::generator_params wide_bin = wide;
  wide_bin.format = gen::value_format::binary;
  return {{"narrow", narrow}, {"wide", wide}, {"narrow_binary", narrow_bin}, {"wide_binary", wide_bin}};
}

volatile std::uint64_t sink;

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const double scale = argc > 2 ? std::max(0.001, std::atof(argv[2])) : 1.0;
  std::printf("generator_bench / synthetic WAL generator, 4 and 40 columns, text and binary values, "
              "one thread; seek replay; peer: decoder on the same stream / codecs\n");
  for (const shape& sh : shapes(scale)) {
    // untimed: the stream kept for the peer, and the LSN in its middle for seek
    std::vector<std::string> chunks;
    std::vector<std::vector<std::uint32_t>> ends;
    pg::lsn_t middle = 0;
    {
      gen::wal_generator g(sh.params);
      gen::wal_chunk chunk;
      while (g.next_batch(chunk, 4 << 20) != 0) {
        chunks.push_back(chunk.bytes);
        ends.push_back(chunk.ends);
        chunk.clear();
        if (middle == 0 && g.changes_emitted() >= sh.params.max_changes / 2) middle = g.last_commit_end();
      }
    }

    // construction (value pools, initial rows) is timed on its own, then the stream
    const double setup0 = cpu_seconds();
    std::vector<gen::wal_generator> gens;
    for (int i = 0; i < repeats; ++i) gens.emplace_back(sh.params);
    const double setup_ms = (cpu_seconds() - setup0) * 1e3 / repeats;
    double events = 0, bytes = 0;
    std::size_t run = 0;
    const auto gen_samples = measure(repeats, [&] {
      gen::wal_generator& g = gens[run++];
      gen::wal_chunk chunk;
      double b = 0;
      while (g.next_batch(chunk, 4 << 20) != 0) {
        b += static_cast<double>(chunk.bytes.size());
        chunk.clear();
      }
      events = static_cast<double>(g.events_emitted());
      bytes = b;
      sink = g.position();
    });
    gens.clear();
    std::printf("%s.setup_ms_cpu %.1f ms\n", sh.name.c_str(), setup_ms);
    std::printf("%s.stream_events %.0f events\n", sh.name.c_str(), events);
    std::printf("%s.stream_bytes %.0f bytes\n", sh.name.c_str(), bytes);
    report(sh.name + ".generate", gen_samples, events, bytes);

    // seek to the middle: replays half the transactions without encoding them
    const auto seek_samples = measure(repeats, [&] {
      gen::wal_generator g(sh.params);
      g.seek(middle, gen::resume_mode::same_session);
      sink = g.position();
    });
    std::printf("%s.seek_half_stream_ms_cpu_best %.1f ms\n", sh.name.c_str(), seek_samples.front().cpu * 1e3);

    // peer: decoding the same stream (the generator should be at least as fast)
    const auto dec_samples = measure(repeats, [&] {
      pg::decoder dec;
      std::uint64_t acc = 0;
      for (std::size_t c = 0; c < chunks.size(); ++c) {
        std::uint32_t begin = 0;
        for (std::uint32_t end : ends[c]) {
          const auto env = pg::decode_envelope(std::string_view(chunks[c]).substr(begin, end - begin));
          begin = end;
          const auto* e = std::get_if<pg::envelope>(&env);
          const auto* x = e ? std::get_if<pg::xlog_data>(e) : nullptr;
          if (x != nullptr) acc += dec.decode(x->payload).index();
        }
      }
      sink = acc;
    });
    report(sh.name + ".peer_decode", dec_samples, events, bytes);
  }
  return 0;
}
