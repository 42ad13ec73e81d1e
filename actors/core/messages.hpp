// Messages between the pipeline's actors and the typed interface of each actor.
//
//   source --wal_chunk_msg--> decoder --event_batch_msg--> watermark --> batcher
//   batcher --load_request--> loader (replies load_ack)
//   batcher --progress_msg--> checkpoint --durable_msg--> source
//   batcher --credit_msg--> watermark --> decoder --credit_msg--> source   (back-pressure)
//   end_of_stream_msg follows the data path from the source to the checkpoint, which then
//   tells the engine (pipeline_done_msg) that everything read was durably loaded.
//
// Bulk data travels as shared_ptr to const batches: messages never carry single rows.
// These messages are local-only (never serialized), hence CAF_ALLOW_UNSAFE_MESSAGE_TYPE.
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <algorithm>
#include <string>
#include <vector>

#include "actors/core/load_batch.hpp"
#include "actors/core/prepared_load.hpp"
#include "actors/snapshot/snapshot_state.hpp"
#include "codecs/pgoutput/change_event.hpp"
#include "codecs/synthetic/wal_generator.hpp"
#include "codecs/values/pg_snapshot.hpp"

namespace pg2sr::actors {

using raw_chunk = codecs::wal_gen::wal_chunk;  ///< CopyData payloads back to back

/// source -> decoder: CopyData payloads in stream order, `bytes` counted against credit.
struct wal_chunk_msg {
  std::shared_ptr<const raw_chunk> chunk;
  bool restart = false;  ///< first chunk of a new walsender session: forget open transactions
};

/// The live reader's thread -> its actor: it cannot go on (the text says why and how to fix).
struct source_failed_msg {
  std::string reason;
};

/// decoder -> watermark -> batcher: decoded events (those in [begin, end) of `batch`); the
/// watermark numbers them: event begin + i has position first_position + i.
struct event_batch_msg {
  std::shared_ptr<const codecs::pgoutput::change_batch> batch;
  std::uint64_t first_position = 0;
  std::uint64_t cost_bytes = 0;  ///< memory it holds (raw + decoded): returned as credit once durable
  std::size_t begin = 0;
  std::size_t end = SIZE_MAX;    ///< clamped to batch->events.size()
  std::optional<chunk_ref> completes;  ///< snapshot rows: their chunk is done once these are durable
  bool snapshot_rows = false;          ///< chunk rows: one per key, appended without compaction
  chunk_ref chunk{};                   ///< snapshot rows: the chunk they come from
  std::size_t size() const { return std::min(end, batch->events.size()) - begin; }
};

/// Flows down the data path once the source has nothing more to send.
struct end_of_stream_msg {};

/// Downstream -> upstream: you may send this many more bytes (decoded bytes from the batcher
/// to the decoder, raw CopyData bytes from the decoder to the source).
struct credit_msg {
  std::uint64_t bytes = 0;
};

/// batcher -> loader. The loader replies load_ack or an error.
struct load_request {
  load_batch_ptr batch;
};

/// loader -> batcher: the batch is durably in the target.
struct load_ack {
  std::uint64_t batch_id = 0;
  std::uint32_t relid = 0;
  std::size_t rows = 0;
  std::vector<prepared_load> prepared;  ///< 2PC loads awaiting their commit (exactly_once)
};

/// A point in the stream that may be acknowledged once everything before it is durable.
struct ack_mark {
  std::uint64_t position = 0;
  std::uint64_t lsn = 0;
};

/// A snapshot chunk whose rows all come before `position` (the end of their run).
struct chunk_mark {
  std::uint64_t position = 0;
  chunk_ref chunk;
};

/// batcher -> checkpoint, in stream order: commits (and idle keepalives) seen since the
/// last message, chunks whose rows were all handed over, and the frontier below which
/// every event is durable in the target.
struct progress_msg {
  std::vector<ack_mark> marks;
  std::vector<chunk_mark> chunks;
  std::uint64_t frontier = 0;
  std::vector<prepared_load> prepared;
};

/// checkpoint -> committer: commit these recorded 2PC loads; the reply lists those done.
struct commit_prepared_msg {
  std::vector<prepared_load> loads;
};
struct prepared_committed_msg {
  std::vector<prepared_load> loads;
};
using committer_actor = caf::typed_actor<caf::replies_to<commit_prepared_msg>::with<prepared_committed_msg>>;
/// engine -> checkpoint: where recorded 2PC loads are committed.
struct link_committer_msg {
  committer_actor committer;
};

// ---- the incremental snapshot -------------------------------------------------------------

/// One chunk to read and all a reader needs for it.
struct chunk_task {
  chunk_ref ref;
  std::string table_sql;    ///< quoted schema.table
  std::string select_list;  ///< quoted columns, pgoutput order
  std::string predicate;
  std::string description;
  std::vector<std::string> key_columns;
  std::shared_ptr<const codecs::pgoutput::relation_schema> relation;  ///< key flags = key_columns
  std::string watermark_id;  ///< "<run>:<relid>:<index>": unique per run, so old watermarks replayed are ignored
  /// A keyless table read only up to the slot's exported snapshot: the rows the stream
  /// inserts are never among the chunk's, so an insert in the window is another row, even
  /// when identical to some of them.
  bool rows_predate_stream = false;
  /// The rows read are to be deleted from the target (a detached partition's), not loaded.
  bool deletes = false;
  /// With deletes: a resync's chunk of target keys, listed in `target_keys_file`
  /// (actors/snapshot/resync_keys.hpp); those the source no longer has are the chunk's
  /// rows, key columns only.
  bool target_keys = false;
  std::string target_keys_file;
  /// Read from this relation (by oid: a detached partition, maybe renamed since) instead of
  /// `table_sql`, which then names the partitioned table it left; 0: none.
  std::uint32_t source_relid = 0;
  /// With rows_predate_stream: the file listing the row versions the chunk reads
  /// (actors/snapshot/listed_rows.hpp); "" for a checkpoint of an earlier pg2sr, whose predicate
  /// selects them by xmin.
  std::string listed_rows;
};
using chunk_task_ptr = std::shared_ptr<const chunk_task>;
/// What a `deletes` chunk calls the relation it reads, for its predicate to name.
inline constexpr const char* detached_alias = "detached";

/// chunker -> chunk reader; the reader replies chunk_read_msg (or an error).
struct read_chunk_msg {
  chunk_task_ptr task;
};
struct chunk_read_msg {
  chunk_ref ref;
  std::uint64_t rows = 0;
  /// How long the reader is to rest before its next chunk (max_rows_per_sec, chunk_pause):
  /// the chunker waits, not the reader, so that a stop never waits for a throttle.
  std::chrono::microseconds rest{0};
};

/// chunk reader -> watermark, before it writes the low watermark: expect this chunk. The
/// watermark's mailbox keeps the order messages were put in it, so the window exists before
/// L (which the stream brings after this is sent) and before anything the chunk's
/// snapshot, taken after, could put there. Not waited for: the reader goes on while the
/// watermark takes the rows of the chunks before.
struct chunk_begin_msg {
  chunk_task_ptr task;
};
/// chunk reader -> watermark: rows read (all sent when `last`), as insert events. With the
/// last part, the chunk's snapshot: a transaction it saw in progress that committed before
/// L in the stream means the chunk is stale.
struct chunk_rows_msg {
  std::string watermark_id;
  std::shared_ptr<codecs::pgoutput::change_batch> rows;
  bool last = false;
  codecs::pg_snapshot snapshot;
};
/// chunk reader -> watermark: the read failed; forget the chunk's window (it is retried).
struct chunk_abort_msg {
  std::string watermark_id;
};
/// chunker -> watermark: every planned chunk has been read.
struct snapshot_read_msg {};
/// engine -> chunker: more chunks to read (an ad-hoc snapshot of a table).
struct add_tasks_msg {
  std::vector<chunk_task_ptr> tasks;
};
/// engine -> checkpoint: a table's new snapshot plan replaces its old one (ad-hoc snapshot).
struct replan_table_msg {
  snapshot_table_state table;
};
/// engine -> checkpoint: a partitioned table's partitions changed: `table.chunks` are
/// appended to its plan (the plan is `table` when it has none), and `leaves` are its
/// partitions from now on.
struct partition_jobs_msg {
  snapshot_table_state table;
  std::vector<std::uint32_t> leaves;
};

/// watermark -> chunker: a chunk's rows were dropped unreleased (stale, or incomplete at
/// its high watermark): read it again.
struct chunk_released_msg {
  chunk_ref ref;
  chunk_task_ptr reread;
};
/// checkpoint -> chunker: a chunk's rows are durable in the target, so another may be
/// read: the chunker keeps few chunks between reading and durable, bounding memory.
struct chunk_durable_msg {
  chunk_ref ref;
};

/// checkpoint -> source: the LSN that is durable (for PostgreSQL: the `flush` to send).
struct durable_msg {
  std::uint64_t lsn = 0;
};

/// checkpoint -> engine: the stream ended and everything read is durable and persisted.
struct pipeline_done_msg {
  std::uint64_t durable_lsn = 0;
};

/// engine -> batcher and checkpoint: who receives credit and durable LSNs (sent once,
/// after the source is spawned: the source needs them spawned first).

using stop_atom = caf::atom_constant<caf::atom("stop")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using produce_atom = caf::atom_constant<caf::atom("produce")>;

/// Failures that stop the pipeline; the text in the error's context says what and where.
enum class pipeline_errc : std::uint8_t {
  decode_failed = 1,
  load_failed,
  source_failed,
  checkpoint_failed,
};

/// A pipeline error carrying a human-readable message.
caf::error make_pipeline_error(pipeline_errc code, std::string message);

/// The message of a pipeline error, or CAF's rendering of any other error.
std::string describe(const caf::error& err);

// ---- typed interfaces -------------------------------------------------------------------
// Credit flows against the data: batcher -> watermark -> decoder (bytes of decoded batches
// the batcher can hold), decoder -> source (raw bytes the decoder can take). Each stage
// learns its upstream from a link message the engine sends once everything is spawned.

/// Every source (synthetic, live PostgreSQL): takes credit and durable LSNs, and stop.
/// produce_atom is its own wake-up call.
using source_actor = caf::typed_actor<caf::reacts_to<credit_msg>, caf::reacts_to<durable_msg>,
                                      caf::reacts_to<stop_atom>, caf::reacts_to<produce_atom>,
                                      caf::reacts_to<source_failed_msg>>;

/// engine -> decoder and checkpoint: the source (for raw credit and durable LSNs).
struct link_source_msg {
  source_actor source;
};

using decoder_actor = caf::typed_actor<caf::reacts_to<wal_chunk_msg>, caf::reacts_to<end_of_stream_msg>,
                                       caf::reacts_to<credit_msg>, caf::reacts_to<link_source_msg>>;

/// engine -> watermark: the decoder (credit goes there).
struct link_decoder_msg {
  decoder_actor decoder;
};



using chunk_reader_actor = caf::typed_actor<caf::replies_to<read_chunk_msg>::with<chunk_read_msg>>;

using chunker_actor = caf::typed_actor<caf::reacts_to<tick_atom>, caf::reacts_to<chunk_released_msg>,
                                       caf::reacts_to<chunk_durable_msg>,
                                       caf::reacts_to<add_tasks_msg>>;

/// engine -> watermark: the chunker (told when chunks are released).
struct link_chunker_msg {
  chunker_actor chunker;
};

using watermark_actor = caf::typed_actor<caf::reacts_to<event_batch_msg>, caf::reacts_to<end_of_stream_msg>,
                                         caf::reacts_to<credit_msg>, caf::reacts_to<link_decoder_msg>,
                                         caf::reacts_to<link_source_msg>,
                                         caf::reacts_to<chunk_begin_msg>,
                                         caf::reacts_to<chunk_rows_msg>, caf::reacts_to<chunk_abort_msg>,
                                         caf::reacts_to<snapshot_read_msg>, caf::reacts_to<link_chunker_msg>>;

/// engine -> batcher: the watermark (credit goes there; the batcher then grants its capacity).
struct link_watermark_msg {
  watermark_actor watermark;
};

using batcher_actor = caf::typed_actor<caf::reacts_to<event_batch_msg>, caf::reacts_to<end_of_stream_msg>,
                                       caf::reacts_to<link_watermark_msg>, caf::reacts_to<tick_atom>>;

using loader_actor = caf::typed_actor<caf::replies_to<load_request>::with<load_ack>>;

using checkpoint_actor = caf::typed_actor<caf::reacts_to<progress_msg>, caf::reacts_to<end_of_stream_msg>,
                                          caf::reacts_to<link_source_msg>, caf::reacts_to<tick_atom>,
                                          caf::reacts_to<replan_table_msg>, caf::reacts_to<partition_jobs_msg>,
                                          caf::reacts_to<link_committer_msg>,
                                          caf::reacts_to<link_chunker_msg>>;

}  // namespace pg2sr::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::wal_chunk_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::source_failed_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::event_batch_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::end_of_stream_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::credit_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::load_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::load_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::progress_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::commit_prepared_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::prepared_committed_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::link_committer_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::durable_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::pipeline_done_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::link_source_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::read_chunk_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::chunk_read_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::chunk_begin_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::chunk_rows_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::chunk_abort_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::snapshot_read_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::chunk_released_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::chunk_durable_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::add_tasks_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::replan_table_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::partition_jobs_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::link_chunker_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::link_decoder_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pg2sr::actors::link_watermark_msg)
