// The state_dir holds key values, SQL predicates run on restart and loads in flight: it is
// private to its owner (0700, files 0600 through the process umask) and held by one
// `pg2sr run` at a time, which an exclusive flock on state_dir/lock enforces.
#pragma once

#include <filesystem>
#include <string>

namespace pg2sr::engine {

/// Holds the state_dir for as long as it lives.
class state_dir_lock {
 public:
  /// Creates `dir` 0700 (an existing one is set to 0700), takes an exclusive flock on
  /// dir/lock and writes this process there; throws std::runtime_error naming the holder
  /// (pid, host, start time) when another process has it.
  explicit state_dir_lock(const std::filesystem::path& dir);
  ~state_dir_lock();
  state_dir_lock(const state_dir_lock&) = delete;
  state_dir_lock& operator=(const state_dir_lock&) = delete;

 private:
  int fd_ = -1;
};

/// Why `pg2sr run` could not use `dir` ("" when it could): not a directory, not writable,
/// not creatable, or held by another run (named). Changes nothing (for `pg2sr check`).
std::string state_dir_problem(const std::filesystem::path& dir);

/// state_dir/slot-unplanned names a slot this state_dir's run created and has not yet
/// saved a snapshot plan for: if that run died meanwhile, nothing was loaded from the slot,
/// and the next start may drop it and create it again, with a snapshot to plan by.
void mark_slot_unplanned(const std::filesystem::path& dir, const std::string& slot);
bool slot_unplanned(const std::filesystem::path& dir, const std::string& slot);
void clear_slot_unplanned(const std::filesystem::path& dir);

}  // namespace pg2sr::engine
