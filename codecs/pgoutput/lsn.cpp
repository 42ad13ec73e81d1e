// LSN text form, as in pg_lsn's output and input functions.
#include "codecs/pgoutput/lsn.hpp"

#include <charconv>
#include <cstdio>

namespace pg2sr::codecs {

std::string format_lsn(std::uint64_t lsn) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8)
    return std::nullopt;
  std::uint32_t hi = 0, lo = 0;
  auto r1 = std::from_chars(text.data(), text.data() + slash, hi, 16);
  auto r2 = std::from_chars(text.data() + slash + 1, text.data() + text.size(), lo, 16);
  if (r1.ec != std::errc() || r1.ptr != text.data() + slash || r2.ec != std::errc() ||
      r2.ptr != text.data() + text.size())
    return std::nullopt;
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

}  // namespace pg2sr::codecs
