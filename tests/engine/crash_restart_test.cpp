// kill -9 at random points of a synthetic run, restart on the same state_dir, again and
// again; at the end the jsonl output, replayed, must equal the generator's final state:
// nothing lost, whatever the crash point. Batches wait up to 400ms in the batcher (timer
// flushes, as with a slow target), so a kill often lands between reading and loading.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "codecs/synthetic/wal_generator.hpp"
#include "config/config.hpp"
#include "engine/source/synthetic_params.hpp"
#include "tests/support/process.hpp"

using namespace pg2sr;
using pg2sr::test::child_process;

namespace {

using row = std::vector<std::optional<std::string>>;
using table_state = std::map<std::int64_t, row>;

// Applies the jsonl changes in file order, as a keyed target would.
std::map<std::string, table_state> replay(const std::string& path,
                                          const std::map<std::string, std::vector<std::string>>& columns) {
  std::map<std::string, table_state> state;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    const std::string table = j.at("table");
    auto& rows = state[table];
    const std::string op = j.at("op");
    if (op == "truncate") {
      rows.clear();
      continue;
    }
    std::int64_t id = std::stoll(j.at("key").at("id").get<std::string>());
    if (op == "delete") {
      rows.erase(id);
      continue;
    }
    const auto& names = columns.at(table);
    row& r = rows[id];
    bool partial = j.value("partial", false);
    if (!partial) r.assign(names.size(), std::nullopt);
    r.resize(names.size());
    const auto& values = j.at("values");
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto it = values.find(names[i]);
      if (it == values.end()) {
        BOOST_REQUIRE_MESSAGE(partial, "column " + names[i] + " missing from a full row of " + table);
        continue;
      }
      if (it->is_null()) r[i] = std::nullopt;
      else r[i] = it->get<std::string>();
    }
  }
  return state;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crash_restart)

BOOST_AUTO_TEST_CASE(kill_9_at_random_points_loses_nothing) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_crash_restart_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string toml = R"([pipeline]
name = "crash"
state_dir = ")" + (dir / "state").string() + R"("
status_interval = "1s"
max_in_flight_bytes = "8MiB"
[source]
kind = "synthetic"
[source.synthetic]
seed = 7
tables = 3
columns = 5
txn_rows_min = 1
txn_rows_max = 30
insert_weight = 0.6
update_weight = 0.3
delete_weight = 0.1
unchanged_toast_share = 0.2
max_events = 600000
events_per_sec = 150000
[batch]
max_rows = 200000
flush_interval = "400ms"
[sink]
kind = "jsonl"
path = ")" + (dir / "changes.jsonl").string() + "\"\n";
  std::ofstream(dir / "crash.toml") << toml;
  auto cfg = config::load_file(dir / "crash.toml");

  const std::vector<std::string> argv{std::getenv("PG2SR_BINARY"), "run", "-c", (dir / "crash.toml").string()};
  const std::string log = (dir / "pg2sr.log").string();
  std::mt19937 rng(20261121);
  std::uniform_int_distribution<int> delay_ms(300, 1200);
  int kills = 0;
  for (int round = 0; round < 10; ++round) {
    child_process p(argv, log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms(rng));
    test::process_result r;
    bool ended = false;
    while (std::chrono::steady_clock::now() < deadline && !(ended = p.try_wait(r)))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (ended) {
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "pg2sr failed:\n" + test::read_text(log));
      break;
    }
    p.kill(SIGKILL);
    r = p.wait();
    BOOST_REQUIRE(r.signal == SIGKILL);
    ++kills;
  }
  BOOST_TEST_MESSAGE("killed " << kills << " times");
  BOOST_TEST(kills >= 3);
  {
    child_process last(argv, log);
    auto r = last.wait();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "final run failed:\n" + test::read_text(log));
  }

  // What the source holds at the end, from the same generator the synthetic source runs.
  codecs::wal_gen::wal_generator gen(engine::generator_params_of(cfg.source.synthetic));
  codecs::wal_gen::wal_chunk chunk;
  while (!gen.finished()) {
    chunk.clear();
    gen.next_batch(chunk, 1 << 20);
  }
  std::map<std::string, std::vector<std::string>> columns;
  for (std::size_t t = 0; t < gen.table_count(); ++t) {
    auto& names = columns["public." + gen.table_name(t)];
    for (const auto& c : gen.columns(t)) names.push_back(c.name);
  }
  auto target = replay((dir / "changes.jsonl").string(), columns);
  for (std::size_t t = 0; t < gen.table_count(); ++t) {
    std::string name = "public." + gen.table_name(t);
    auto expected = gen.expected_rows(t);
    const auto& got = target[name];
    BOOST_TEST_INFO("table " << name);
    BOOST_TEST(got.size() == expected.size());
    std::size_t mismatched = 0;
    for (const auto& [id, values] : expected) {
      auto it = got.find(id);
      if (it == got.end() || it->second != values) ++mismatched;
    }
    BOOST_TEST(mismatched == 0u);
  }
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
