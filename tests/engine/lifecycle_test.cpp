// Process lifecycle: SIGTERM drains and persists, a failing loader stops everything with a
// clear error, and a restart resumes from the checkpoint.
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "codecs/pgoutput/lsn.hpp"
#include "tests/support/process.hpp"

using namespace pg2sr;

namespace {

std::filesystem::path write_config(const std::filesystem::path& dir, const std::string& sink) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "p.toml") << R"([pipeline]
name = "life"
state_dir = ")" << (dir / "state").string() << R"("
[source]
kind = "synthetic"
[source.synthetic]
max_events = 0
max_duration = "60s"
events_per_sec = 200000
[batch]
flush_interval = "100ms"
[sink]
)" << sink;
  return dir / "p.toml";
}

std::uint64_t persisted_lsn(const std::filesystem::path& dir) {
  auto j = nlohmann::json::parse(test::read_text((dir / "state" / "checkpoint.json").string()));
  return codecs::parse_lsn(j.at("durable_lsn").get<std::string>()).value();
}

// Runs pg2sr on `cfg` until it has started its pipeline, and with `output` until that file
// holds a line (then stops it with SIGTERM), or until it has ended by itself; the exit and
// the log.
std::pair<test::process_result, std::string> run_until_started(const std::filesystem::path& cfg,
                                                               const std::string& log,
                                                               const std::filesystem::path& output = {}) {
  test::child_process p({std::getenv("PG2SR_BINARY"), "run", "-c", cfg.string()}, log);
  test::process_result r;
  for (int i = 0; i < 1500; ++i) {
    if (p.try_wait(r)) return {r, test::read_text(log)};
    bool started = test::read_text(log).find("pipeline life") != std::string::npos;
    if (started && (output.empty() || test::read_text(output.string()).find('\n') != std::string::npos)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.kill(SIGTERM);
  r = p.wait();
  return {r, test::read_text(log)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

// Issue 19.12: the jsonl sink cut the unfinished last line of any file at its path, its own
// or not. It repairs only the file it wrote (recorded in the state_dir); another file's
// unfinished line stops the start and is left as it is.
BOOST_AUTO_TEST_CASE(jsonl_cuts_a_torn_last_line_only_of_its_own_file) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / "pg2sr_lifecycle_jsonl_tail";
  auto out = dir / "out.jsonl";
  auto cfg = write_config(dir, "kind = \"jsonl\"\npath = \"" + out.string() + "\"\n");
  std::ofstream(out) << "someone else's line\nand their unfinished one";
  auto [foreign, foreign_log] = run_until_started(cfg, (dir / "foreign.log").string());
  BOOST_TEST(foreign.exit_code == 1, foreign_log);
  BOOST_TEST(foreign_log.find(out.string() + " ends with an unfinished line and is not the file this pipeline wrote") !=
                 std::string::npos, foreign_log);
  BOOST_TEST(test::read_text(out.string()) == "someone else's line\nand their unfinished one");

  fs::remove(out);
  // Stopped once it wrote a line: the repair below must keep what came before the torn line.
  auto [first, first_log] = run_until_started(cfg, (dir / "first.log").string(), out);
  BOOST_TEST_REQUIRE(first.exit_code == 0, first_log);
  std::string written = test::read_text(out.string());
  auto first_lines = std::count(written.begin(), written.end(), '\n');
  BOOST_TEST_REQUIRE(first_lines > 0);
  std::ofstream(out, std::ios::app) << "{\"table\":\"torn";
  auto [second, second_log] = run_until_started(cfg, (dir / "second.log").string());
  BOOST_TEST(second.exit_code == 0, second_log);
  std::ifstream in(out);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines)
    BOOST_TEST_REQUIRE(nlohmann::json::accept(line), "line " << lines << ": " << line);
  BOOST_TEST(lines >= first_lines);  // only the torn line went
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(sigterm_drains_persists_and_exits_0_then_restart_resumes) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_lifecycle_sigterm";
  auto cfg = write_config(dir, "kind = \"jsonl\"\npath = \"" + (dir / "out.jsonl").string() + "\"\n");
  std::string log = (dir / "pg2sr.log").string();
  std::vector<std::string> argv{std::getenv("PG2SR_BINARY"), "run", "-c", cfg.string()};
  {
    test::child_process p(argv, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    p.kill(SIGTERM);
    auto r = p.wait();
    BOOST_TEST(r.exit_code == 0, test::read_text(log));
  }
  std::string text = test::read_text(log);
  BOOST_TEST(text.find("received SIGTERM: draining") != std::string::npos, text);
  BOOST_TEST(text.find("done: ") != std::string::npos, text);
  std::uint64_t first = persisted_lsn(dir);
  BOOST_TEST(first > 0u);
  {
    test::child_process p(argv, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    p.kill(SIGINT);
    BOOST_TEST(p.wait().exit_code == 0);
  }
  text = test::read_text(log);
  BOOST_TEST(text.find("resuming after durable LSN " + codecs::format_lsn(first)) != std::string::npos, text);
  BOOST_TEST(persisted_lsn(dir) > first);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(failing_loader_stops_the_pipeline_with_the_reason_and_exit_1) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_lifecycle_fail";
  // A folder where the output file should be: opening it for appending fails.
  std::filesystem::path out = dir / "out.jsonl";
  auto cfg = write_config(dir, "kind = \"jsonl\"\npath = \"" + out.string() + "\"\n");
  std::filesystem::create_directories(out);
  std::string log = (dir / "pg2sr.log").string();
  test::child_process p({std::getenv("PG2SR_BINARY"), "run", "-c", cfg.string()}, log);
  auto r = p.wait();
  std::string text = test::read_text(log);
  BOOST_TEST(r.exit_code == 1, text);
  BOOST_TEST(text.find("pipeline stopped: ") != std::string::npos, text);
  BOOST_TEST(text.find(out.string()) != std::string::npos, text);
  BOOST_TEST(!std::filesystem::exists(dir / "state" / "checkpoint.json"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(state_dir_of_another_source_is_refused) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_lifecycle_foreign";
  auto cfg = write_config(dir, "kind = \"null\"\n");
  std::filesystem::create_directories(dir / "state");
  std::ofstream(dir / "state" / "checkpoint.json") << R"({"version":1,"durable_lsn":"0/1000","source_id":"synthetic:seed=99"})";
  std::string log = (dir / "pg2sr.log").string();
  test::child_process p({std::getenv("PG2SR_BINARY"), "run", "-c", cfg.string()}, log);
  auto r = p.wait();
  std::string text = test::read_text(log);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(text.find("holds the checkpoint of another source (synthetic:seed=99)") != std::string::npos, text);
  std::filesystem::remove_all(dir);
}

// Issue 19.8: the state_dir was created 0755 and its files 0644, though they hold key
// values, SQL predicates and (jsonl) whole rows. An older state_dir is made private too.
BOOST_AUTO_TEST_CASE(state_dir_and_output_are_private_to_the_owner) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / "pg2sr_lifecycle_modes";
  auto cfg = write_config(dir, "kind = \"jsonl\"\npath = \"" + (dir / "out.jsonl").string() + "\"\n");
  fs::create_directories(dir / "state");
  fs::permissions(dir / "state", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
  std::string log = (dir / "pg2sr.log").string();
  {
    test::child_process p({std::getenv("PG2SR_BINARY"), "run", "-c", cfg.string()}, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    p.kill(SIGTERM);
    BOOST_TEST(p.wait().exit_code == 0, test::read_text(log));
  }
  auto mode = [](const fs::path& path) { return fs::status(path).permissions() & fs::perms::all; };
  BOOST_TEST((mode(dir / "state") == fs::perms::owner_all));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "state")) {
    ++files;
    BOOST_TEST((mode(entry.path()) == (fs::perms::owner_read | fs::perms::owner_write)), entry.path().string());
  }
  BOOST_TEST(files >= 2);  // the checkpoint, the status file
  BOOST_TEST((mode(dir / "out.jsonl") == (fs::perms::owner_read | fs::perms::owner_write)));
  fs::remove_all(dir);
}

// Issue 19.9: two runs on one state_dir both ran (with StarRocks the second cleared the
// first one's in-flight journal): the second stops, naming the holder.
BOOST_AUTO_TEST_CASE(a_second_run_on_a_held_state_dir_exits_1_naming_the_holder) {
  auto dir = std::filesystem::temp_directory_path() / "pg2sr_lifecycle_lock";
  auto cfg = write_config(dir, "kind = \"null\"\n");
  std::string first_log = (dir / "first.log").string(), second_log = (dir / "second.log").string();
  std::vector<std::string> argv{std::getenv("PG2SR_BINARY"), "run", "-c", cfg.string()};
  test::child_process first(argv, first_log);
  for (int i = 0; i < 300 && test::read_text(first_log).find("pipeline life") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    test::child_process second(argv, second_log);
    auto r = second.wait();
    std::string text = test::read_text(second_log);
    BOOST_TEST(r.exit_code == 1, text);
    BOOST_TEST(text.find("is held by another pg2sr run (pid ") != std::string::npos, text);
  }
  first.kill(SIGTERM);
  BOOST_TEST(first.wait().exit_code == 0, test::read_text(first_log));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
