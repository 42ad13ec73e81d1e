// StarRocks committer: commits the 2PC loads the checkpoint has recorded (exactly_once),
// retrying what the network or a busy FE makes fail. Runs detached (blocking HTTP).
//
// Receives: commit_prepared_msg (checkpoint; reply prepared_committed_msg).
// Sends: nothing else.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/core/messages.hpp"
#include "actors/sinks/starrocks/stream_load_client.hpp"

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

/// How a label the last run sent, and never saw answered, was settled.
struct label_settlement {
  enum class outcome {
    held,       ///< now taken by an empty transaction of this run: no late request can land
    ended,      ///< its load committed (VISIBLE, COMMITTED), or failed when it could not be held
    unsettled,  ///< a load still holds it at the deadline, or no answer
  } result = outcome::unsettled;
  std::string last_answer;  ///< what StarRocks last said (or why it said nothing)
};

/// Settles `load`'s label before this run loads anything: a load of the dead run that
/// StarRocks commits after this run's loads of the table would bring back what they changed.
/// The label is taken by a transaction begun under it (/api/transaction/begin) and left
/// open: StarRocks ends it at its timeout (the `timeout` header: load_timeout), and till then
/// a request of the dead run read late is refused (Label Already Exists). Taken already: a
/// load holds it, waited for until it is final (ABORTED: taken again), at most until
/// `deadline`, or load_timeout after it was first seen running if later. Transport errors
/// and 5xx are asked again. An answer that cannot take a label (the transaction interface
/// missing, StarRocks < 2.4) falls back to get_load_state: only VISIBLE, COMMITTED or
/// ABORTED end the wait then (UNKNOWN may be a load not begun yet). `between_polls` runs
/// between two questions; it may throw to end the wait.
label_settlement settle_unanswered_label(stream_load_client& client, const prepared_load& load,
                                         std::chrono::steady_clock::time_point deadline,
                                         std::chrono::milliseconds load_timeout,
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
  const std::filesystem::path& file() const { return file_; }

 private:
  void rewrite();
  std::filesystem::path file_;
  mutable std::mutex mu_;
  std::vector<prepared_load> entries_;
};

}  // namespace pg2sr::actors
