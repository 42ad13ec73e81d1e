// Child processes for tests that run the pg2sr executable: start, kill -9, wait with the
// exit code and peak memory (rusage).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pg2sr::test {

struct process_result {
  int exit_code = -1;      ///< -1 when killed by a signal
  int signal = 0;          ///< the signal that ended it, 0 if it exited
  long max_rss_kib = 0;    ///< peak resident set size
  double cpu_seconds = 0;  ///< user + system
};

class child_process {
 public:
  /// Starts `argv` with stdout and stderr appended to `log_file`.
  child_process(const std::vector<std::string>& argv, const std::string& log_file);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void kill(int signal);
  /// Waits for the end (blocking).
  process_result wait();
  /// Non-blocking: true (and `out` filled) when it has ended.
  bool try_wait(process_result& out);

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  process_result result_;
};

/// Runs `argv` to its end and returns what it printed (stdout and stderr).
std::string run_command(const std::vector<std::string>& argv);

/// The file's text ("" when missing).
std::string read_text(const std::string& path);

}  // namespace pg2sr::test
