// Synthetic source actor: generate -> send within credit -> end of stream.
#include "actors/source/synthetic_source.hpp"

#include <algorithm>

namespace pg2sr::actors {

using self_ptr = source_actor::stateful_pointer<synthetic_source_state>;

namespace {

void end_stream(self_ptr self) {
  auto& st = self->state;
  if (st.ended) return;
  st.ended = true;
  self->send(st.downstream, end_of_stream_msg{});
}

// Below this much credit the source waits: tiny chunks cost more than they carry.
std::int64_t min_chunk(const synthetic_source_state& st) {
  return static_cast<std::int64_t>(std::min<std::size_t>(st.settings.max_chunk_bytes, 16 << 10));
}

void schedule(self_ptr self) {
  auto& st = self->state;
  if (st.produce_pending || st.ended) return;
  st.produce_pending = true;
  self->send(self, produce_atom::value);
}

// Sends one chunk if credit (and the rate limit) allow, then yields to the mailbox.
void produce(self_ptr self) {
  auto& st = self->state;
  st.produce_pending = false;
  if (st.ended) return;
  auto now = std::chrono::steady_clock::now();
  if (st.generator->finished() ||
      (st.settings.max_duration.count() > 0 && now - st.started >= st.settings.max_duration)) {
    end_stream(self);
    return;
  }
  if (st.credit < min_chunk(st)) return;  // credit_msg will wake us
  std::size_t max_events = SIZE_MAX;
  if (st.settings.events_per_sec > 0) {
    double elapsed = std::chrono::duration<double>(now - st.started).count();
    auto allowed = static_cast<std::uint64_t>(elapsed * static_cast<double>(st.settings.events_per_sec)) + 1;
    if (allowed <= st.events_sent) {
      st.produce_pending = true;
      self->delayed_send(self, std::chrono::milliseconds(5), produce_atom::value);
      return;
    }
    max_events = allowed - st.events_sent;
  }
  auto chunk = std::make_shared<raw_chunk>();
  std::size_t max_bytes = std::min<std::size_t>(st.settings.max_chunk_bytes, static_cast<std::size_t>(st.credit));
  std::size_t n = st.generator->next_batch(*chunk, max_bytes, max_events);
  st.events_sent += n;
  st.credit -= static_cast<std::int64_t>(chunk->bytes.size());
  st.metrics->source_bytes.fetch_add(chunk->bytes.size(), std::memory_order_relaxed);
  st.metrics->source_chunks.fetch_add(1, std::memory_order_relaxed);
  st.metrics->source_lsn.store(st.generator->position(), std::memory_order_relaxed);
  if (!chunk->empty()) self->send(st.downstream, wal_chunk_msg{std::move(chunk)});
  schedule(self);
}

}  // namespace

source_actor::behavior_type synthetic_source(self_ptr self, synthetic_settings settings, decoder_actor downstream,
                                             pipeline_metrics* metrics) {
  auto& st = self->state;
  st.settings = settings;
  st.downstream = std::move(downstream);
  st.metrics = metrics;
  st.generator = std::make_unique<codecs::wal_gen::wal_generator>(settings.params);
  if (settings.resume_lsn != 0) st.generator->seek(settings.resume_lsn, codecs::wal_gen::resume_mode::new_session);
  st.started = std::chrono::steady_clock::now();
  return {
      [=](credit_msg& c) {
        self->state.credit += static_cast<std::int64_t>(c.bytes);
        schedule(self);
      },
      [=](durable_msg&) {},
      [=](produce_atom) { produce(self); },
      [=](stop_atom) { end_stream(self); },
      [=](source_failed_msg& failed) {
        self->quit(make_pipeline_error(pipeline_errc::source_failed, failed.reason));
      },
  };
}

}  // namespace pg2sr::actors
