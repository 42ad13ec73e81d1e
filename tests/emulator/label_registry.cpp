// Labels and transactions of the StarRocks emulator (see label_registry.hpp).
#include "tests/emulator/label_registry.hpp"

#include <algorithm>

namespace pg2sr::test::starrocks {

const char* to_string(txn_state state) {
  switch (state) {
    case txn_state::prepare: return "PREPARE";
    case txn_state::prepared: return "PREPARED";
    case txn_state::committed: return "COMMITTED";
    case txn_state::visible: return "VISIBLE";
    case txn_state::aborted: return "ABORTED";
  }
  return "UNKNOWN";
}

bool valid_label(const std::string& label) {
  if (label.empty() || label.size() > 128) return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<begin_error> label_registry::check(const std::string& db, const std::string& label) const {
  if (!valid_label(label))
    return begin_error{false, "", "Label format error. regex: ^[-\\w]{1,128}$, label: " + label};
  if (auto it = by_label_.find({db, label}); it != by_label_.end()) {
    txn_state state = state_of(*it->second);
    if (state != txn_state::aborted) {
      // LabelAlreadyUsedException: PREPARE/PREPARED -> RUNNING, COMMITTED/VISIBLE -> FINISHED.
      bool running = state == txn_state::prepare || state == txn_state::prepared;
      return begin_error{true, running ? "RUNNING" : "FINISHED", "Label [" + label + "] has already been used."};
    }
  }
  return std::nullopt;
}

std::variant<std::shared_ptr<txn_record>, begin_error> label_registry::begin(const std::string& db,
                                                                            const std::string& table,
                                                                            const std::string& label,
                                                                            bool via_transaction_api) {
  if (auto error = check(db, label)) return *error;
  auto key = std::make_pair(db, label);
  auto txn = std::make_shared<txn_record>();
  txn->txn_id = next_txn_id_++;
  txn->db = db;
  txn->table = table;
  txn->label = label;
  txn->via_transaction_api = via_transaction_api;
  by_label_[key] = txn;
  return txn;
}

std::shared_ptr<txn_record> label_registry::find(const std::string& db, const std::string& label) const {
  auto it = by_label_.find({db, label});
  return it == by_label_.end() ? nullptr : it->second;
}

std::shared_ptr<txn_record> label_registry::open_transaction(const std::string& db, const std::string& label) const {
  auto txn = find(db, label);
  return txn && txn->via_transaction_api && state_of(*txn) == txn_state::prepare ? txn : nullptr;
}

txn_state label_registry::state_of(txn_record& txn) {
  if (txn.state == txn_state::committed && std::chrono::steady_clock::now() >= txn.visible_at)
    txn.state = txn_state::visible;
  if (txn.state == txn_state::prepare && !txn.busy && std::chrono::steady_clock::now() >= txn.expires_at)
    abort(txn, "timeout by txn manager");
  return txn.state;
}

void label_registry::abort(txn_record& txn, std::string reason) {
  txn.state = txn_state::aborted;
  txn.reason = std::move(reason);
  txn.loads.clear();
}

void label_registry::commit(txn_record& txn, std::chrono::milliseconds publish_delay) {
  txn.loads.clear();
  if (publish_delay.count() > 0) {
    txn.state = txn_state::committed;
    txn.visible_at = std::chrono::steady_clock::now() + publish_delay;
  } else {
    txn.state = txn_state::visible;
  }
}

}  // namespace pg2sr::test::starrocks
