// The pipeline's slot as pg_replication_slots shows it, for the status line: how much WAL
// it may still hold back before PostgreSQL invalidates it (max_slot_wal_keep_size).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "actors/source/pg_connection.hpp"
#include "engine/source/slot_commands.hpp"

namespace pg2sr::engine {

class slot_health {
 public:
  slot_health(std::string conninfo, std::string slot);
  ~slot_health();
  /// The slot now, over a connection of its own (opened again after a failure); nothing
  /// when the server cannot be read or the slot is gone.
  std::optional<server_slot> read();

 private:
  std::string conninfo_;
  std::string slot_;
  std::unique_ptr<actors::pg_connection> conn_;
};

}  // namespace pg2sr::engine
