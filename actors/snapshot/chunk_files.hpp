// Files a snapshot chunk reads, one per chunk in a folder of state_dir, named
// "<relid>.<chunk>.<suffix>" (listed_rows.hpp: "rows", resync_keys.hpp: "keys").
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace pg2sr::actors {

std::string chunk_file_name(std::uint32_t relid, std::uint32_t chunk, const std::string& suffix);

/// Removes the files of `dir` named like chunk_file_name(…, `suffix`) that `needed`
/// (relid, chunk, file name) does not want; leaves other files alone. Returns how many.
std::size_t remove_chunk_files(const std::filesystem::path& dir, const std::string& suffix,
                               const std::function<bool(std::uint32_t, std::uint32_t, const std::string&)>& needed);

}  // namespace pg2sr::actors
