// Partition roots from the catalog, for a decoder whose publication names a partition's
// changes by the partition (publish_via_partition_root = false, or changes written before
// pg2sr switched it on): each such change belongs to its root, the one table pg2sr keeps.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "codecs/pgoutput/relation_cache.hpp"

namespace pg2sr::actors {

class pg_connection;

/// Looks up `pg_partition_root` of a relid over its own connection (opened at the first
/// lookup); a root that is not among `selected_roots` maps nothing. Asked again at every
/// Relation message (they are rare: one per table per session and per ALTER), since a table
/// may be attached or detached in between. Throws pg_error when the catalog cannot be
/// read: a change must not be named by a guess.
class partition_roots {
 public:
  partition_roots(std::string conninfo, std::set<std::uint32_t> selected_roots);
  ~partition_roots();
  std::optional<codecs::pgoutput::partition_root> operator()(std::uint32_t relid);

 private:
  std::string conninfo_;
  std::set<std::uint32_t> selected_roots_;
  std::unique_ptr<pg_connection> conn_;
};

/// The lookup for relation_cache::map_partitions; shares one partition_roots.
codecs::pgoutput::partition_root_lookup partition_root_lookup_of(std::string conninfo,
                                                                 std::set<std::uint32_t> selected_roots);

}  // namespace pg2sr::actors
