// Snapshot request files: one JSON object each, written atomically (temporary + rename).
#include "engine/snapshot/snapshot_requests.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace pg2sr::engine {

std::filesystem::path write_snapshot_request(const std::filesystem::path& state_dir, const std::string& table) {
  auto dir = state_dir / "requests";
  std::filesystem::create_directories(dir);
  auto stamp = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  auto file = dir / ("snapshot-" + std::to_string(stamp) + ".json");
  auto tmp = dir / (".snapshot-" + std::to_string(stamp) + ".tmp");
  {
    std::ofstream out(tmp);
    out << nlohmann::json{{"table", table}}.dump() << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file);
  return file;
}

std::vector<std::string> take_snapshot_requests(const std::filesystem::path& state_dir) {
  auto dir = state_dir / "requests";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return {};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind("snapshot-", 0) == 0) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> tables;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      tables.push_back(nlohmann::json::parse(ss.str()).at("table").get<std::string>());
    } catch (const std::exception&) {
      // A damaged request is dropped: the user can ask again.
    }
    std::filesystem::remove(f, ec);
  }
  return tables;
}

}  // namespace pg2sr::engine
