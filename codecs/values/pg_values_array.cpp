// Array literals as array_out writes them (and array_in reads them).
#include "codecs/values/pg_values.hpp"

#include <charconv>

namespace pg2sr::codecs::pg_values {
namespace {

constexpr std::size_t max_dimensions = 6;  // PostgreSQL's MAXDIM

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool is_null_word(std::string_view s) {
  return s.size() == 4 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'u' && (s[2] | 0x20) == 'l' && (s[3] | 0x20) == 'l';
}

// Reads '{...}' recursively (depth is at most max_dimensions) and checks, as it goes, that
// the array is rectangular: every list at one depth has the same length, and every scalar
// sits at the same depth.
class array_reader {
 public:
  array_reader(std::string_view text, char delimiter) : s_(text), delimiter_(delimiter) {}

  std::optional<parse_error> read(std::size_t& i, std::vector<array_element>& out) {
    i_ = i;
    auto err = list(0, out);
    i = i_;
    return err;
  }

  const std::vector<std::size_t>& dimensions() const { return dims_; }

 private:
  std::optional<parse_error> list(std::size_t depth, std::vector<array_element>& out) {
    const std::size_t open = i_++;  // at '{'
    skip_space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      if (depth > 0) return parse_error{open, "empty sub-array"};
      return std::nullopt;
    }
    while (true) {
      skip_space();
      if (i_ >= s_.size()) return parse_error{i_, "unexpected end of array"};
      array_element& e = out.emplace_back();
      if (s_[i_] == '{') {
        if (depth + 1 == max_dimensions) return parse_error{i_, "more than 6 array dimensions"};
        if (leaf_depth_ && *leaf_depth_ == depth) return parse_error{i_, "sub-array where an element was expected"};
        e.k = array_element::kind::array;
        if (auto err = list(depth + 1, e.elements)) return err;
      } else {
        if (leaf_depth_ && *leaf_depth_ != depth) return parse_error{i_, "element where a sub-array was expected"};
        leaf_depth_ = depth;
        if (auto err = element(e)) return err;
      }
      skip_space();
      if (i_ < s_.size() && s_[i_] == delimiter_) {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') break;
      return parse_error{i_, "expected a delimiter or '}'"};
    }
    if (dims_.size() <= depth) dims_.resize(depth + 1, 0);
    if (dims_[depth] == 0) {
      dims_[depth] = out.size();
    } else if (dims_[depth] != out.size()) {
      return parse_error{i_, "sub-arrays have different sizes"};
    }
    ++i_;  // '}'
    return std::nullopt;
  }

  // A quoted or unquoted scalar; unquoted ones lose surrounding space and read unescaped
  // NULL as null.
  std::optional<parse_error> element(array_element& e) {
    e.k = array_element::kind::text;
    std::string& out = e.text;
    if (s_[i_] == '"') {
      const std::size_t open = i_++;
      while (true) {
        if (i_ >= s_.size()) return parse_error{open, "unterminated quoted element"};
        const char c = s_[i_++];
        if (c == '"') return std::nullopt;
        if (c == '\\') {
          if (i_ >= s_.size()) return parse_error{open, "unterminated quoted element"};
          out.push_back(s_[i_++]);
        } else {
          out.push_back(c);
        }
      }
    }
    const std::size_t start = i_;
    std::size_t kept = 0;  // length without trailing unescaped space
    bool escaped = false;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == delimiter_ || c == '}') break;
      if (c == '{' || c == '"') return parse_error{i_, "unexpected character in an unquoted element"};
      if (c == '\\') {
        if (++i_ >= s_.size()) return parse_error{i_, "unexpected end after '\\'"};
        out.push_back(s_[i_++]);
        kept = out.size();
        escaped = true;
        continue;
      }
      out.push_back(c);
      if (!is_space(c)) kept = out.size();
      ++i_;
    }
    out.resize(kept);
    if (out.empty() && !escaped) return parse_error{start, "expected an element"};
    if (!escaped && is_null_word(out)) {
      e.k = array_element::kind::null;
      out.clear();
    }
    return std::nullopt;
  }

  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }

  std::string_view s_;
  char delimiter_;
  std::size_t i_ = 0;
  std::vector<std::size_t> dims_;
  std::optional<std::size_t> leaf_depth_;
};

bool read_int32(std::string_view text, std::size_t& i, std::int32_t& v) {
  const char* first = text.data() + i;
  auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), v);
  if (ec != std::errc{}) return false;
  i += static_cast<std::size_t>(ptr - first);
  return true;
}

}  // namespace

parse_result<array_value> parse_array(std::string_view text, char delimiter) {
  array_value a;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && is_space(text[i])) ++i;
  };
  // '[lo:hi][lo:hi]=' (or '[hi]', lower bound 1)
  std::vector<std::int64_t> decorated_sizes;
  skip_space();
  if (i < text.size() && text[i] == '[') {
    while (i < text.size() && text[i] == '[') {
      const std::size_t open = i++;
      std::int32_t lo = 1;
      std::int32_t hi = 0;
      if (!read_int32(text, i, hi)) return parse_error{i, "expected an array bound"};
      if (i < text.size() && text[i] == ':') {
        ++i;
        lo = hi;
        if (!read_int32(text, i, hi)) return parse_error{i, "expected an upper array bound"};
      }
      if (i >= text.size() || text[i] != ']') return parse_error{i, "expected ']'"};
      ++i;
      if (static_cast<std::int64_t>(hi) < static_cast<std::int64_t>(lo) - 1) {
        return parse_error{open, "upper bound below lower bound"};
      }
      a.lower_bounds.push_back(lo);
      decorated_sizes.push_back(static_cast<std::int64_t>(hi) - lo + 1);
      if (a.lower_bounds.size() > max_dimensions) return parse_error{open, "more than 6 array dimensions"};
    }
    skip_space();
    if (i >= text.size() || text[i] != '=') return parse_error{i, "expected '=' after the array dimensions"};
    ++i;
    skip_space();
  }
  if (i >= text.size() || text[i] != '{') return parse_error{i, "expected '{'"};
  const std::size_t body = i;
  array_reader reader(text, delimiter);
  if (auto err = reader.read(i, a.elements)) return *err;
  skip_space();
  if (i != text.size()) return parse_error{i, "unexpected character after the array"};

  if (!decorated_sizes.empty()) {
    const auto& dims = reader.dimensions();
    if (dims.size() != decorated_sizes.size()) return parse_error{body, "array has other dimensions than its decoration"};
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (static_cast<std::int64_t>(dims[d]) != decorated_sizes[d]) {
        return parse_error{body, "array size does not match its decoration"};
      }
    }
    bool all_one = true;
    for (std::int32_t lo : a.lower_bounds) all_one = all_one && lo == 1;
    if (all_one) a.lower_bounds.clear();
  }
  return a;
}

void append_json_array(const array_value& a, std::string& out) {
  append_json_array(a, out, [](std::string_view text, std::string& o) { append_json_string(text, o); });
}

}  // namespace pg2sr::codecs::pg_values
