// Checkpoint actor: applies the acknowledgement rule (ack_tracker) to the batcher's
// progress, persists the durable LSN (checkpoint_store) and tells the source what it may
// acknowledge to PostgreSQL.
#pragma once

#include <deque>
#include <memory>

#include "actors/ack_tracker.hpp"
#include "actors/checkpoint_store.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"

namespace pg2sr::actors {

struct checkpoint_actor_state {
  ack_tracker tracker;
  std::deque<chunk_mark> chunk_marks;  ///< snapshot chunks handed over, not yet durable
  std::shared_ptr<checkpoint_store> store;
  checkpoint_state persisted;
  source_actor source;  ///< receives durable_msg
  caf::actor engine;  ///< receives pipeline_done_msg
  pipeline_metrics* metrics = nullptr;
  bool dirty = false;
  static inline const char* name = "checkpoint";
};

/// `initial` is the state loaded at start; it is persisted at most every `persist_every`
/// and at the end of the stream.
checkpoint_actor::behavior_type checkpoint(checkpoint_actor::stateful_pointer<checkpoint_actor_state> self,
                                           std::shared_ptr<checkpoint_store> store, checkpoint_state initial,
                                           caf::actor engine, pipeline_metrics* metrics,
                                           std::chrono::milliseconds persist_every);

}  // namespace pg2sr::actors
