// Relation cache: what the latest Relation ('R') and Type ('Y') messages said about each
// table, so that tuples (which carry only values) can be matched to column names and types.
//
// A walsender sends R before the first change of a relation in a session and again after
// every ALTER TABLE, so an R always replaces the cached schema. Schemas are immutable and
// shared: events decoded under an old schema keep it alive after it has been replaced.
#pragma once

#include "codecs/pgoutput/pgoutput.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pg2sr::codecs::pgoutput {

/// One column as the Relation message described it.
struct column_schema {
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t typmod = -1;
  bool is_key = false;        ///< part of the replica identity (every column under FULL)
  std::string type_nspname;   ///< from a Type message; empty when none came (built-in types)
  std::string type_name;      ///< from a Type message; empty when none came (built-in types)
};

/// A table's shape at one point of the stream. Immutable once in the cache.
struct relation_schema {
  std::uint32_t relid = 0;
  std::string nspname;  ///< "pg_catalog" when the message said ""
  std::string relname;
  char replica_identity = 'd';  ///< d(efault), n(othing), f(ull), i(ndex)
  std::vector<column_schema> columns;
  std::vector<std::uint16_t> key_columns;  ///< indexes into `columns` of the key columns
  /// Unique and increasing across the cache's life: a higher version is a later R
  /// (for any relid); two schemas of one relid differ in version iff an R came between.
  std::uint64_t version = 0;

  /// Index of the column named `name`, if any.
  std::optional<std::size_t> column_index(std::string_view name) const;
  /// True when names, types, typmods and key flags of all columns are equal (a re-sent R
  /// after a reconnect describes the same layout; an ALTER TABLE does not).
  bool same_columns(const relation_schema& other) const;
  /// "nspname.relname".
  std::string qualified_name() const;
};

/// What a Type message said about a type oid.
struct type_info {
  std::uint32_t oid = 0;
  std::string nspname;  ///< "pg_catalog" when the message said ""
  std::string name;
};

/// The table a partition's changes are to be named after: its partition tree's root.
struct partition_root {
  std::uint32_t relid = 0;
  std::string nspname;
  std::string relname;
};

/// The root of `relid` when `relid` is a partition whose changes belong to a selected root
/// (the caller's catalog knows), else nothing.
using partition_root_lookup = std::function<std::optional<partition_root>(std::uint32_t relid)>;

/// relid -> latest schema; oid -> type name.
class relation_cache {
 public:
  /// A publication without publish_via_partition_root names a partition's changes by the
  /// partition: from now on the Relation message of a partition that `lookup` maps is
  /// cached under the partition's relid but names the root (relid, schema and name), so
  /// that its changes are the root's. Partitions with the same columns share one schema.
  void map_partitions(partition_root_lookup lookup) { lookup_ = std::move(lookup); }

  /// Stores the relation of an R message (replacing any earlier schema of its relid) and
  /// returns it. Type names seen in earlier Y messages are filled into its columns.
  const std::shared_ptr<const relation_schema>& apply(const relation_msg& msg);
  /// Remembers a Y message's type name for later Relation messages.
  void apply(const type_msg& msg);

  /// The latest schema of `relid`, or an empty pointer when no R has arrived for it.
  /// The reference stays valid until the next apply(relation_msg) or clear().
  const std::shared_ptr<const relation_schema>& find(std::uint32_t relid) const;
  /// The type named by a Y message for `oid`, or nullptr.
  const type_info* type(std::uint32_t oid) const;

  std::size_t size() const { return relations_.size(); }
  /// Forgets every relation and type (versions keep increasing).
  void clear();

 private:
  std::unordered_map<std::uint32_t, std::shared_ptr<const relation_schema>> relations_;
  std::unordered_map<std::uint32_t, type_info> types_;
  partition_root_lookup lookup_;
  std::unordered_map<std::uint32_t, std::shared_ptr<const relation_schema>> root_schemas_;  ///< latest per root
  std::uint64_t last_version_ = 0;
};

}  // namespace pg2sr::codecs::pgoutput
