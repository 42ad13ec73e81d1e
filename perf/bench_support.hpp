// Shared by the benchmarks: CPU and wall timing, repeated measurement, the metric lines they
// print, and the narrow and wide generated streams decode_bench and generator_bench measure.
#pragma once

#include "codecs/synthetic/wal_generator.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace pg2sr::perf {

inline double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct sample {
  double cpu = 0;
  double wall = 0;
};

/// Runs `f` `repeats` times; returns the samples sorted by CPU time.
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

/// Prints events/s (best and median CPU, best wall), MB/s (when `bytes` > 0) and ns per event
/// for samples from measure().
inline void report(const std::string& prefix, const std::vector<sample>& s, double events, double bytes) {
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

/// Narrow rows: 8 tables, 4 columns, ~48-byte rows, 2 M changes times `scale`.
/// What a benchmark's result is folded into, so that the compiler keeps the work.
inline volatile std::uint64_t kept_result;

/// The memcpy peer of a parser or encoder benchmark: the same bytes copied once.
inline void copy_bytes(const std::string& bytes) {
  static std::string target;
  target.resize(bytes.size());
  std::memcpy(target.data(), bytes.data(), bytes.size());
  kept_result = static_cast<unsigned char>(target[target.size() / 2]);
}

/// Rows/s (best and median CPU, best wall), MB/s and ns per row (report() says events).
inline void print_rows(const std::string& prefix, const std::vector<sample>& s, double rows, double bytes) {
  const sample& best = s.front();
  const sample& median = s[s.size() / 2];
  double best_wall = best.wall;
  for (const sample& x : s) best_wall = std::min(best_wall, x.wall);
  std::printf("%s.rows_per_s_cpu_best %.0f rows/s\n", prefix.c_str(), rows / best.cpu);
  std::printf("%s.rows_per_s_cpu_median %.0f rows/s\n", prefix.c_str(), rows / median.cpu);
  std::printf("%s.rows_per_s_wall_best %.0f rows/s\n", prefix.c_str(), rows / best_wall);
  std::printf("%s.mb_per_s_cpu_best %.1f MB/s\n", prefix.c_str(), bytes / best.cpu / 1e6);
  std::printf("%s.mb_per_s_cpu_median %.1f MB/s\n", prefix.c_str(), bytes / median.cpu / 1e6);
  std::printf("%s.ns_per_row_cpu_best %.1f ns\n", prefix.c_str(), best.cpu * 1e9 / rows);
}

inline codecs::wal_gen::generator_params narrow_stream(double scale) {
  codecs::wal_gen::generator_params p;
  p.seed = 1;
  p.table_count = 8;
  p.column_count = 4;
  p.avg_row_bytes = 48;
  p.min_rows_per_txn = 1;
  p.max_rows_per_txn = 40;
  p.initial_rows_per_table = 10000;
  p.keepalive_every_txns = 64;
  p.max_changes = static_cast<std::uint64_t>(2'000'000 * scale);
  return p;
}

/// Wide rows: the narrow stream with 40 columns, ~1000-byte rows, 200 k changes times `scale`.
inline codecs::wal_gen::generator_params wide_stream(double scale) {
  codecs::wal_gen::generator_params p = narrow_stream(scale);
  p.column_count = 40;
  p.avg_row_bytes = 1000;
  p.max_changes = static_cast<std::uint64_t>(200'000 * scale);
  return p;
}

}  // namespace pg2sr::perf
