#include "actors/snapshot/resync_keys.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "actors/core/durable_file.hpp"
#include "actors/snapshot/chunk_files.hpp"

namespace pg2sr::actors {

namespace {

constexpr const char* header = "pg2sr resync keys 1\n";

// A decimal number ending at `end` (exclusive), read from `at`; advances `at` past it.
std::size_t number(const std::string& text, std::size_t& at, char end) {
  auto stop = text.find(end, at);
  if (stop == std::string::npos || stop == at || stop - at > 12 ||
      text.find_first_not_of("0123456789", at) != stop)
    throw std::runtime_error("bad length");
  auto n = std::stoull(text.substr(at, stop - at));
  at = stop + 1;
  return n;
}

}  // namespace

std::filesystem::path resync_keys_file(const std::filesystem::path& dir, std::uint32_t relid, std::uint32_t chunk) {
  return dir / chunk_file_name(relid, chunk, "keys");
}

// Per key: its value count, then each value as <length>:<bytes> (any bytes), then '\n';
// the last line counts the keys, so a torn file is refused.
void write_resync_keys(const std::filesystem::path& file, const std::vector<target_key>& keys) {
  std::string text = header;
  for (const auto& key : keys) {
    text += std::to_string(key.size()) + ";";
    for (const auto& v : key) text += std::to_string(v.size()) + ":" + v;
    text += '\n';
  }
  text += "end " + std::to_string(keys.size()) + "\n";
  std::filesystem::create_directories(file.parent_path());
  replace_file_durably(file, text);
}

std::vector<target_key> read_resync_keys(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + file.string() + ", the target keys of a resync chunk (is this the " +
                             "state_dir of the run that planned the resync?)");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<target_key> keys;
  try {
    if (!text.starts_with(header)) throw std::runtime_error("no header");
    std::size_t at = std::string(header).size();
    while (at < text.size() && text.compare(at, 4, "end ") != 0) {
      auto n = number(text, at, ';');
      target_key key;
      for (std::size_t i = 0; i < n; ++i) {
        auto len = number(text, at, ':');
        if (at + len > text.size()) throw std::runtime_error("short value");
        key.push_back(text.substr(at, len));
        at += len;
      }
      if (at >= text.size() || text[at] != '\n') throw std::runtime_error("no end of key");
      ++at;
      keys.push_back(std::move(key));
    }
    at += 4;
    if (number(text, at, '\n') != keys.size() || at != text.size()) throw std::runtime_error("bad count");
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + " is not a list of keys written by pg2sr (" + e.what() + ")");
  }
  return keys;
}

std::size_t remove_unneeded_resync_keys(const std::filesystem::path& dir, const snapshot_state& snapshot) {
  return remove_chunk_files(dir, "keys", [&](std::uint32_t relid, std::uint32_t, const std::string& name) {
    const auto* table = snapshot.find(relid);
    return table && std::any_of(table->chunks.begin(), table->chunks.end(), [&](const auto& c) {
             return c.target_keys && !c.done && c.keys_file == name;
           });
  });
}

}  // namespace pg2sr::actors
