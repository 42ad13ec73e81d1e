// Process-wide logging setup: spdlog to stderr, level chosen on the command line.
#pragma once

#include <string>

namespace pg2sr::engine {

/// Sets up the default logger. `level` is trace|debug|info|warn|error|off; returns false
/// (and leaves info) when the name is unknown.
bool setup_logging(const std::string& level);

}  // namespace pg2sr::engine
