// Numbers in PostgreSQL's text output: integers, bool, floats, numeric (exact), money.
#include "codecs/values/pg_values.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>
#include <type_traits>

namespace pg2sr::codecs::pg_values {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// from_chars does the range check; the offsets say where the text stops being a number.
template <class T>
parse_result<T> parse_integer(std::string_view text, std::string_view out_of_range) {
  if (text.empty()) return parse_error{0, "empty input"};
  const char* first = text.data();
  const char* last = first + text.size();
  T v{};
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec == std::errc::result_out_of_range) return parse_error{0, out_of_range};
  if (ec != std::errc{}) {
    std::size_t at = (text[0] == '-' && std::is_signed_v<T>) ? 1 : 0;
    return parse_error{at, "expected a digit"};
  }
  if (ptr != last) return parse_error{static_cast<std::size_t>(ptr - first), "unexpected character after the number"};
  return v;
}

template <class T>
parse_result<T> parse_floating(std::string_view text, std::string_view out_of_range) {
  if (text.empty()) return parse_error{0, "empty input"};
  std::size_t start = 0;
  if (text[0] == '+' && text.size() > 1 && text[1] != '-') start = 1;  // from_chars rejects '+'
  std::string_view body = text.substr(start);
  bool negative = body.starts_with('-');
  std::string_view word = negative ? body.substr(1) : body;
  // numeric words as float8in takes them; from_chars would also take "nan(...)"
  if (iequals(word, "nan") && !negative && start == 0) return std::numeric_limits<T>::quiet_NaN();
  if (iequals(word, "infinity") || iequals(word, "inf")) {
    return negative ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  }
  const char* first = body.data();
  const char* last = first + body.size();
  T v{};
  auto [ptr, ec] = std::from_chars(first, last, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) return parse_error{0, out_of_range};
  if (ec != std::errc{} || std::isnan(v) || std::isinf(v)) {
    return parse_error{start + (negative ? 1 : 0), "expected a number"};
  }
  if (ptr != last) {
    return parse_error{start + static_cast<std::size_t>(ptr - first), "unexpected character after the number"};
  }
  return v;
}

// PostgreSQL's numeric limits (NUMERIC_MAX_PRECISION for exponents, the weight and
// dscale limits of the storage format for digits).
constexpr std::int64_t max_numeric_exponent = 1000;
constexpr std::int64_t max_numeric_integer_digits = 131072;
constexpr std::int64_t max_numeric_scale = 16383;

// `n` rounded half away from zero to `scale` fraction digits.
struct rounded_decimal {
  std::string digits;  // integer digits (no leading zeros) then exactly `scale` fraction digits
  std::int32_t integer_digits = 0;
  bool changed = false;  // a non-zero digit was dropped
  bool zero = true;
};

rounded_decimal round_to_scale(const numeric& n, int scale) {
  rounded_decimal r;
  const std::size_t keep = static_cast<std::size_t>(n.integer_digits) + static_cast<std::size_t>(scale);
  r.integer_digits = n.integer_digits;
  if (n.scale <= scale) {
    r.digits = n.digits;
    r.digits.append(static_cast<std::size_t>(scale - n.scale), '0');
  } else {
    r.digits.assign(n.digits, 0, keep);
    std::string_view dropped = std::string_view(n.digits).substr(keep);
    r.changed = dropped.find_first_not_of('0') != std::string_view::npos;
    if (dropped[0] >= '5') {
      std::size_t i = r.digits.size();
      while (i > 0 && r.digits[i - 1] == '9') r.digits[--i] = '0';
      if (i > 0) {
        ++r.digits[i - 1];
      } else {
        r.digits.insert(r.digits.begin(), '1');
        ++r.integer_digits;
      }
    }
  }
  r.zero = r.digits.find_first_not_of('0') == std::string::npos;
  return r;
}

void append_special(const numeric& n, std::string& out) {
  switch (n.kind) {
    case numeric_kind::nan: out.append("NaN"); break;
    case numeric_kind::infinity: out.append("Infinity"); break;
    case numeric_kind::negative_infinity: out.append("-Infinity"); break;
    case numeric_kind::finite: break;
  }
}

