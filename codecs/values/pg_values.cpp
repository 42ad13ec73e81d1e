// Shared pieces of pg_values: error text, the JSON string escaper and the JSON validator.
#include "codecs/values/pg_values.hpp"

#include <bit>
#include <cstring>

namespace pg2sr::codecs::pg_values {

std::string to_string(const parse_error& err) {
  std::string out(err.what);
  out.append(" at offset ");
  out.append(std::to_string(err.offset));
  return out;
}

// ---- JSON string escaper ---------------------------------------------------------------

namespace {

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// The high bit of a byte is set when that byte is '"', '\' or a control character. Bytes
// above a flagged one may be flagged falsely (borrows), never the lowest: that one is exact.
std::uint64_t escape_mask(std::uint64_t w) {
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  const std::uint64_t is_quote = (quote - ones) & ~quote;
  const std::uint64_t is_backslash = (backslash - ones) & ~backslash;
  const std::uint64_t is_control = (w - ones * 0x20) & ~w;
  return (is_quote | is_backslash | is_control) & high_bits;
}

// The first byte in [p, end) that needs escaping, or end; `begin` is where the string
// starts. Sixteen bytes a step where the byte order lets the lowest flagged bit name the
// first byte. The last 1-7 bytes are read as the top of the string's last eight bytes,
// shifted down (so bytes before p drop out) and padded with 'a', which needs no escape.
const char* find_escape(const char* begin, const char* p, const char* end) {
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 16) {
      std::uint64_t a;
      std::uint64_t b;
      std::memcpy(&a, p, 8);
      std::memcpy(&b, p + 8, 8);
      const std::uint64_t ma = escape_mask(a);
      const std::uint64_t mb = escape_mask(b);
      if ((ma | mb) != 0) {
        return ma != 0 ? p + std::countr_zero(ma) / 8 : p + 8 + std::countr_zero(mb) / 8;
      }
      p += 16;
    }
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      const std::uint64_t m = escape_mask(w);
      if (m != 0) return p + std::countr_zero(m) / 8;
      p += 8;
    }
    if (p < end && end - begin >= 8) {
      const auto n = static_cast<unsigned>(end - p);  // 1..7
      std::uint64_t w;
      std::memcpy(&w, end - 8, 8);
      w = (w >> (8 * (8 - n))) | ((ones * 'a') << (8 * n));
      const std::uint64_t m = escape_mask(w);
      return m != 0 ? p + std::countr_zero(m) / 8 : end;
    }
  }
  while (p < end && !needs_escape(static_cast<unsigned char>(*p))) ++p;
  return p;
}

void append_escape(unsigned char c, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\b': out.append("\\b"); return;
    case '\f': out.append("\\f"); return;
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    default: {
      const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
      out.append(u, sizeof u);
    }
  }
}

// Callers reserve: the output is at least as long as the input.
void escape_into(std::string_view text, std::string& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (true) {
    const char* special = find_escape(text.data(), p, end);
    out.append(p, static_cast<std::size_t>(special - p));
    if (special == end) return;
    append_escape(static_cast<unsigned char>(*special), out);
    p = special + 1;
  }
}

}  // namespace

void append_json_escaped(std::string_view text, std::string& out) {
  out.reserve(out.size() + text.size());
  escape_into(text, out);
}

void append_json_string(std::string_view text, std::string& out) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  escape_into(text, out);
  out.push_back('"');
}

// ---- JSON validator --------------------------------------------------------------------

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Reads one JSON text with an explicit stack, so that nesting depth cannot overflow ours.
class json_validator {
 public:
  explicit json_validator(std::string_view text) : s_(text) {}

  std::optional<parse_error> run() {
    skip_space();
    if (i_ == s_.size()) return parse_error{i_, "expected a JSON value"};
    while (true) {
      // a value
      if (auto err = value()) return err;
      // what follows it: a separator, a closing bracket, or the end
      while (true) {
        skip_space();
        if (stack_.empty()) {
          if (i_ != s_.size()) return parse_error{i_, "unexpected character after the JSON value"};
          return std::nullopt;
        }
        const char open = stack_.back();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          skip_space();
          if (open == '{') {
            if (auto err = member_key()) return err;
          }
          break;  // to the next value
        }
        if (i_ < s_.size() && s_[i_] == (open == '{' ? '}' : ']')) {
          ++i_;
          stack_.pop_back();
          continue;  // the container was a value
        }
        return parse_error{i_, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'"};
      }
    }
  }

