// Process-wide logging setup: spdlog to stderr, level chosen on the command line.
#pragma once

#include <cstdint>
#include <string>

namespace pg2sr::engine {

/// Sets up the default logger. `level` is trace|debug|info|warn|error|off; returns false
/// (and leaves info) when the name is unknown.
bool setup_logging(const std::string& level);

/// Log lines written so far: the terminal progress display redraws itself in place only
/// when nothing was logged since it was drawn.
std::uint64_t log_lines_written();

}  // namespace pg2sr::engine
