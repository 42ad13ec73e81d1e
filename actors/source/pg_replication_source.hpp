// Live PostgreSQL source: ONE replication connection (libpq, replication=database) on ONE
// logical slot, for any number of tables.
//
// The actor is a thin front: the blocking libpq work runs on a dedicated thread that
// meets the actor through a moodycamel queue (credit, durable LSN, stop) and an eventfd,
// and sends CopyData chunks straight to the decoder. The thread reads the socket only
// while it has credit: when the loaders are slow it stops reading and the walsender
// blocks on TCP. It answers keepalives that ask for a reply at once, sends standby status
// updates (flush = the durable LSN) every `status_interval`, and on connection loss
// reconnects with exponential backoff, resuming from the durable LSN.
//
// Receives: credit_msg (decoder); durable_msg (checkpoint); stop_atom (engine, watermark);
//   produce_atom, source_failed_msg (its reading thread).
// Sends: wal_chunk_msg, end_of_stream_msg -> decoder.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"

namespace pg2sr::actors {

struct replication_settings {
  std::string conninfo;      ///< libpq string with the password: given to libpq only, never logged
  std::string where;         ///< "host:port/dbname" for messages
  std::string slot;
  std::string publication;
  bool binary = false;
  /// Ask for transactions in progress (pgoutput `streaming`): a large one arrives before its
  /// commit, to be held until it ends. Off: the walsender spills it and sends it once committed.
  bool streaming = false;
  std::chrono::milliseconds status_interval{10'000};
  std::uint64_t start_lsn = 0;              ///< durable LSN from the checkpoint; 0 = the slot's position
  std::uint64_t stop_at_lsn = 0;            ///< end the stream at a commit or keepalive reaching it (0 = never)
  std::size_t max_chunk_bytes = 256 << 10;  ///< raw bytes per message to the decoder
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
};

struct replication_reader;  // the thread's side, in the .cpp

struct pg_replication_source_state {
  std::shared_ptr<replication_reader> reader;
  std::thread thread;
  ~pg_replication_source_state();
  static inline const char* name = "pg-replication-source";
};

/// credit_msg and durable_msg go to the thread; stop_atom ends the stream (what was read
/// drains); source_failed_msg (from the thread) stops the pipeline with its reason.
source_actor::behavior_type pg_replication_source(source_actor::stateful_pointer<pg_replication_source_state> self,
                                                  replication_settings settings, decoder_actor downstream,
                                                  pipeline_metrics* metrics);

/// The highest pgoutput proto_version a server of `server_version` (e.g. 150018) speaks.
int pgoutput_protocol_for(int server_version);

/// The START_REPLICATION command for `settings` at `lsn` with protocol `proto`.
std::string start_replication_command(const replication_settings& settings, std::uint64_t lsn, int proto);

/// A replication error as a user should read it: what happened and the remedy for the
/// known cases (max_wal_senders exhausted, slot active elsewhere...).
std::string explain_replication_error(const std::string& sqlstate, const std::string& message,
                                      const std::string& slot);

/// Errors that will not go away by retrying (authentication, missing database or
/// publication, wrong plugin...): the pipeline stops instead of reconnecting forever.
bool replication_error_is_permanent(const std::string& sqlstate, const std::string& message);

}  // namespace pg2sr::actors
