// Checkpoint actor: applies the acknowledgement rule (ack_tracker) to the batcher's
// progress, persists the durable LSN (checkpoint_store) and then tells the source what it
// may acknowledge to PostgreSQL: only what is on disk, so that after a crash PostgreSQL
// still has every transaction the checkpoint does not cover. With 2PC loads, records the
// prepared ones in the same file and has them committed once it is written.
//
// Exactly once: a restart commits the recorded loads, rolls back the others, streams
// again from the durable LSN and reads again the chunks not done. So each write holds every
// prepared load either whole (recorded; its transactions below the durable LSN; its chunks
// done) or not at all (none of that): the durable LSN and the chunks done stop at the first
// load not recorded, and a load is recorded only once its transactions have ended and every
// chunk it holds rows of has been handed over whole, with the loads before it.
//
// Receives: progress_msg, end_of_stream_msg (batcher); replan_table_msg, partition_jobs_msg, link_source_msg,
//   link_committer_msg, link_chunker_msg (engine); tick_atom (itself).
// Sends: durable_msg -> source; chunk_durable_msg -> chunker; commit_prepared_msg -> committer
//   (reply prepared_committed_msg); pipeline_done_msg -> engine.
#pragma once

#include <deque>
#include <memory>

#include "actors/core/ack_tracker.hpp"
#include "actors/core/checkpoint_store.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"

namespace pg2sr::actors {

struct checkpoint_actor_state {
  ack_tracker tracker;
  std::deque<chunk_mark> chunk_marks;  ///< snapshot chunks handed over, not yet durable
  std::shared_ptr<checkpoint_store> store;
  checkpoint_state persisted;
  source_actor source;  ///< receives durable_msg
  chunker_actor chunker;  ///< receives chunk_durable_msg (bounds the chunks in flight)
  caf::actor engine;  ///< receives pipeline_done_msg
  pipeline_metrics* metrics = nullptr;
  bool dirty = false;
  std::uint64_t durable_told = 0;  ///< the durable LSN the source was last told
  /// 2PC (exactly_once): prepared loads not recorded yet, and where recorded ones are
  /// committed once on disk.
  std::vector<prepared_load> awaiting;
  committer_actor committer;
  bool committing = false;
  bool ending = false;  ///< end of stream: done once the last recorded loads are committed
  static inline const char* name = "checkpoint";
};

/// `initial` is the state loaded at start; it is persisted at most every `persist_every`
/// and at the end of the stream.
checkpoint_actor::behavior_type checkpoint(checkpoint_actor::stateful_pointer<checkpoint_actor_state> self,
                                           std::shared_ptr<checkpoint_store> store, checkpoint_state initial,
                                           caf::actor engine, pipeline_metrics* metrics,
                                           std::chrono::milliseconds persist_every);

}  // namespace pg2sr::actors
