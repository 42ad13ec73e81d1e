// The pipeline's durable state in state_dir/checkpoint.json, replaced atomically
// (write a temporary file, fsync it, rename it over the old one, fsync the folder), so a
// crash at any instant leaves either the old or the new state, never a torn one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actors/core/prepared_load.hpp"
#include "actors/snapshot/snapshot_state.hpp"

namespace pg2sr::actors {

struct checkpoint_state {
  std::uint64_t durable_lsn = 0;  ///< everything up to here is in the target
  std::string source_id;          ///< what the state belongs to (guards against a reused state_dir)
  snapshot_state snapshot;        ///< the incremental snapshot's plan and finished chunks
  /// 2PC loads below durable_lsn still to commit (a restart commits them first).
  std::vector<prepared_load> prepared;
};

class checkpoint_store {
 public:
  explicit checkpoint_store(std::filesystem::path state_dir);

  /// The persisted state; nullopt on a first start. Throws std::runtime_error when the file
  /// exists but cannot be read or parsed (never silently starts over).
  std::optional<checkpoint_state> load() const;

  /// Persists `state` atomically. Throws std::runtime_error on I/O failure.
  void save(const checkpoint_state& state) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path file_;
};

}  // namespace pg2sr::actors
