// Partition roots from the catalog (see partition_roots.hpp).
#include "actors/source/partition_roots.hpp"

#include "actors/source/pg_connection.hpp"

namespace pg2sr::actors {

partition_roots::partition_roots(std::string conninfo, std::set<std::uint32_t> selected_roots)
    : conninfo_(std::move(conninfo)), selected_roots_(std::move(selected_roots)) {}

partition_roots::~partition_roots() = default;

std::optional<codecs::pgoutput::partition_root> partition_roots::operator()(std::uint32_t relid) {
  if (selected_roots_.count(relid)) return std::nullopt;
  if (!conn_) conn_ = std::make_unique<pg_connection>(conninfo_);
  auto rows = conn_->query(
      "SELECT r.oid::int8::text, n.nspname, r.relname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace "
      "WHERE r.oid = pg_partition_root($1::int8::oid) AND r.oid <> $1::int8::oid",
      {std::to_string(relid)});
  std::optional<codecs::pgoutput::partition_root> root;
  if (!rows.empty()) {
    auto root_relid = static_cast<std::uint32_t>(std::stoul(*rows[0][0]));
    if (selected_roots_.count(root_relid)) root = codecs::pgoutput::partition_root{root_relid, *rows[0][1], *rows[0][2]};
  }
  return root;
}

codecs::pgoutput::partition_root_lookup partition_root_lookup_of(std::string conninfo,
                                                                 std::set<std::uint32_t> selected_roots) {
  auto roots = std::make_shared<partition_roots>(std::move(conninfo), std::move(selected_roots));
  return [roots](std::uint32_t relid) { return (*roots)(relid); };
}

}  // namespace pg2sr::actors
