// Stream Load protocol decisions (PROTOCOLS.md section 2), pure: what a response means for
// the batch, and the deterministic labels that make retries and replays idempotent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pg2sr::codecs::stream_load {

/// The fields of a BE response (or of the exchange, when there was no JSON answer).
struct response {
  long http_status = 0;        ///< 0: no HTTP answer (connection refused, dropped, timeout)
  std::string transport_error; ///< curl's message when http_status is 0
  bool certificate_failure = false;  ///< with http_status 0: TLS verification failed; no retry helps
  std::string status;          ///< Status: Success, Publish Timeout, Label Already Exists, Fail
  std::string existing_job_status;  ///< with Label Already Exists: RUNNING, FINISHED...
  std::string message;
  std::string error_url;
};

enum class outcome {
  loaded,        ///< in the target (now, or by an earlier attempt under the same label)
  poll,          ///< the label's transaction is running: ask get_load_state
  retry,         ///< nothing applied; send again, same label, after a backoff
  fatal,         ///< retrying cannot help: stop the pipeline with the message
};

/// What to do after a Stream Load answer.
outcome classify(const response& r);

/// What to do after get_load_state answered `state` (VISIBLE, COMMITTED, PREPARE, PREPARED,
/// ABORTED, UNKNOWN).
outcome classify_load_state(std::string_view state);

/// One line for logs and errors: status, message and where to see the filtered rows, each
/// clipped to max_message_bytes (a server's Message is not copied into logs whole).
std::string describe(const response& r);

/// How much of a server's text (Message, ErrorURL, a body that is not JSON) pg2sr keeps.
inline constexpr std::size_t max_message_bytes = 1024;

/// `text` cut to `max` bytes (not inside a UTF-8 character), saying how long it was.
std::string clipped(std::string_view text, std::size_t max = max_message_bytes);

/// What a Stream Load label names: one load attempt's target and content.
struct load_identity {
  std::string_view pipeline;
  std::uint32_t run = 0;      ///< this start of the pipeline (see label())
  std::string_view database;  ///< the target, in full
  std::string_view table;
  std::string_view columns;   ///< the `columns` header
  bool partial_update = false;
  std::uint64_t first_lsn = 0, last_lsn = 0;  ///< the WAL range of its events (0-0: snapshot rows)
  unsigned part = 0;                          ///< which part of the batch
};

/// A label within ^[-\w]{1,128}$: the pipeline, the table (truncated, for reading), the run,
/// the WAL range, the part, and a hash of the full target name, the columns header, the
/// partial-update flag and `body_hash`. Two targets or two contents never share a label; a
/// retry within a run keeps it. A replay after a restart gets new labels: its older rows
/// must not make StarRocks answer a later load of this run "Label Already Exists" because
/// an earlier run loaded the same content.
std::string label(const load_identity& load, std::uint64_t body_hash);

/// A 64-bit hash of a body, stable across runs and builds (std::hash promises neither).
std::uint64_t content_hash(std::string_view bytes, std::uint64_t seed = 14695981039346656037ull);

}  // namespace pg2sr::codecs::stream_load
