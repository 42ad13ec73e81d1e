// Synthetic WAL generator throughput on one core, for the shapes decode_bench decodes
// (narrow rows: 4 columns, wide rows: 40 columns), text and binary values, and the cost of
// seek() (replaying the model without encoding). Peer: the decoder on the same stream.
//
// Usage: generator_bench [repeats=5] [scale=1.0]   (scale multiplies the stream sizes)
#include "codecs/pgoutput/pgoutput.hpp"
#include "codecs/synthetic/wal_generator.hpp"
#include "perf/bench_support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace pg = pg2sr::codecs::pgoutput;
namespace gen = pg2sr::codecs::wal_gen;
namespace perf = pg2sr::perf;

namespace {

struct shape {
  std::string name;
  gen::generator_params params;
};

std::vector<shape> shapes(double scale) {
  const gen::generator_params narrow = perf::narrow_stream(scale);
  const gen::generator_params wide = perf::wide_stream(scale);
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
    const double setup0 = perf::cpu_seconds();
    std::vector<gen::wal_generator> gens;
    for (int i = 0; i < repeats; ++i) gens.emplace_back(sh.params);
    const double setup_ms = (perf::cpu_seconds() - setup0) * 1e3 / repeats;
    double events = 0, bytes = 0;
    std::size_t run = 0;
    const auto gen_samples = perf::measure(repeats, [&] {
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
    perf::report(sh.name + ".generate", gen_samples, events, bytes);

    // seek to the middle: replays half the transactions without encoding them
    const auto seek_samples = perf::measure(repeats, [&] {
      gen::wal_generator g(sh.params);
      g.seek(middle, gen::resume_mode::same_session);
      sink = g.position();
    });
    std::printf("%s.seek_half_stream_ms_cpu_best %.1f ms\n", sh.name.c_str(), seek_samples.front().cpu * 1e3);

    // peer: decoding the same stream (the generator should be at least as fast)
    const auto dec_samples = perf::measure(repeats, [&] {
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
    perf::report(sh.name + ".peer_decode", dec_samples, events, bytes);
  }
  return 0;
}
