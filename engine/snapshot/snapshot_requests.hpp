// Ad-hoc snapshot requests (`pg2sr snapshot -c FILE --table T`), like Debezium's: a file per
// request in state_dir/requests/, picked up by the running pipeline within a second, or
// by the next start.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace pg2sr::engine {

/// Writes a request for `qualified_table` ("schema.table"); returns the file written.
/// Throws std::runtime_error when the folder cannot be written.
std::filesystem::path write_snapshot_request(const std::filesystem::path& state_dir, const std::string& qualified_table);

/// The requested tables, oldest first; their files are removed.
std::vector<std::string> take_snapshot_requests(const std::filesystem::path& state_dir);

}  // namespace pg2sr::engine