 private:
  // One value; an opened container leaves its first member's value to be read next.
  std::optional<parse_error> value() {
    while (true) {
      if (i_ >= s_.size()) return parse_error{i_, "expected a JSON value"};
      const char c = s_[i_];
      if (c == '{' || c == '[') {
        ++i_;
        skip_space();
        if (i_ < s_.size() && s_[i_] == (c == '{' ? '}' : ']')) {
          ++i_;
          return std::nullopt;  // empty container
        }
        stack_.push_back(c);
        if (c == '{') {
          if (auto err = member_key()) return err;
        }
        continue;  // the first member's value
      }
      if (c == '"') return string();
      if (c == '-' || is_digit(c)) return number();
      if (literal("true") || literal("false") || literal("null")) return std::nullopt;
      return parse_error{i_, "expected a JSON value"};
    }
  }

  // `"key" :` followed by optional space.
  std::optional<parse_error> member_key() {
    if (i_ >= s_.size() || s_[i_] != '"') return parse_error{i_, "expected a string key"};
    if (auto err = string()) return err;
    skip_space();
    if (i_ >= s_.size() || s_[i_] != ':') return parse_error{i_, "expected ':'"};
    ++i_;
    skip_space();
    return std::nullopt;
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_).starts_with(word)) {
      i_ += word.size();
      return true;
    }
    return false;
  }

  std::optional<parse_error> string() {
    ++i_;  // the opening quote
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return std::nullopt;
      }
      if (c < 0x20) return parse_error{i_, "control character in a JSON string"};
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) break;
        const char e = s_[i_ + 1];
        if (e == 'u') {
          for (std::size_t k = 2; k < 6; ++k) {
            if (i_ + k >= s_.size() || !is_hex(s_[i_ + k])) return parse_error{i_, "bad \\u escape"};
          }
          i_ += 6;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
          i_ += 2;
        } else {
          return parse_error{i_, "bad escape in a JSON string"};
        }
      } else if (c < 0x80) {
        ++i_;
      } else if (auto err = utf8_sequence()) {
        return err;
      }
    }
    return parse_error{s_.size(), "unterminated JSON string"};
  }

  // One multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF).
  std::optional<parse_error> utf8_sequence() {
    const auto b0 = static_cast<unsigned char>(s_[i_]);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      len = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      len = 3;
      if (b0 == 0xe0) lo = 0xa0;
      if (b0 == 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      len = 4;
      if (b0 == 0xf0) lo = 0x90;
      if (b0 == 0xf4) hi = 0x8f;
    } else {
      return parse_error{i_, "invalid UTF-8"};
    }
    for (std::size_t k = 1; k < len; ++k) {
      if (i_ + k >= s_.size()) return parse_error{i_, "invalid UTF-8"};
      const auto b = static_cast<unsigned char>(s_[i_ + k]);
      const unsigned char min = k == 1 ? lo : 0x80;
      const unsigned char max = k == 1 ? hi : 0xbf;
      if (b < min || b > max) return parse_error{i_, "invalid UTF-8"};
    }
    i_ += len;
    return std::nullopt;
  }

  std::optional<parse_error> number() {
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !is_digit(s_[i_])) return parse_error{i_, "expected a digit"};
    if (s_[i_] == '0') {
      ++i_;
      if (i_ < s_.size() && is_digit(s_[i_])) return parse_error{i_, "leading zero in a JSON number"};
    } else {
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return parse_error{i_, "expected a digit after '.'"};
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return parse_error{i_, "expected a digit in the exponent"};
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    return std::nullopt;
  }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string stack_;  // the open containers, '{' or '['
};

}  // namespace

std::optional<parse_error> validate_json(std::string_view text) { return json_validator(text).run(); }

}  // namespace pg2sr::codecs::pg_values
