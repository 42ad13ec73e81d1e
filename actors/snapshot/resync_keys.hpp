// A resync's target keys (engine/source/resync.hpp): when the resync is planned, every key
// of each target table is read once and written, a chunk's worth per file, to
// state_dir/resync-keys/<relid>.<chunk>.keys; the chunk reader asks the source which of a
// file's keys it no longer has, inside the chunk's watermark window. Reading them when
// planned (before anything loads) is enough: a row the gap left behind is there then, and
// a key loaded later exists in the source or is deleted by the change that removed it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "actors/snapshot/snapshot_state.hpp"

namespace pg2sr::actors {

/// One key: a text value per key column (PostgreSQL's text form of the source's type).
using target_key = std::vector<std::string>;

/// "<relid>.<chunk>.keys" in `dir`: a chunk's file, named by its first index (a chunk keeps
/// the name when it is renumbered).
std::filesystem::path resync_keys_file(const std::filesystem::path& dir, std::uint32_t relid, std::uint32_t chunk);

/// Writes `keys` to `file` durably (replace_file_durably). Throws std::runtime_error.
void write_resync_keys(const std::filesystem::path& file, const std::vector<target_key>& keys);

/// The keys `file` holds. Throws std::runtime_error when it is missing or damaged.
std::vector<target_key> read_resync_keys(const std::filesystem::path& file);

/// Removes the files of `dir` no unfinished target_keys chunk of `snapshot` reads; returns
/// how many.
std::size_t remove_unneeded_resync_keys(const std::filesystem::path& dir, const snapshot_state& snapshot);

}  // namespace pg2sr::actors
