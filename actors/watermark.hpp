// Watermark actor: merges snapshot chunks into the stream (DBLog). Until the incremental
// snapshot lands it passes the stream through unchanged.
#pragma once

#include "actors/messages.hpp"

namespace pg2sr::actors {

struct watermark_state {
  watermark_state() = default;  // not an aggregate: CAF would build it from `self` otherwise
  decoder_actor upstream;
  static inline const char* name = "watermark";
};

watermark_actor::behavior_type watermark(watermark_actor::stateful_pointer<watermark_state> self,
                                         batcher_actor downstream);

}  // namespace pg2sr::actors
