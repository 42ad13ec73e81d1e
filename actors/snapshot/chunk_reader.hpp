// Chunk reader: one pooled ordinary (non-replication) connection reading snapshot chunks.
// Per chunk, three short autocommit statements and no lock beyond the statement's own:
//   SELECT pg_logical_emit_message(false, 'pg2sr', 'L:<id>')      low watermark
//   COPY (SELECT <columns> FROM <table> WHERE <chunk>) TO STDOUT   rows -> watermark actor
//   SELECT pg_logical_emit_message(false, 'pg2sr', 'H:<id>')      high watermark
// A resync's target_keys chunk COPYs, of the target keys its file lists, those the source no
// longer has (actors/snapshot/resync_keys.hpp).
// Runs detached: libpq blocks.
//
// Receives: read_chunk_msg (chunker; reply chunk_read_msg).
// Sends: chunk_begin_msg, chunk_rows_msg, chunk_abort_msg -> watermark.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"
#include "actors/source/pg_connection.hpp"

namespace pg2sr::actors {

struct chunk_reader_settings {
  std::string conninfo;  ///< with the password: libpq only, never logged
  std::uint64_t max_rows_per_sec = 0;         ///< this reader's share of snapshot.max_rows_per_sec
  std::chrono::microseconds chunk_pause{0};   ///< sleep after each chunk (pgcopydb's --sleep)
  std::size_t rows_per_message = 8192;
};

struct chunk_reader_state {
  std::unique_ptr<pg_connection> conn;
  static inline const char* name = "chunk-reader";
};

chunk_reader_actor::behavior_type chunk_reader(chunk_reader_actor::stateful_pointer<chunk_reader_state> self,
                                               chunk_reader_settings settings, watermark_actor watermark,
                                               pipeline_metrics* metrics);

}  // namespace pg2sr::actors
