// PostgreSQL snapshots as pg_current_snapshot() prints them ("xmin:xmax:xip,xip,..."), and
// which transactions they see, for the 32-bit xids the replication stream carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pg2sr::codecs {

struct pg_snapshot {
  std::uint64_t xmin = 0;  ///< every xid below it had ended when the snapshot was taken
  std::uint64_t xmax = 0;  ///< every xid from it on had not ended
  std::vector<std::uint64_t> xip;  ///< in progress between the two (top-level xids only)
  std::vector<std::uint32_t> xip32;  ///< xip as pgoutput's 32-bit xids, sorted (parse fills it)

  /// Whether the transaction `xid` (32-bit, as pgoutput sends it) was still in progress
  /// for this snapshot: its changes were invisible even if it committed. Compared modulo
  /// 2^32, as PostgreSQL compares xids, so it holds across an epoch boundary.
  bool in_progress(std::uint32_t xid) const;
};

/// "xmin:xmax:xip,..." -> snapshot, or nothing when the text is not of that form.
std::optional<pg_snapshot> parse_pg_snapshot(std::string_view text);

/// a precedes b in PostgreSQL's circular 32-bit xid order.
inline bool xid_precedes(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

}  // namespace pg2sr::codecs
