// The pg2sr executable as a user meets it: --version, check, exit codes, no secrets in output.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <array>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

struct run_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

run_result run(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + std::getenv("PG2SR_BINARY") + " " + args + " 2>&1";
  run_result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = "/tmp/pg2sr_cli_test_" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(version_shows_libraries_and_mimalloc_in_use) {
  auto r = run("--version");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.output.find("CAF 0.17.6") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("libpq 15.") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("libcurl ") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("allocator: mimalloc (in use") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(check_accepts_a_valid_file) {
  auto path = write_file("ok.toml", "[pipeline]\nname = \"t\"\n[source]\nkind = \"synthetic\"\n[sink]\nkind = \"null\"\n");
  auto r = run("check -c " + path);
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("configuration OK") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(check_exits_2_with_one_line_per_problem) {
  auto path = write_file("bad.toml",
                         "[pipeline]\nname = \"t\"\n[source]\nkind = \"synthetic\"\n[sink]\nkind = \"nul\"\n[batch]\nmax_rowz = 1\n");
  auto r = run("check -c " + path);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find(path + ":6:8: sink.kind: expected one of") != std::string::npos, r.output);
  BOOST_TEST(r.output.find(path + ":8:1: batch.max_rowz: unknown key; did you mean \"max_rows\"?") != std::string::npos,
             r.output);
  BOOST_TEST(r.output.find("2 problem(s)") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(missing_config_file_is_a_usage_error) {
  auto r = run("check -c /nonexistent.toml");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("/nonexistent.toml: cannot open the configuration file") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(unknown_subcommand_or_flag_exits_2) {
  BOOST_TEST(run("frobnicate").exit_code == 2);
  BOOST_TEST(run("check").exit_code == 2);  // -c is required
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_output) {
  auto pwfile = write_file("pw", "file-secret-7731\n");
  std::filesystem::permissions(pwfile, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto path = write_file("secret.toml",
                         "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                         "password_env = \"PG2SR_CLI_TEST_PW\"\n[sink]\nkind = \"postgres\"\ndbname = \"d_copy\"\n"
                         "user = \"u\"\npassword_file = \"" + pwfile + "\"\n");
  auto r = run("--log-level trace check -c " + path, "PG2SR_CLI_TEST_PW=env-secret-4242");
  BOOST_TEST(r.output.find("env-secret-4242") == std::string::npos, r.output);
  BOOST_TEST(r.output.find("file-secret-7731") == std::string::npos, r.output);
  BOOST_TEST(r.output.find("********") != std::string::npos, r.output);  // it says a password is set
  // and in a failing run (bad key next to the secrets) too
  auto bad = write_file("secret_bad.toml",
                        "[pipeline]\nname = \"t\"\n[source]\nkind = \"postgres\"\ndbname = \"d\"\nuser = \"u\"\n"
                        "password = \"plain-secret-1234\"\n[sink]\nkind = \"null\"\nbogus = 1\n");
  auto r2 = run("--log-level trace check -c " + bad);
  BOOST_TEST(r2.exit_code == 2);
  BOOST_TEST(r2.output.find("plain-secret-1234") == std::string::npos, r2.output);
}

BOOST_AUTO_TEST_CASE(status_shows_the_last_run_of_a_pipeline) {
  std::string state = "/tmp/pg2sr_cli_test_status_state";
  std::system(("rm -rf " + state).c_str());
  auto path = write_file("status.toml", "[pipeline]\nname = \"st\"\nstate_dir = \"" + state +
                                            "\"\n[source]\nkind = \"synthetic\"\n[source.synthetic]\n"
                                            "max_events = 20000\n[sink]\nkind = \"null\"\n");
  auto before = run("status -c " + path);
  BOOST_TEST(before.output.find("no status in " + state) != std::string::npos, before.output);
  BOOST_TEST(run("run -c " + path).exit_code == 0);
  auto after = run("status -c " + path);
  BOOST_TEST(after.exit_code == 0);
  BOOST_TEST(after.output.find("pipeline st: stopped") != std::string::npos, after.output);
  BOOST_TEST(after.output.find("rows loaded ") != std::string::npos, after.output);
}

BOOST_AUTO_TEST_SUITE_END()
