// Decode throughput on one core: generated pgoutput streams (narrow rows: 4 columns, wide
// rows: 40 columns) through decoder::decode, and through change_assembler into a
// change_batch cleared every 4096 events. Peer figure: memcpy of the same bytes.
//
// Usage: decode_bench [repeats=5] [scale=1.0]   (scale multiplies the stream sizes)
#include "codecs/pgoutput/change_event.hpp"
#include "codecs/pgoutput/pgoutput.hpp"
#include "codecs/synthetic/wal_generator.hpp"
#include "perf/bench_support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace pg = pg2sr::codecs::pgoutput;
namespace gen = pg2sr::codecs::wal_gen;
namespace perf = pg2sr::perf;

namespace {

// ---- input -----------------------------------------------------------------------------

/// A generated stream kept as the chunks the generator produced (as a reader would get).
struct stream {
  std::vector<std::shared_ptr<const std::string>> chunks;
  std::vector<std::vector<std::uint32_t>> ends;
  double events = 0;   ///< CopyData payloads
  double changes = 0;  ///< I/U/D/T
  double bytes = 0;    ///< CopyData payload bytes

  template <class F>
  void for_each_payload(F&& f) const {
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const char* base = chunks[c]->data();
      std::uint32_t begin = 0;
      for (std::uint32_t end : ends[c]) {
        f(std::string_view(base + begin, end - begin), chunks[c]);
        begin = end;
      }
    }
  }
};

stream generate(const gen::generator_params& p) {
  stream s;
  gen::wal_generator g(p);
  gen::wal_chunk chunk;
  for (;;) {
    chunk.clear();
    if (g.next_batch(chunk, 4 << 20) == 0) break;
    s.bytes += static_cast<double>(chunk.bytes.size());
    s.chunks.push_back(std::make_shared<const std::string>(chunk.bytes));
    s.ends.push_back(chunk.ends);
  }
  s.events = static_cast<double>(g.events_emitted());
  s.changes = static_cast<double>(g.changes_emitted());
  return s;
}

struct shape {
  const char* name;
  gen::generator_params params;
};

std::vector<shape> shapes(double scale) {
  return {{"narrow", perf::narrow_stream(scale)}, {"wide", perf::wide_stream(scale)}};
}

// ---- the measured loops ------------------------------------------------------------------

volatile std::uint64_t sink;

void decode_all(const stream& s) {
  pg::decoder dec;
  std::uint64_t acc = 0;
  s.for_each_payload([&](std::string_view payload, const std::shared_ptr<const std::string>&) {
    const auto env = pg::decode_envelope(payload);
    const auto* x = std::get_if<pg::envelope>(&env) ? std::get_if<pg::xlog_data>(&std::get<pg::envelope>(env)) : nullptr;
    if (x == nullptr) {
      acc += env.index();
      return;
    }
    const auto r = dec.decode(x->payload);
    if (r.index() != 0) {
      std::fprintf(stderr, "decode failed: %s\n", pg::to_string(std::get<pg::decode_error>(r)).c_str());
      std::exit(1);
    }
    acc += std::get<pg::message>(r).index();
  });
  sink = acc;
}

void assemble_all(const stream& s) {
  pg::change_assembler assembler;
  pg::change_batch batch;
  std::uint64_t acc = 0;
  s.for_each_payload([&](std::string_view payload, const std::shared_ptr<const std::string>& owner) {
    if (auto err = assembler.feed(payload, owner, batch)) {
      std::fprintf(stderr, "feed failed: %s\n", pg::to_string(*err).c_str());
      std::exit(1);
    }
    if (batch.size() >= 4096) {
      acc += batch.size();
      batch.clear();
    }
  });
  sink = acc + batch.size();
}

void copy_all(const stream& s) {
  static std::string target;
  for (const auto& c : s.chunks) {
    target.resize(c->size());
    std::memcpy(target.data(), c->data(), c->size());
    sink = static_cast<unsigned char>(target[target.size() / 2]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const double scale = argc > 2 ? std::max(0.001, std::atof(argv[2])) : 1.0;
  std::printf("decode_bench / pgoutput decode of generated streams (4 and 40 columns), one thread, "
              "decoder and change_assembler; peer: memcpy / codecs\n");
  for (const shape& sh : shapes(scale)) {
    const stream s = generate(sh.params);
    const std::string n = sh.name;
    std::printf("%s.stream_events %.0f events\n", n.c_str(), s.events);
    std::printf("%s.stream_changes %.0f changes\n", n.c_str(), s.changes);
    std::printf("%s.stream_bytes %.0f bytes\n", n.c_str(), s.bytes);
    std::printf("%s.avg_payload_bytes %.1f bytes\n", n.c_str(), s.bytes / s.events);
    perf::report(n + ".decode", perf::measure(repeats, [&] { decode_all(s); }), s.events, s.bytes);
    perf::report(n + ".assemble", perf::measure(repeats, [&] { assemble_all(s); }), s.events, s.bytes);
    perf::report(n + ".memcpy", perf::measure(repeats, [&] { copy_all(s); }), s.events, s.bytes);
  }
  return 0;
}
