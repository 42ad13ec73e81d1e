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

/// One line for logs and errors: status, message and where to see the filtered rows.
std::string describe(const response& r);

/// A label within ^[-\w]{1,128}$ naming a load by its content: the pipeline, the table, the
/// WAL range of its events, which part of the batch, and a hash of the body. The same batch
/// sent again (retry, or replay after a crash) gets the same label.
std::string label(std::string_view pipeline, std::string_view table, std::uint64_t first_lsn, std::uint64_t last_lsn,
                  unsigned part, std::uint64_t body_hash);

/// A 64-bit hash of a body, stable across runs and builds (std::hash promises neither).
std::uint64_t content_hash(std::string_view bytes, std::uint64_t seed = 14695981039346656037ull);

}  // namespace pg2sr::codecs::stream_load