void append_digits(bool negative, std::string_view digits, std::int32_t integer_digits,
                   std::string& out) {
  if (negative) out.push_back('-');
  if (integer_digits == 0) {
    out.push_back('0');
  } else {
    out.append(digits.substr(0, static_cast<std::size_t>(integer_digits)));
  }
  if (digits.size() > static_cast<std::size_t>(integer_digits)) {
    out.push_back('.');
    out.append(digits.substr(static_cast<std::size_t>(integer_digits)));
  }
}

}  // namespace

parse_result<std::int16_t> parse_int2(std::string_view text) {
  return parse_integer<std::int16_t>(text, "value out of range for int2");
}
parse_result<std::int32_t> parse_int4(std::string_view text) {
  return parse_integer<std::int32_t>(text, "value out of range for int4");
}
parse_result<std::int64_t> parse_int8(std::string_view text) {
  return parse_integer<std::int64_t>(text, "value out of range for int8");
}
parse_result<std::uint32_t> parse_oid(std::string_view text) {
  return parse_integer<std::uint32_t>(text, "value out of range for oid");
}

parse_result<bool> parse_bool(std::string_view text) {
  if (text == "t" || text == "true") return true;
  if (text == "f" || text == "false") return false;
  return parse_error{0, "expected 't' or 'f'"};
}

parse_result<float> parse_float4(std::string_view text) {
  return parse_floating<float>(text, "value out of range for float4");
}
parse_result<double> parse_float8(std::string_view text) {
  return parse_floating<double>(text, "value out of range for float8");
}

// ---- numeric ---------------------------------------------------------------------------

parse_result<numeric> parse_numeric(std::string_view text) {
  numeric n;
  if (text.empty()) return parse_error{0, "empty input"};
  if (iequals(text, "nan")) {
    n.kind = numeric_kind::nan;
    return n;
  }
  std::size_t i = 0;
  if (text[0] == '-' || text[0] == '+') {
    n.negative = text[0] == '-';
    i = 1;
  }
  std::string_view word = text.substr(i);
  if (iequals(word, "infinity") || iequals(word, "inf")) {
    n.kind = n.negative ? numeric_kind::negative_infinity : numeric_kind::infinity;
    n.negative = false;
    return n;
  }

  // Mantissa: all digits in one string, and how many came before the point.
  std::string mantissa;
  mantissa.reserve(text.size());
  std::int64_t before_point = 0;
  while (i < text.size() && is_digit(text[i])) mantissa.push_back(text[i++]);
  before_point = static_cast<std::int64_t>(mantissa.size());
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) mantissa.push_back(text[i++]);
  }
  if (mantissa.empty()) return parse_error{i, "expected a digit"};
  const std::int64_t after_point = static_cast<std::int64_t>(mantissa.size()) - before_point;

  std::int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i >= text.size() || !is_digit(text[i])) return parse_error{i, "expected a digit in the exponent"};
    const std::size_t exp_start = i;
    while (i < text.size() && is_digit(text[i])) {
      exponent = exponent * 10 + (text[i++] - '0');
      if (exponent > max_numeric_exponent) return parse_error{exp_start, "exponent out of range for numeric"};
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return parse_error{i, "unexpected character in numeric"};

  // Move the point by the exponent; the display scale is what numeric_in computes.
  const std::int64_t point = before_point + exponent;  // may be < 0 or > mantissa size
  const std::int64_t scale = std::max<std::int64_t>(0, after_point - exponent);
  std::string digits;
  if (point > 0) {
    const auto from_mantissa = std::min<std::int64_t>(point, static_cast<std::int64_t>(mantissa.size()));
    digits.assign(mantissa, 0, static_cast<std::size_t>(from_mantissa));
    digits.append(static_cast<std::size_t>(point - from_mantissa), '0');
  }
  // strip the integer part's leading zeros
  const std::size_t first_nonzero = digits.find_first_not_of('0');
  digits.erase(0, first_nonzero == std::string::npos ? digits.size() : first_nonzero);
  const auto integer_digits = static_cast<std::int64_t>(digits.size());
  if (point < 0) {
    digits.append(static_cast<std::size_t>(-point), '0');
    digits.append(mantissa);
  } else if (point < static_cast<std::int64_t>(mantissa.size())) {
    digits.append(mantissa, static_cast<std::size_t>(point));
  }
  if (integer_digits > max_numeric_integer_digits || scale > max_numeric_scale) {
    return parse_error{0, "value overflows numeric format"};
  }
  n.digits = std::move(digits);
  n.integer_digits = static_cast<std::int32_t>(integer_digits);
  n.scale = static_cast<std::int32_t>(scale);
  if (n.digits.find_first_not_of('0') == std::string::npos) n.negative = false;
  return n;
}

