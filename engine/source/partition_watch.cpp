// Partitions attached and detached (see partition_watch.hpp).
#include "engine/source/partition_watch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/snapshot/snapshot_plan.hpp"
#include "engine/snapshot/snapshot_tasks.hpp"

namespace pg2sr::engine {

using actors::quote_ident;
using actors::quote_qualified;

namespace {

constexpr std::uint64_t partition_chunk_rows = 10'000;

std::vector<std::uint32_t> parse_oid_array(const std::string& text) {  // "{1,2,3}"
  std::vector<std::uint32_t> out;
  std::size_t at = 1;
  while (at < text.size() && text[at] != '}') {
    std::size_t end = text.find_first_of(",}", at);
    out.push_back(static_cast<std::uint32_t>(std::stoul(text.substr(at, end - at))));
    at = end + (text[end] == ',' ? 1 : 0);
  }
  return out;
}

// A relation by oid as a source_table; nothing when it no longer exists.
std::optional<source_table> relation_of(actors::pg_connection& conn, std::uint32_t relid) {
  auto rows = conn.query(
      "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.oid = $1::int8::oid",
      {std::to_string(relid)});
  if (rows.empty()) return std::nullopt;
  source_table t;
  t.schema = *rows[0][0];
  t.name = *rows[0][1];
  t.oid = relid;
  return t;
}

// `root`'s key columns equal to those of the row read from the detached partition. A
// primary key is never NULL; a key_column may be, and NULL keys are one key to pg2sr.
std::string root_holds_key(const actors::snapshot_table_state& root) {
  std::string same;
  for (const auto& k : root.key_columns) {
    std::string r = "\"pg2sr_root\"." + quote_ident(k), d = quote_ident(actors::detached_alias) + "." + quote_ident(k);
    same += (same.empty() ? "" : " AND ") +
            (root.key_source == "primary key" ? r + " = " + d : "(" + r + " = " + d + " OR (" + r + " IS NULL AND " + d + " IS NULL))");
  }
  return "EXISTS (SELECT 1 FROM " + quote_qualified(root.schema, root.name) + " AS \"pg2sr_root\" WHERE " + same + ")";
}

std::string names(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::map<std::uint32_t, std::vector<std::uint32_t>> partition_leaves(actors::pg_connection& conn,
                                                                     const std::vector<source_table>& tables) {
  std::string roots = "{";
  for (const auto& t : tables)
    if (t.partitioned) roots += (roots.size() > 1 ? "," : "") + std::to_string(t.oid);
  roots += "}";
  std::map<std::uint32_t, std::vector<std::uint32_t>> out;
  if (roots == "{}") return out;
  // A root dropped meanwhile lists nothing (rather than every leaf as detached).
  for (const auto& r : conn.query(
           "SELECT r.root::int8::text, coalesce((SELECT array_agg(t.relid::int8 ORDER BY t.relid::int8) "
           "  FROM pg_partition_tree(r.root) t WHERE t.isleaf), '{}')::text "
           "FROM unnest($1::oid[]) AS r(root) WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = r.root)",
           {roots}))
    out[static_cast<std::uint32_t>(std::stoul(*r[0]))] = parse_oid_array(*r[1]);
  return out;
}

partition_watch::partition_watch(const config::pipeline_config& cfg, const std::vector<source_table>& tables,
                                 const actors::snapshot_state& snapshot)
    : cfg_(cfg) {
  for (const auto& t : tables) {
    if (!t.partitioned) continue;
    root_state r;
    r.table = t;
    auto known = snapshot.partition_leaves.find(t.oid);
    if (known == snapshot.partition_leaves.end()) continue;  // recorded when planned; an older checkpoint has none
    r.leaves = known->second;
    if (const auto* plan = snapshot.find(t.oid)) {
      for (const auto& c : plan->chunks) r.next_chunk = std::max(r.next_chunk, c.index + 1);
    }
    roots_.emplace(t.oid, std::move(r));
  }
}

partition_watch::~partition_watch() = default;

std::vector<partition_jobs> partition_watch::check() {
  if (roots_.empty()) return {};
  if (!conn_ || PQstatus(conn_->get()) != CONNECTION_OK)
    conn_ = std::make_unique<actors::pg_connection>(config::conninfo(cfg_.source.postgres, true));
  std::vector<source_table> tables;
  for (const auto& [relid, r] : roots_) tables.push_back(r.table);
  std::map<std::uint32_t, std::vector<std::uint32_t>> leaves;
  try {
    leaves = partition_leaves(*conn_, tables);
  } catch (...) {
    conn_.reset();
    throw;
  }
  std::vector<partition_jobs> out;
  for (const auto& [relid, now] : leaves) {
    auto& root = roots_.at(relid);
    if (now == root.leaves) continue;
    try {
      out.push_back(jobs_for(root, now));
      if (root.failing) spdlog::info("partitions of {}: planned", root.table.qualified());
      root.failing = false;
    } catch (const std::exception& e) {
      if (!root.failing)
        spdlog::warn("partitions of {} changed, but their rows cannot be planned yet ({}); trying again",
                     root.table.qualified(), e.what());
      root.failing = true;
      if (PQstatus(conn_->get()) != CONNECTION_OK) {
        conn_.reset();
        break;
      }
    }
  }
  return out;
}

void partition_watch::replanned(std::uint32_t root, std::size_t chunks) {
  if (auto it = roots_.find(root); it != roots_.end()) it->second.next_chunk = static_cast<std::uint32_t>(chunks);
}

partition_jobs partition_watch::jobs_for(root_state& root, const std::vector<std::uint32_t>& now) {
  std::vector<std::uint32_t> attached, detached;
  std::set_difference(now.begin(), now.end(), root.leaves.begin(), root.leaves.end(), std::back_inserter(attached));
  std::set_difference(root.leaves.begin(), root.leaves.end(), now.begin(), now.end(), std::back_inserter(detached));
  auto& conn = *conn_;
  auto shape = table_shape(cfg_, conn, root.table);
  partition_jobs jobs;
  jobs.plan.table = shape;
  jobs.plan.leaves = now;
  std::vector<std::string> read, deleted, lost;
  auto next_chunk = root.next_chunk;  // taken only if all is planned
  if (shape.key_source == "ctid") {
    spdlog::warn("partitions of {} changed ({} attached, {} detached), but it has no key: the rows that came or left "
                 "with them are not followed; take its snapshot again into an emptied target table",
                 root.table.qualified(), attached.size(), detached.size());
  } else {
    auto add = [&](const snapshot_table_plan& leaf, bool deletes) {
      for (const auto& c : leaf.chunks) {
        actors::snapshot_chunk_state chunk;
        chunk.index = next_chunk++;
        chunk.estimated_rows = c.estimated_rows;
        chunk.description = "of partition " + leaf.schema + "." + leaf.name + (deletes ? " (detached) " : " ") +
                            c.description;
        if (deletes) {
          chunk.source_relid = leaf.relid;
          chunk.deletes = true;
          chunk.predicate = "(" + c.predicate + " AND NOT " + root_holds_key(shape) + ")";
        } else {
          chunk.predicate = "(tableoid = " + std::to_string(leaf.relid) + "::oid AND " + c.predicate + ")";
        }
        jobs.plan.table.chunks.push_back(std::move(chunk));
      }
    };
    auto key = key_column_override(cfg_, root.table);
    for (bool deletes : {false, true}) {
      for (auto relid : deletes ? detached : attached) {
        auto leaf = relation_of(conn, relid);
        if (!leaf) {
          lost.push_back(std::to_string(relid));
          continue;
        }
        // Chunks by the leaf's own key ranges (its key columns are the root's), of at least
        // partition_chunk_rows: a partition comes or goes whole, often large, and each
        // chunk costs two watermarks.
        add(plan_table(conn, *leaf, key, std::max<std::uint64_t>(cfg_.snapshot.chunk_rows, partition_chunk_rows)),
            deletes);
        (deletes ? deleted : read).push_back(leaf->qualified());
      }
    }
  }
  if (!lost.empty())
    spdlog::error("partitions of {} (relids {}) were detached or dropped and no longer exist: their rows, if they had "
                  "any, stay in the target; delete them there by hand if they are not to stay",
                  root.table.qualified(), names(lost));
  std::vector<std::string> what;
  if (!read.empty()) what.push_back("reading the rows of " + names(read) + " (attached)");
  if (!deleted.empty()) what.push_back("deleting from the target the rows of " + names(deleted) + " (detached)");
  spdlog::info("partitions of {} changed: {} chunk(s), {}", root.table.qualified(), jobs.plan.table.chunks.size(),
               what.empty() ? "no rows to follow" : names(what));
  jobs.tasks = table_tasks(cfg_, conn, jobs.plan.table);
  root.leaves = now;
  root.next_chunk = next_chunk;
  return jobs;
}

}  // namespace pg2sr::engine
