#include "actors/snapshot/chunk_files.hpp"

#include <cstdio>

namespace pg2sr::actors {

std::string chunk_file_name(std::uint32_t relid, std::uint32_t chunk, const std::string& suffix) {
  return std::to_string(relid) + "." + std::to_string(chunk) + "." + suffix;
}

std::size_t remove_chunk_files(const std::filesystem::path& dir, const std::string& suffix,
                               const std::function<bool(std::uint32_t, std::uint32_t, const std::string&)>& needed) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  std::size_t removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    unsigned long r = 0, c = 0;
    char tail[8] = {};
    if (std::sscanf(name.c_str(), "%lu.%lu.%7s", &r, &c, tail) != 3) continue;
    auto relid = static_cast<std::uint32_t>(r), chunk = static_cast<std::uint32_t>(c);
    if (chunk_file_name(relid, chunk, suffix) != name) continue;  // another kind, or "x.tmp"
    if (!needed(relid, chunk, name) && std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace pg2sr::actors
