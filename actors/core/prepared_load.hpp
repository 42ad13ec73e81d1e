// A load the target holds PREPARED (StarRocks' transaction interface): invisible until
// committed. The checkpoint records it once a restart would send none of its rows again
// (see checkpoint.hpp), and it is committed only after that record is on disk; a restart
// commits recorded ones and rolls back any other (starrocks_loader.hpp, "exactly once").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/snapshot/snapshot_state.hpp"

namespace pg2sr::actors {

struct prepared_load {
  std::string db, table, label;
  std::uint64_t commit_lsn = 0;     ///< the newest commit LSN among its rows; 0: snapshot rows only
  std::uint32_t relid = 0;          ///< its source table (not persisted)
  std::uint64_t last_position = 0;  ///< stream position of its batch's last event (not persisted)
  std::uint64_t first_position = 0;  ///< and of its first (not persisted)
  std::vector<chunk_ref> chunks{};   ///< the snapshot chunks its snapshot rows come from (not persisted)
  bool operator==(const prepared_load&) const = default;
};

}  // namespace pg2sr::actors
