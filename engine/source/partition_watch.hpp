// Partitions attached to or detached from a selected partitioned table, while pg2sr runs or
// while it was stopped. The stream carries no row for either: an attached table's rows were
// written before it was a partition, and a detached partition's rows leave the table
// without a DELETE. So each change of a root's leaf partitions becomes snapshot chunks of
// the root, read through the watermark windows like any chunk (a change the stream brings
// for a key meanwhile wins):
//   attached leaf -> its rows, read through the root (`tableoid = leaf`), loaded;
//   detached leaf -> its rows that the root does not hold again, read from the detached
//                    table, deleted from the target.
// The leaves the target reflects are kept in the checkpoint with the chunks (one message),
// so a crash between the two cannot lose the work nor plan it twice.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "actors/core/messages.hpp"
#include "actors/source/pg_connection.hpp"
#include "config/config.hpp"
#include "engine/source/table_selection.hpp"

namespace pg2sr::engine {

/// The leaf partitions (relids, sorted) of each partitioned table in `tables`, as they are now.
std::map<std::uint32_t, std::vector<std::uint32_t>> partition_leaves(actors::pg_connection& conn,
                                                                     const std::vector<source_table>& tables);

/// What one root's changed partitions need: the checkpoint's part and the chunks to read.
struct partition_jobs {
  actors::partition_jobs_msg plan;
  std::vector<actors::chunk_task_ptr> tasks;
};

class partition_watch {
 public:
  /// Follows the partitioned ones of `tables`, from the leaves and plan `snapshot` holds
  /// (the start records them for a root that has none).
  partition_watch(const config::pipeline_config& cfg, const std::vector<source_table>& tables,
                  const actors::snapshot_state& snapshot);
  ~partition_watch();
  bool empty() const { return roots_.empty(); }
  /// Reads the leaves of every root (one query); for each root whose leaves changed, the
  /// jobs, which the caller must hand on (they are taken as done). A root whose jobs cannot
  /// be planned is said once and tried again at the next call. Throws actors::pg_error when
  /// the leaves cannot be read; the next call tries again.
  std::vector<partition_jobs> check();
  /// The root's plan was replaced (`pg2sr snapshot --table`) by one of `chunks` chunks.
  void replanned(std::uint32_t root, std::size_t chunks);

 private:
  struct root_state {
    source_table table;
    std::vector<std::uint32_t> leaves;  ///< as the target reflects them
    std::uint32_t next_chunk = 0;       ///< index of the next chunk added to its plan
    bool failing = false;               ///< its last planning failed (said once)
  };
  partition_jobs jobs_for(root_state& root, const std::vector<std::uint32_t>& now);

  const config::pipeline_config& cfg_;
  std::map<std::uint32_t, root_state> roots_;
  std::unique_ptr<actors::pg_connection> conn_;
};

}  // namespace pg2sr::engine
