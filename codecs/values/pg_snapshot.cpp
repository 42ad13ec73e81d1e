// pg_current_snapshot() text and xid visibility.
#include "codecs/values/pg_snapshot.hpp"

#include <algorithm>
#include <charconv>

namespace pg2sr::codecs {

bool pg_snapshot::in_progress(std::uint32_t xid) const {
  if (xid_precedes(xid, static_cast<std::uint32_t>(xmin))) return false;
  if (!xid_precedes(xid, static_cast<std::uint32_t>(xmax))) return true;
  if (xip32.size() != xip.size())  // built by hand, not parsed
    return std::any_of(xip.begin(), xip.end(), [&](std::uint64_t x) { return static_cast<std::uint32_t>(x) == xid; });
  return std::binary_search(xip32.begin(), xip32.end(), xid);
}

namespace {

bool parse_xid(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::optional<pg_snapshot> parse_pg_snapshot(std::string_view text) {
  pg_snapshot s;
  auto first = text.find(':');
  auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (!parse_xid(text.substr(0, first), s.xmin) || !parse_xid(text.substr(first + 1, second - first - 1), s.xmax))
    return std::nullopt;
  std::string_view list = text.substr(second + 1);
  while (!list.empty()) {
    auto comma = list.find(',');
    std::uint64_t xid = 0;
    if (!parse_xid(list.substr(0, comma), xid)) return std::nullopt;
    s.xip.push_back(xid);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
    if (list.empty()) return std::nullopt;  // a trailing comma
  }
  if (s.xmax < s.xmin) return std::nullopt;
  for (auto x : s.xip) s.xip32.push_back(static_cast<std::uint32_t>(x));
  std::sort(s.xip32.begin(), s.xip32.end());
  return s;
}

}  // namespace pg2sr::codecs