std::string to_string(const numeric& n) {
  std::string out;
  if (!n.is_finite()) {
    append_special(n, out);
  } else {
    append_digits(n.negative, n.digits, n.integer_digits, out);
  }
  return out;
}

decimal_fit fit_decimal(const numeric& n, int precision, int scale) {
  if (!n.is_finite()) return decimal_fit::not_finite;
  const rounded_decimal r = round_to_scale(n, scale);
  if (r.integer_digits > precision - scale) return decimal_fit::too_large;
  return r.changed ? decimal_fit::rounded : decimal_fit::exact;
}

void append_decimal(const numeric& n, int scale, std::string& out) {
  if (!n.is_finite()) {
    append_special(n, out);
    return;
  }
  const rounded_decimal r = round_to_scale(n, scale);
  append_digits(n.negative && !r.zero, r.digits, r.integer_digits, out);
}

// ---- money -----------------------------------------------------------------------------

// Reads the sign, currency symbol and spaces on either side of the digits in any order, as
// locales place them differently ("-$1.00", "$-1.00", "1,00 €-", "($1.00)").
parse_result<std::int64_t> parse_money(std::string_view text, const money_format& format) {
  if (text.empty()) return parse_error{0, "empty input"};
  const std::string_view symbol = format.currency_symbol;
  const std::string_view group = format.thousands_separator;
  const std::string_view point = format.decimal_point.empty() ? std::string_view(".") : std::string_view(format.decimal_point);
  std::size_t i = 0;
  bool negative = false;
  bool seen_sign = false;
  bool seen_symbol = false;
  bool parenthesis = false;

  auto read_decorations = [&](bool before_digits) {
    while (i < text.size()) {
      const std::string_view rest = text.substr(i);
      if (rest[0] == ' ') {
        ++i;
      } else if (!seen_sign && (rest[0] == '-' || rest[0] == '+')) {
        negative = rest[0] == '-';
        seen_sign = true;
        ++i;
      } else if (before_digits && !seen_sign && rest[0] == '(') {
        negative = parenthesis = seen_sign = true;
        ++i;
      } else if (!before_digits && parenthesis && rest[0] == ')') {
        parenthesis = false;
        ++i;
      } else if (!seen_symbol && !symbol.empty() && rest.starts_with(symbol)) {
        seen_symbol = true;
        i += symbol.size();
      } else {
        break;
      }
    }
  };

  read_decorations(true);
  // 2^63: the magnitude of int64's minimum; a positive amount must stay one below.
  constexpr std::uint64_t limit = std::uint64_t{1} << 63;
  std::uint64_t magnitude = 0;
  auto add_digit = [&](char c) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (limit - d) / 10) return false;
    magnitude = magnitude * 10 + d;
    return true;
  };
  if (i >= text.size() || !is_digit(text[i])) return parse_error{i, "expected a digit"};
  while (i < text.size()) {
    if (is_digit(text[i])) {
      if (!add_digit(text[i])) return parse_error{0, "value out of range for money"};
      ++i;
    } else if (!group.empty() && text.substr(i).starts_with(group) && i + group.size() < text.size() &&
               is_digit(text[i + group.size()])) {
      i += group.size();
    } else {
      break;
    }
  }
  int fraction = 0;
  if (text.substr(i).starts_with(point)) {
    i += point.size();
    while (i < text.size() && is_digit(text[i])) {
      if (fraction == format.fraction_digits) return parse_error{i, "more fraction digits than the currency has"};
      if (!add_digit(text[i])) return parse_error{0, "value out of range for money"};
      ++fraction;
      ++i;
    }
  }
  for (; fraction < format.fraction_digits; ++fraction) {
    if (!add_digit('0')) return parse_error{0, "value out of range for money"};
  }
  read_decorations(false);
  if (parenthesis) return parse_error{i, "expected ')'"};
  if (i != text.size()) return parse_error{i, "unexpected character in money"};
  if (!negative && magnitude == limit) return parse_error{0, "value out of range for money"};
  if (negative) return magnitude == limit ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(magnitude);
  return static_cast<std::int64_t>(magnitude);
}

}  // namespace pg2sr::codecs::pg_values
