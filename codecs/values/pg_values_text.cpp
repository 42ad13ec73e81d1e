// uuid, bytea, hstore and record (composite) text forms.
#include "codecs/values/pg_values.hpp"

namespace pg2sr::codecs::pg_values {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

// ---- uuid ------------------------------------------------------------------------------

parse_result<uuid> parse_uuid(std::string_view text) {
  uuid u;
  std::size_t i = 0;
  const bool braces = text.starts_with('{');
  if (braces) i = 1;
  for (int k = 0; k < 32; ++k) {
    const int v = i < text.size() ? hex_value(text[i]) : -1;
    if (v < 0) return parse_error{i, "expected a hex digit"};
    ++i;
    auto& byte = u.bytes[static_cast<std::size_t>(k / 2)];
    byte = static_cast<std::uint8_t>(k % 2 == 0 ? v << 4 : byte | v);
    // uuid_in takes a hyphen after any group of four digits
    if (k % 4 == 3 && k != 31 && i < text.size() && text[i] == '-') ++i;
  }
  if (braces) {
    if (i >= text.size() || text[i] != '}') return parse_error{i, "expected '}'"};
    ++i;
  }
  if (i != text.size()) return parse_error{i, "unexpected character after the uuid"};
  return u;
}

void append_uuid(const uuid& u, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  char buf[36];
  std::size_t n = 0;
  for (std::size_t k = 0; k < 16; ++k) {
    if (k == 4 || k == 6 || k == 8 || k == 10) buf[n++] = '-';
    buf[n++] = hex[u.bytes[k] >> 4];
    buf[n++] = hex[u.bytes[k] & 0xf];
  }
  out.append(buf, sizeof buf);
}

std::string to_string(const uuid& u) {
  std::string out;
  append_uuid(u, out);
  return out;
}

// ---- bytea -----------------------------------------------------------------------------

parse_result<std::string> parse_bytea(std::string_view text) {
  std::string bytes;
  if (text.starts_with("\\x")) {
    bytes.reserve((text.size() - 2) / 2);
    std::size_t i = 2;
    while (i < text.size()) {
      if (is_space(text[i])) {  // byteain allows whitespace between digit pairs
        ++i;
        continue;
      }
      const int hi = hex_value(text[i]);
      if (hi < 0) return parse_error{i, "expected a hex digit"};
      const int lo = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      if (lo < 0) return parse_error{i + 1, "expected a hex digit (odd number of digits?)"};
      bytes.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    }
    return bytes;
  }
  // escape format: '\\' is a backslash, '\ooo' an octal byte, anything else itself
  bytes.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '\\') {
      bytes.push_back(c);
      ++i;
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      bytes.push_back('\\');
      i += 2;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' && is_octal(text[i + 2]) &&
               is_octal(text[i + 3])) {
      bytes.push_back(static_cast<char>((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0')));
      i += 4;
    } else {
      return parse_error{i, "bad backslash escape in bytea"};
    }
  }
  return bytes;
}

// ---- hstore ----------------------------------------------------------------------------

namespace {

// One key or value: "quoted" with backslash escapes, or unquoted up to space, ',' or '='
// (as hstore_in reads them). `was_quoted` tells a NULL value from the string "NULL".
std::optional<parse_error> read_hstore_token(std::string_view text, std::size_t& i, std::string& out,
                                             bool& was_quoted, bool is_key) {
  out.clear();
  was_quoted = i < text.size() && text[i] == '"';
  if (was_quoted) {
    const std::size_t open = i++;
    while (true) {
      if (i >= text.size()) return parse_error{open, "unterminated quoted string"};
      const char c = text[i++];
      if (c == '"') return std::nullopt;
      if (c == '\\') {
        if (i >= text.size()) return parse_error{i, "unexpected end after '\\'"};
        out.push_back(text[i++]);
      } else {
        out.push_back(c);
      }
    }
  }
  const std::size_t start = i;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c) || c == ',' || (is_key && c == '=')) break;
    if (c == '\\') {
      if (++i >= text.size()) return parse_error{i, "unexpected end after '\\'"};
    }
    out.push_back(text[i++]);
  }
  if (i == start) return parse_error{i, is_key ? "expected a key" : "expected a value"};
  return std::nullopt;
}

void skip_spaces(std::string_view text, std::size_t& i) {
  while (i < text.size() && is_space(text[i])) ++i;
}

}  // namespace

parse_result<std::vector<hstore_pair>> parse_hstore(std::string_view text) {
  std::vector<hstore_pair> pairs;
  std::size_t i = 0;
  std::string token;
  bool quoted = false;
  skip_spaces(text, i);
  while (i < text.size()) {
    hstore_pair pair;
    if (auto err = read_hstore_token(text, i, pair.key, quoted, true)) return *err;
    skip_spaces(text, i);
    if (!text.substr(i).starts_with("=>")) return parse_error{i, "expected '=>'"};
    i += 2;
    skip_spaces(text, i);
    if (auto err = read_hstore_token(text, i, token, quoted, false)) return *err;
    const bool is_null = !quoted && token.size() == 4 && (token[0] | 0x20) == 'n' && (token[1] | 0x20) == 'u' &&
                         (token[2] | 0x20) == 'l' && (token[3] | 0x20) == 'l';
    if (!is_null) pair.value = std::move(token);
    pairs.push_back(std::move(pair));
    skip_spaces(text, i);
    if (i == text.size()) break;
    if (text[i] != ',') return parse_error{i, "expected ',' between pairs"};
    ++i;
    skip_spaces(text, i);
    if (i == text.size()) return parse_error{i, "expected a key after ','"};
  }
  return pairs;
}

void append_json_object(const std::vector<hstore_pair>& pairs, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const hstore_pair& p : pairs) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(p.key, out);
    out.push_back(':');
    if (p.value) {
      append_json_string(*p.value, out);
    } else {
      out.append("null");
    }
  }
  out.push_back('}');
}

// ---- records ---------------------------------------------------------------------------

// record_in's reading: a field ends at ',' or ')' outside quotes; quotes may open and close
// anywhere inside it, so 'a"b c"d' is "ab cd".
parse_result<std::vector<std::optional<std::string>>> parse_record(std::string_view text) {
  std::vector<std::optional<std::string>> fields;
  std::size_t i = 0;
  skip_spaces(text, i);
  if (i >= text.size() || text[i] != '(') return parse_error{i, "expected '('"};
  ++i;
  std::string field;
  while (true) {
    field.clear();
    bool quoted = false;  // quotes or a backslash make the field non-NULL, even when empty
    bool in_quotes = false;
    while (true) {
      if (i >= text.size()) return parse_error{i, in_quotes ? "unterminated quoted field" : "expected ')'"};
      const char c = text[i++];
      if (c == '\\') {
        if (i >= text.size()) return parse_error{i, "unexpected end after '\\'"};
        field.push_back(text[i++]);
        quoted = true;
      } else if (c == '"') {
        if (in_quotes && i < text.size() && text[i] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = !in_quotes;
          quoted = true;
        }
      } else if (!in_quotes && (c == ',' || c == ')')) {
        if (quoted || !field.empty()) fields.emplace_back(field);
        else fields.emplace_back(std::nullopt);
        if (c == ')') {
          skip_spaces(text, i);
          if (i != text.size()) return parse_error{i, "unexpected character after ')'"};
          return fields;
        }
        break;
      } else {
        field.push_back(c);
      }
    }
  }
}

}  // namespace pg2sr::codecs::pg_values
