// StarRocks committer: commits the 2PC loads the checkpoint has recorded (exactly_once),
// retrying what the network or a busy FE makes fail. Runs detached (blocking HTTP).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/stream_load_client.hpp"

namespace pg2sr::actors {

struct starrocks_committer_state {
  std::unique_ptr<stream_load_client> client;
  static inline const char* name = "starrocks-committer";
};

class prepared_journal;

/// Commits what it is asked and then forgets it in `journal`.
committer_actor::behavior_type starrocks_committer(committer_actor::stateful_pointer<starrocks_committer_state> self,
                                                   stream_load_settings settings,
                                                   std::shared_ptr<prepared_journal> journal);

/// Commits `load`: OK also when it was committed before. Throws std::runtime_error with
/// the server's answer when it cannot be (the transaction expired or was rolled back).
void commit_prepared(stream_load_client& client, const prepared_load& load);

/// Rolls back `label` if a transaction still holds it open; a label nobody holds, or one
/// already committed (recorded, committed, then forgotten by an earlier run), is left.
void roll_back_label(stream_load_client& client, const std::string& db, const std::string& table,
                     const std::string& label);

/// How the wait for a label the last run sent ended.
struct label_wait {
  enum class outcome { final_state, never_begun, unsettled } result = outcome::unsettled;
  std::string last_answer;  ///< the last state, or why there was none
};

struct label_wait_limits {
  std::chrono::steady_clock::time_point deadline;  ///< unsettled after this
  std::chrono::milliseconds never_begun_after;     ///< UNKNOWN this long: never begun
  std::chrono::seconds hold_for;                   ///< how long the label is held then
};

/// Waits until StarRocks holds `load`'s label in a final state (VISIBLE, COMMITTED or
/// ABORTED), at most until `limits.deadline` (one question at least), saying what it waits
/// for. A label answered UNKNOWN for `never_begun_after` never reached StarRocks: a dead
/// client sends nothing more, and StarRocks begins a load as soon as it reads its headers
/// (a label begun and forgotten, after label_keep_max_second, ended long ago). The label is
/// then taken by a transaction begun for `hold_for` and left open, so that a request of the
/// dead client StarRocks would read only now is refused (Label Already Exists); one that
/// took it first is waited for. `between_polls` runs between two questions; it may throw to
/// end the wait.
label_wait await_label(stream_load_client& client, const prepared_load& load, const label_wait_limits& limits,
                       const std::function<void()>& between_polls);

/// The labels loaders began and the checkpoint has not seen committed
/// (state_dir/starrocks-2pc.journal): on restart, those the checkpoint did not record are
/// rolled back. Shared by the loaders (append) and the committer (remove), thread-safe;
/// it holds only the loads in flight, so a restart settles a handful.
class prepared_journal {
 public:
  /// Reads what a previous run left.
  explicit prepared_journal(std::filesystem::path file);
  /// Appends and fsyncs; throws std::runtime_error on I/O errors.
  void append(const prepared_load& load);
  /// Forgets committed loads: the file is replaced atomically.
  void remove(const std::vector<prepared_load>& loads);
  std::vector<prepared_load> entries() const;
  /// Empties it (after a restart settled every entry).
  void clear();

 private:
  void rewrite();
  std::filesystem::path file_;
  mutable std::mutex mu_;
  std::vector<prepared_load> entries_;
};

}  // namespace pg2sr::actors
