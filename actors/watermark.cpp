// Watermark actor: pass-through for now (no snapshot chunks to merge yet); it holds no
// data, so credit from the batcher goes straight on to the decoder.
#include "actors/watermark.hpp"

namespace pg2sr::actors {

watermark_actor::behavior_type watermark(watermark_actor::stateful_pointer<watermark_state> self,
                                         batcher_actor downstream) {
  return {
      [=](event_batch_msg& msg) { self->send(downstream, std::move(msg)); },
      [=](end_of_stream_msg& eos) { self->send(downstream, eos); },
      [=](credit_msg& credit) {
        if (self->state.upstream) self->send(self->state.upstream, credit);
      },
      [=](link_decoder_msg& link) { self->state.upstream = link.decoder; },
  };
}

}  // namespace pg2sr::actors
