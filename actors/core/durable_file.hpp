// Replacing a small file so that a crash leaves the old content or the new, never a mix.
#pragma once

#include <filesystem>
#include <string>

namespace pg2sr::actors {

/// Writes `text` to `file` through `file`.tmp: write, fsync, rename, fsync the folder.
/// Throws std::runtime_error naming the file and the system's reason.
void replace_file_durably(const std::filesystem::path& file, const std::string& text);

}  // namespace pg2sr::actors
