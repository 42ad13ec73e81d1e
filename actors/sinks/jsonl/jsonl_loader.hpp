// JSONL loader: one JSON object per change, appended to a file, flushed and fsynced
// before the batch is acknowledged. Runs detached: file I/O blocks.
//
// {"table":"public.t","op":"upsert","lsn":"0/16B3748","commit_lsn":"0/16B37A0",
//  "key":{"id":"1"},"values":{"id":"1","name":"x"}}
// op is upsert, delete or truncate; values are PostgreSQL text (or null, or "\\x.." hex for
// binary); a partial upsert (unchanged TOAST) has "partial":true and lacks those columns.
//
// Receives: load_request (batcher; reply load_ack).
// Sends: nothing else.
#pragma once

#include <filesystem>
#include <string>

#include "actors/core/messages.hpp"

namespace pg2sr::actors {

struct jsonl_loader_state {
  int fd = -1;
  std::string buffer;
  ~jsonl_loader_state();
  static inline const char* name = "jsonl-loader";
};

/// Appends to `path`; `marker` (in the state_dir) records which file that is, so that a
/// torn line is cut only from it.
loader_actor::behavior_type jsonl_loader(loader_actor::stateful_pointer<jsonl_loader_state> self,
                                         std::filesystem::path path, bool fsync, std::filesystem::path marker);

/// Appends the JSON lines of `batch` to `out`.
void render_jsonl(const load_batch& batch, std::string& out);

/// Cuts a torn last line (a crash mid-write) so the file ends at a line boundary, when
/// `marker` says pg2sr wrote this file (see mark_jsonl_output). Another file that ends in
/// an unfinished line is left as it is: throws std::runtime_error, as on I/O errors.
/// Returns the bytes removed.
std::size_t repair_jsonl_tail(const std::filesystem::path& path, const std::filesystem::path& marker);

/// Records in `marker` that `fd` (open on `path`) is the file this pipeline appends to:
/// its device and inode, so that a file put in its place is not taken for it.
void mark_jsonl_output(int fd, const std::filesystem::path& path, const std::filesystem::path& marker);

}  // namespace pg2sr::actors
