// Back-pressure end to end: with a target ~20x slower than the source, the source must
// slow down to the target's pace and the process must stay within the configured
// capacity plus a fixed overhead (peak RSS measured by the kernel).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/process.hpp"

using namespace pg2sr;

namespace {

struct run_figures {
  test::process_result process;
  std::uint64_t events = 0;
  std::uint64_t rows = 0;
};

// Runs a 4-second synthetic pipeline into a null sink of `rows_per_sec` (0 = instant).
run_figures run_synthetic(const std::filesystem::path& dir, std::uint64_t rows_per_sec) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bp.toml") << R"([pipeline]
name = "bp"
state_dir = ")" << (dir / "state").string() << R"("
max_in_flight_bytes = "16MiB"
[source]
kind = "synthetic"
[source.synthetic]
tables = 4
max_events = 0
max_duration = "4s"
[sink]
kind = "null"
rows_per_sec = )" << rows_per_sec << "\n";
  std::string log = (dir / "pg2sr.log").string();
  test::child_process p({std::getenv("PG2SR_BINARY"), "run", "-c", (dir / "bp.toml").string()}, log);
  run_figures f;
  f.process = p.wait();
  std::string text = test::read_text(log);
  BOOST_REQUIRE_MESSAGE(f.process.exit_code == 0, text);
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(text, m, std::regex("done: (\\d+) events, (\\d+) rows loaded")), text);
  f.events = std::stoull(m[1]);
  f.rows = std::stoull(m[2]);
  return f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backpressure)

BOOST_AUTO_TEST_CASE(slow_target_slows_the_source_and_bounds_memory) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_backpressure_test";
  auto fast = run_synthetic(dir, 0);
  auto slow = run_synthetic(dir, 50'000);
  BOOST_TEST_MESSAGE("unthrottled: " << fast.events << " events, " << fast.rows << " rows, peak RSS "
                                     << fast.process.max_rss_kib / 1024 << " MiB");
  BOOST_TEST_MESSAGE("50k rows/s target: " << slow.events << " events, " << slow.rows << " rows, peak RSS "
                                           << slow.process.max_rss_kib / 1024 << " MiB");
  // The source read at the target's pace, far less than it reads unthrottled (where it
  // reaches ~20x more in the same 4 s).
  BOOST_TEST(slow.events * 3 < fast.events);
  // Capacity 16 MiB plus a fixed overhead (code, CAF, allocator, the generator's row
  // model) of 64 MiB. Without back-pressure the source would have buffered what it reads
  // unthrottled minus what the target took: hundreds of MiB.
  BOOST_TEST(slow.process.max_rss_kib <= (16 + 64) * 1024);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
