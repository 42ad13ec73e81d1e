// Big-endian byte builder for hand-made pgoutput messages in tests (independent of the
// encoder under test).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pg2sr::test {

struct bytes {
  std::string s;
  bytes& ch(char c) { s += c; return *this; }
  bytes& u8(std::uint8_t v) { s += static_cast<char>(v); return *this; }
  bytes& u16(std::uint16_t v) { return u8(v >> 8).u8(v & 0xff); }
  bytes& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  bytes& u64(std::uint64_t v) { return u32(v >> 32).u32(v & 0xffffffffu); }
  /// A C string: the text and a terminating NUL.
  bytes& str(std::string_view v) { s += v; s += '\0'; return *this; }
  bytes& raw(std::string_view v) { s += v; return *this; }
  /// A TupleData column in text ('t') or binary ('b') form: kind, Int32 length, the bytes.
  bytes& text(std::string_view v) { return ch('t').u32(static_cast<std::uint32_t>(v.size())).raw(v); }
  bytes& bin(std::string_view v) { return ch('b').u32(static_cast<std::uint32_t>(v.size())).raw(v); }
  /// The xid of a message inside a streamed transaction; nothing outside one.
  bytes& xid(std::optional<std::uint32_t> x) { return x ? u32(*x) : *this; }
  operator std::string() const { return s; }
};

}  // namespace pg2sr::test
