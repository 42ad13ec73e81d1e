// JSONL loader: one JSON object per change, appended to a file, flushed and fsynced
// before the batch is acknowledged. Runs detached: file I/O blocks.
//
// {"table":"public.t","op":"upsert","lsn":"0/16B3748","commit_lsn":"0/16B37A0",
//  "key":{"id":"1"},"values":{"id":"1","name":"x"}}
// op is upsert, delete or truncate; values are PostgreSQL text (or null, or "\\x.." hex for
// binary); a partial upsert (unchanged TOAST) has "partial":true and lacks those columns.
#pragma once

#include <filesystem>
#include <string>

#include "actors/messages.hpp"

namespace pg2sr::actors {

struct jsonl_loader_state {
  int fd = -1;
  std::string buffer;
  ~jsonl_loader_state();
  static inline const char* name = "jsonl-loader";
};

loader_actor::behavior_type jsonl_loader(loader_actor::stateful_pointer<jsonl_loader_state> self,
                                         std::filesystem::path path, bool fsync);

/// Appends the JSON lines of `batch` to `out`.
void render_jsonl(const load_batch& batch, std::string& out);

/// Cuts a torn last line (a crash mid-write) so the file ends at a line boundary.
/// Returns the bytes removed. Throws std::runtime_error on I/O errors.
std::size_t repair_jsonl_tail(const std::filesystem::path& path);

}  // namespace pg2sr::actors
