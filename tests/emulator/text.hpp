// Small case-insensitive string helpers for the emulator's header and type handling.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace pg2sr::test::starrocks {

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace pg2sr::test::starrocks
