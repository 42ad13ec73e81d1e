// Dedicated clusters through scripts/pg-cluster.sh.
#include "tests/support/scoped_cluster.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace pg2sr::test {

namespace {
std::string script() { return std::string(std::getenv("PG2SR_SOURCE_DIR")) + "/scripts/pg-cluster.sh"; }

void run_script(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv{"/bin/bash", script()};
  argv.insert(argv.end(), args.begin(), args.end());
  child_process p(argv, log);
  auto r = p.wait();
  if (r.exit_code != 0) throw std::runtime_error("pg-cluster.sh " + args[0] + " failed:\n" + read_text(log));
}
}  // namespace

scoped_cluster::scoped_cluster(const std::string& name, const std::vector<std::string>& extra_conf)
    : dir_((std::filesystem::temp_directory_path() / ("pg2sr_cluster_" + name)).string()) {
  std::vector<std::string> args{"start", dir_};
  args.insert(args.end(), extra_conf.begin(), extra_conf.end());
  run_script(args, dir_ + ".log");
  port_ = std::stoi(read_text(dir_ + "/port"));
}

scoped_cluster::~scoped_cluster() {
  try {
    run_script({"stop", dir_}, dir_ + ".log");
  } catch (...) {
  }
}

std::string scoped_cluster::conninfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

void scoped_cluster::restart() { run_script({"restart", dir_}, dir_ + ".log"); }

void scoped_cluster::reset_wal(const std::vector<std::string>& options) {
  std::vector<std::string> args{"resetwal", dir_};
  args.insert(args.end(), options.begin(), options.end());
  run_script(args, dir_ + ".log");
}

}  // namespace pg2sr::test
