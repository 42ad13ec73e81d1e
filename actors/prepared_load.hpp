// A load the target holds PREPARED (StarRocks' transaction interface): invisible until
// committed. The checkpoint records it once its rows are below the durable LSN, and it is
// committed only after that record is on disk; a restart commits recorded ones and rolls
// back any other (see starrocks_loader.hpp, "exactly once").
#pragma once

#include <cstdint>
#include <string>

namespace pg2sr::actors {

struct prepared_load {
  std::string db, table, label;
  std::uint64_t commit_lsn = 0;     ///< the newest commit LSN among its rows
  std::uint32_t relid = 0;          ///< its source table (not persisted)
  std::uint64_t last_position = 0;  ///< stream position of its batch's last event (not persisted)
  bool operator==(const prepared_load&) const = default;
};

}  // namespace pg2sr::actors
