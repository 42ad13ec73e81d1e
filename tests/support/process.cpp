// fork/exec/wait4 for the tests that run pg2sr itself.
#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pg2sr::test {

namespace {
process_result result_of(int status, const rusage& ru) {
  process_result r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.max_rss_kib = ru.ru_maxrss;
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return r;
}
}  // namespace

child_process::child_process(const std::vector<std::string>& argv, const std::string& log_file) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (!done_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

void child_process::kill(int signal) {
  if (!done_) ::kill(pid_, signal);
}

process_result child_process::wait() {
  // A child already reaped (by try_wait) has its result kept: a second wait4 would fail with
  // ECHILD for ever, and a loop retrying it spins.
  if (done_) return result_;
  int status = 0;
  rusage ru{};
  while (::wait4(pid_, &status, 0, &ru) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 on pid " + std::to_string(pid_) + ": " + std::strerror(errno));
  }
  done_ = true;
  result_ = result_of(status, ru);
  return result_;
}

bool child_process::try_wait(process_result& out) {
  if (done_) {
    out = result_;
    return true;
  }
  int status = 0;
  rusage ru{};
  if (::wait4(pid_, &status, WNOHANG, &ru) != pid_) return false;
  done_ = true;
  result_ = result_of(status, ru);
  out = result_;
  return true;
}

std::string run_command(const std::vector<std::string>& argv) {
  std::string log = "/tmp/pg2sr_run_command_" + std::to_string(::getpid()) + ".log";
  std::remove(log.c_str());
  child_process p(argv, log);
  p.wait();
  std::string out = read_text(log);
  std::remove(log.c_str());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace pg2sr::test
