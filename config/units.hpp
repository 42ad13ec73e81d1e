// Human units in configuration values: durations ("500ms", "10s") and sizes ("64MiB").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg2sr::config {

/// Parses "<number><unit>" with unit us, ms, s, m (or min), h, d; e.g. "1.5s", "250ms".
/// Returns nullopt when the text is not such a duration.
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

/// Parses "<number><unit>" with unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
/// TiB (powers of 1024); e.g. "64MiB", "1.5GB".
std::optional<std::uint64_t> parse_size(std::string_view text);

/// "1.5s", "250ms", "2m": the shortest exact rendering, for messages.
std::string format_duration(std::chrono::microseconds d);
/// "64MiB", "1000B": for messages and status lines.
std::string format_size(std::uint64_t bytes);

/// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace pg2sr::config
