// Reads one row of the source again, whole, by key: for a target that was sent a partial
// update (unchanged TOAST values left out) of a key it has no row for, after a key change.
// The read waits until the source's snapshot sees the transaction of the row's change (a
// commit can reach the stream before it is visible). Not an actor: a loader's helper.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/source/pg_connection.hpp"
#include "codecs/pgoutput/relation_cache.hpp"

namespace pg2sr::actors {

class source_row_reader {
 public:
  explicit source_row_reader(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  enum class outcome {
    found,       ///< `row` holds the row's values, in the relation's column order
    gone,        ///< no row under that key now (a later change removed or moved it)
    unreadable,  ///< the query failed (a column dropped since, a binary key...): `why` says
  };
  /// The row of `rel` whose key columns (rel.key_columns) have the texts `key`, once the
  /// source's snapshot sees transaction `xid` (0: at once), waiting at most until
  /// `deadline`. Throws pg_error when the source cannot be reached (retryable).
  outcome read(const codecs::pgoutput::relation_schema& rel, const std::vector<std::string>& key, std::uint32_t xid,
               std::chrono::steady_clock::time_point deadline, std::vector<std::optional<std::string>>& row,
               std::string& why);

 private:
  std::string conninfo_;
  std::unique_ptr<pg_connection> conn_;
};

}  // namespace pg2sr::actors
