// Decoder actor: runs the change assembler over each chunk of CopyData payloads, within
// the credit granted downstream.
#include "actors/source/decoder.hpp"

#include "codecs/pgoutput/lsn.hpp"

namespace pg2sr::actors {

using codecs::pgoutput::change_batch;
using codecs::pgoutput::change_event;
using codecs::pgoutput::column_value;
using self_ptr = decoder_actor::stateful_pointer<decoder_state>;

std::uint64_t decoded_cost(const change_batch& batch, std::size_t raw_bytes) {
  // load_row, compaction key and hash node, and a loader's plan of it (the PostgreSQL
  // sink's staged row and segment key): at 96 bytes, a 10M-row UPDATE into the PostgreSQL
  // sink peaked at 391 MiB with max_in_flight_bytes 256 MiB (perf/big_transaction.sh).
  constexpr std::size_t per_row_bookkeeping = 160;
  return raw_bytes + batch.events.capacity() * (sizeof(change_event) + per_row_bookkeeping) +
         batch.values.capacity() * sizeof(column_value);
}

namespace {

// Decodes pending chunks while credit lasts; returns false after quitting on bad input.
bool drain(self_ptr self) {
  auto& st = self->state;
  while (!st.pending.empty() && st.credit > 0) {
    auto [chunk, restart] = std::move(st.pending.front());
    st.pending.pop_front();
    // A new walsender session resends every transaction not acknowledged: drop the
    // half-received one (and streamed ones) instead of mixing them with the resend; the
    // assembler then passes on nothing of the resend that went downstream before.
    if (restart) st.assembler.reset();
    // Values view into the chunk's bytes: the batch shares ownership of the chunk.
    std::shared_ptr<const std::string> owner(chunk, &chunk->bytes);
    auto batch = std::make_shared<change_batch>();
    batch->events.reserve(chunk->size());
    for (std::size_t i = 0; i < chunk->size(); ++i) {
      std::string problem;
      try {
        if (auto err = st.assembler.feed((*chunk)[i], owner, *batch)) problem = codecs::pgoutput::to_string(*err);
      } catch (const std::exception& e) {  // the catalog lookup of a partition's root
        problem = std::string("cannot find which table a partition belongs to: ") + e.what();
      }
      if (!problem.empty()) {
        self->quit(make_pipeline_error(
            pipeline_errc::decode_failed,
            "cannot decode the replication stream (read up to " +
                codecs::format_lsn(st.metrics->source_lsn.load(std::memory_order_relaxed)) + "): " + problem));
        return false;
      }
    }
    std::uint64_t cost = decoded_cost(*batch, chunk->bytes.size());
    st.credit -= static_cast<std::int64_t>(cost);
    // Positions are the watermark actor's to number: it also inserts snapshot rows.
    event_batch_msg out;
    out.batch = std::move(batch);
    out.cost_bytes = cost;
    st.metrics->events.fetch_add(out.batch->events.size(), std::memory_order_relaxed);
    self->send(st.downstream, std::move(out));
    if (st.upstream) self->send(st.upstream, credit_msg{chunk->bytes.size()});
  }
  if (st.pending.empty() && st.end_pending) {
    st.end_pending = false;
    self->send(st.downstream, end_of_stream_msg{});
  }
  return true;
}

}  // namespace

decoder_actor::behavior_type decoder(self_ptr self, watermark_actor downstream, pipeline_metrics* metrics,
                                     std::uint64_t raw_window_bytes,
                                     codecs::pgoutput::partition_root_lookup partition_roots) {
  auto& st = self->state;
  if (partition_roots) st.assembler.relations().map_partitions(std::move(partition_roots));
  st.downstream = std::move(downstream);
  st.metrics = metrics;
  st.raw_window_bytes = raw_window_bytes;
  return {
      [=](wal_chunk_msg& msg) {
        self->state.pending.emplace_back(std::move(msg.chunk), msg.restart);
        drain(self);
      },
      [=](end_of_stream_msg&) {
        self->state.end_pending = true;
        drain(self);
      },
      [=](credit_msg& credit) {
        self->state.credit += static_cast<std::int64_t>(credit.bytes);
        drain(self);
      },
      [=](link_source_msg& link) {
        self->state.upstream = link.source;
        self->send(link.source, credit_msg{self->state.raw_window_bytes});
      },
  };
}

}  // namespace pg2sr::actors
