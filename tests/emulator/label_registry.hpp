// Labels and transactions of the StarRocks emulator: which label a non-aborted transaction
// holds, its state (PREPARE -> PREPARED -> COMMITTED -> VISIBLE, or ABORTED), and what
// `Label Already Exists` and get_load_state answer. Not thread-safe: the emulator locks.
#pragma once

#include "tests/emulator/load_body.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pg2sr::test::starrocks {

/// The FE's TransactionStatus names.
enum class txn_state { prepare, prepared, committed, visible, aborted };
const char* to_string(txn_state state);

/// One parsed body of a transaction (`/api/transaction/load`), applied at commit.
struct pending_load {
  parsed_rows rows;
  std::uint64_t loaded_rows = 0;  ///< rows.changes, or the counted rows in discard mode
  bool partial_update = false;
};

struct txn_record {
  std::int64_t txn_id = 0;
  std::string db;
  std::string table;
  std::string label;
  txn_state state = txn_state::prepare;
  bool via_transaction_api = false;  ///< begun by /api/transaction/begin: the BE keeps a context
  bool busy = false;                 ///< a transaction load or commit is running on it
  std::vector<pending_load> loads;   ///< transaction API bodies awaiting commit
  double max_filter_ratio = 0;
  std::uint64_t load_bytes = 0;
  std::string reason;  ///< why it was aborted
  std::chrono::steady_clock::time_point visible_at;  ///< COMMITTED until then (publish timeout)
  /// A transaction-API transaction still PREPARE then is aborted (its `timeout` header).
  std::chrono::steady_clock::time_point expires_at = std::chrono::steady_clock::time_point::max();
};

/// Why a transaction could not begin, as StarRocks reports it.
struct begin_error {
  bool label_exists = false;        ///< LABEL_ALREADY_EXISTS, else an analysis error
  std::string existing_job_status;  ///< RUNNING | FINISHED when label_exists
  std::string message;
};

/// True for labels matching ^[-\w]{1,128}$ (ASCII word characters, as Java's \w).
bool valid_label(const std::string& label);

class label_registry {
 public:
  /// Why `label` could not begin now (bad format, or held), without taking it.
  std::optional<begin_error> check(const std::string& db, const std::string& label) const;
  /// Takes `label` in `db` unless a non-aborted transaction holds it.
  std::variant<std::shared_ptr<txn_record>, begin_error> begin(const std::string& db, const std::string& table,
                                                               const std::string& label, bool via_transaction_api);
  /// The latest transaction that used `label` in `db`, or nullptr.
  std::shared_ptr<txn_record> find(const std::string& db, const std::string& label) const;
  /// The BE-side context of a transaction-API transaction still open (PREPARE), or nullptr.
  std::shared_ptr<txn_record> open_transaction(const std::string& db, const std::string& label) const;

  /// The state now (a COMMITTED transaction becomes VISIBLE at visible_at, a PREPARE one
  /// is ABORTED at expires_at).
  static txn_state state_of(txn_record& txn);
  static void abort(txn_record& txn, std::string reason);
  /// COMMITTED for `publish_delay`, VISIBLE after it (at once when zero).
  static void commit(txn_record& txn, std::chrono::milliseconds publish_delay);

 private:
  std::map<std::pair<std::string, std::string>, std::shared_ptr<txn_record>> by_label_;
  std::int64_t next_txn_id_ = 1000;
};

}  // namespace pg2sr::test::starrocks
