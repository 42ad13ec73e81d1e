// StarRocks loader: turns one table's compacted batch into Stream Loads and acknowledges it
// only once every part is in StarRocks. Runs detached (blocking HTTP); the batcher keeps one
// load per table in flight and runs up to max_concurrent_loads of these side by side.
//
// A batch becomes one load of whole rows (upserts and, on Primary Key tables, deletes with
// "__op": 1) plus one partial-update load per set of present columns (updates whose
// unchanged TOAST columns were not sent: the target keeps its value). A partial update of a
// key that a key change created has no row in StarRocks to complete: that row is read again
// from the source by key, whole (any later change comes later in the stream, so the end
// state is the source's; a row gone meanwhile is left to the change that removed it).
// Every part has a label naming its target, its content and the run, so a retry is
// recognised by StarRocks ("Label Already Exists" + FINISHED) instead of being applied
// twice; a replay after a crash loads again under new labels (upserts and deletes by key
// end the same). Fail and transport
// errors are retried with backoff under the same label; a RUNNING label is polled; 401 and
// failures that cannot pass on retry stop the pipeline with the server's message.
//
// Exactly once (sink.exactly_once, Duplicate Key tables, where loading a row twice would
// keep it twice): each part is begun, loaded and PREPARED through the transaction
// interface, its label journaled before; the ack carries it to the checkpoint, which
// records it once its rows are below the durable LSN and commits it after writing that
// record. A restart commits recorded labels and rolls back the journal's others.
//
// Receives: load_request (batcher; reply load_ack).
// Sends: nothing else.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"
#include "actors/sinks/starrocks/stream_load_client.hpp"
#include "actors/source/source_row_reader.hpp"
#include "codecs/starrocks/starrocks_rows.hpp"
#include "config/config.hpp"

namespace pg2sr::actors {

/// One selected table as it exists in StarRocks (what `pg2sr ddl` creates).
struct starrocks_target {
  std::string db;
  std::string name;         ///< target table name
  bool primary_key = true;  ///< Primary Key model; false: Duplicate Key (append only)
  codecs::starrocks::table_encoding columns;  ///< the target's columns (PostgreSQL names) and mappings
};
using starrocks_targets = std::unordered_map<std::uint32_t, starrocks_target>;  ///< by source relid

struct starrocks_loader_settings {
  stream_load_settings http;
  std::string pipeline;  ///< first part of every label
  /// This start of the pipeline, in every label: a replay after a restart loads under new
  /// labels (codecs::stream_load::label says why); retries within the run keep theirs.
  std::uint32_t run = 0;
  config::row_format format = config::row_format::json;
  config::compression compression = config::compression::none;
  codecs::starrocks::mapping_options mapping;  ///< for columns the stream adds
  std::shared_ptr<const starrocks_targets> targets;
  /// The ALTER TABLE that adds `column` (which the stream brought) to `target`, or why it
  /// cannot be mapped; set by the engine, which reads the source's catalog.
  std::function<std::string(const starrocks_target& target, const codecs::pgoutput::column_schema& column)>
      add_column_sql;
  /// Non-empty: a table without a target loads into a table of this database named and
  /// typed after its relation (the synthetic source, whose tables no catalog holds).
  std::string derive_targets_in;
  /// Duplicate Key tables through the transaction interface (see the file comment).
  bool exactly_once = false;
  std::shared_ptr<class prepared_journal> journal;  ///< labels begun (exactly_once)
  /// Labels of Stream Loads sent and not yet answered: after a crash, StarRocks may still
  /// commit one (its body was in), so a restart waits for each before loading anything.
  std::shared_ptr<class prepared_journal> in_flight;
  /// The source, where a row whose key moved with unchanged TOAST columns is read again
  /// whole (StarRocks has no row under the new key for a partial update to complete).
  std::string source_conninfo;
  int max_attempts = 10;                         ///< per part, for retryable failures
  std::chrono::milliseconds first_backoff{500};  ///< doubles per attempt, at most 30 s
};

struct starrocks_loader_state {
  std::unique_ptr<stream_load_client> client;
  std::unique_ptr<source_row_reader> source;  ///< made at the first row read again
  std::string body, compressed;  ///< reused across loads
  static inline const char* name = "starrocks-loader";
};

loader_actor::behavior_type starrocks_loader(loader_actor::stateful_pointer<starrocks_loader_state> self,
                                             starrocks_loader_settings settings, pipeline_metrics* metrics);

}  // namespace pg2sr::actors
