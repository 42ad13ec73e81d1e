// Big-endian (network order) stores through a raw pointer, for the pgoutput encoder and the
// synthetic WAL generator: the caller makes room first, the writer stores without checks.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace pg2sr::codecs {

/// Stores `v` big-endian in the 4 bytes at `at`.
inline void store_be32(char* at, std::uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(at, &v, 4);
}

/// Stores big-endian integers and strings at `p` and moves past them; the caller has made
/// room for them.
struct be_writer {
  char* p;

  void u8(std::uint8_t v) { *p++ = static_cast<char>(v); }
  void ch(char c) { *p++ = c; }
  void u16(std::uint16_t v) {
    v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
    p += 2;
  }
  void u32(std::uint32_t v) {
    store_be32(p, v);
    p += 4;
  }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void u64(std::uint64_t v) {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
    p += 8;
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void bytes(std::string_view s) {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  /// pq_sendstring: the text and a terminating NUL (the text itself holds none).
  void cstring(std::string_view s) {
    assert(s.find('\0') == std::string_view::npos);
    bytes(s);
    *p++ = '\0';
  }
};

}  // namespace pg2sr::codecs
