// Parsing and formatting of durations and sizes, and typo suggestions.
#include "config/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace pg2sr::config {

namespace {

// Splits "1.5GiB" into 1.5 and "GiB". The number must be non-negative and finite.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, value);
  if (ec != std::errc() || ptr != text.data() + i || !std::isfinite(value)) return std::nullopt;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return std::pair{value, unit};
}

}  // namespace

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  double micros_per_unit = 0;
  if (unit == "us") micros_per_unit = 1;
  else if (unit == "ms") micros_per_unit = 1e3;
  else if (unit == "s") micros_per_unit = 1e6;
  else if (unit == "m" || unit == "min") micros_per_unit = 60e6;
  else if (unit == "h") micros_per_unit = 3600e6;
  else if (unit == "d") micros_per_unit = 86400e6;
  else return std::nullopt;
  double micros = value * micros_per_unit;
  if (micros > 9.0e18) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(micros)));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  struct unit_factor { std::string_view name; double factor; };
  static constexpr unit_factor units[] = {
      {"B", 1},         {"KB", 1e3},           {"MB", 1e6},           {"GB", 1e9},
      {"TB", 1e12},     {"KiB", 1024.0},       {"MiB", 1048576.0},    {"GiB", 1073741824.0},
      {"TiB", 1099511627776.0}};
  for (const auto& u : units) {
    if (unit == u.name) {
      double bytes = value * u.factor;
      if (bytes > 1.8e19) return std::nullopt;
      return static_cast<std::uint64_t>(std::llround(bytes));
    }
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::microseconds d) {
  auto us = d.count();
  struct unit { const char* name; std::int64_t micros; };
  static constexpr unit units[] = {{"h", 3'600'000'000}, {"m", 60'000'000}, {"s", 1'000'000}, {"ms", 1'000}};
  for (const auto& u : units)
    if (us != 0 && us % u.micros == 0) return std::to_string(us / u.micros) + u.name;
  if (us >= 1'000'000) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(us) / 1e6);
    return buf;
  }
  return std::to_string(us) + "us";
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && i < 4 && static_cast<std::uint64_t>(v) % 1024 == 0) {
    v /= 1024;
    ++i;
  }
  if (i == 0 && bytes >= 10 * 1024) {
    while (v >= 1024 && i < 4) { v /= 1024; ++i; }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%s", v, names[i]);
    return buf;
  }
  return std::to_string(static_cast<std::uint64_t>(v)) + names[i];
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace pg2sr::config
