// Stream Load bodies in JSON and CSV: the row loops, the CSV escaper, and each value form
// written as StarRocks reads it.
#include "codecs/starrocks/starrocks_rows.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstring>

#include "codecs/values/pg_values.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pg2sr::codecs::starrocks {
namespace {

namespace pv = pg_values;
using pgoutput::value_kind;

/// Why a value cannot be loaded; nullopt when it was written. Strings only on failure.
using failure = std::optional<std::string>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ---- per-column facts, worked out once per call -----------------------------------------

/// DECIMAL(p,s) of a decimal column; unknown (-1) for any other spelling of the type.
struct decimal_bounds {
  int precision = -1;
  int scale = -1;
  bool known() const { return precision >= 0; }
};

decimal_bounds parse_decimal_type(std::string_view type) {
  const std::size_t open = type.find('(');
  const std::size_t comma = type.find(',', open);
  if (open == std::string_view::npos || comma == std::string_view::npos) return {};
  std::size_t i = comma + 1;
  while (i < type.size() && type[i] == ' ') ++i;
  decimal_bounds b;
  const auto [p_end, p_ec] = std::from_chars(type.data() + open + 1, type.data() + comma, b.precision);
  const auto [s_end, s_ec] = std::from_chars(type.data() + i, type.data() + type.size(), b.scale);
  if (p_ec != std::errc() || s_ec != std::errc() || p_end != type.data() + comma || s_end == type.data() + type.size() ||
      *s_end != ')' || b.scale < 0 || b.scale > b.precision)
    return {};
  return b;
}

struct column_plan {
  const column_mapping* mapping = nullptr;
  decimal_bounds bounds;
};

column_plan plan_of(const column_mapping& m) {
  return {&m, m.form == value_form::decimal ? parse_decimal_type(m.starrocks_type) : decimal_bounds{}};
}

// ---- what PostgreSQL prints, checked cheaply -----------------------------------------------

// "-?(0|[1-9][0-9]*)": int2/int4/int8/oid output, and a valid JSON number.
bool is_integer_text(std::string_view s) {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i == s.size() || (s[i] == '0' && s.size() > i + 1)) return false;
  for (; i < s.size(); ++i)
    if (!is_digit(s[i])) return false;
  return true;
}

// A JSON number (float4/float8 output when finite: "1.5", "-0", "1e+100", "1.5e-07").
bool is_json_number(std::string_view s) {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - from;
  };
  if (i == s.size() || (s[i] == '0' && i + 1 < s.size() && is_digit(s[i + 1]))) return false;
  if (digits() == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool is_float_special(std::string_view s) { return s == "NaN" || s == "Infinity" || s == "-Infinity"; }

/// A finite numeric as numeric_out prints it: "-?[0-9]+(.[0-9]+)?", no superfluous zeros
/// before the point. `integer_digits` leaves out a lone leading zero ("0.5" has none).
struct decimal_shape {
  bool plain = false;
  int integer_digits = 0;
  int fraction_digits = 0;
};

decimal_shape scan_decimal(std::string_view s) {
  decimal_shape d;
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  const std::size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  const std::size_t int_len = i - int_start;
  if (int_len == 0 || (s[int_start] == '0' && int_len > 1)) return d;
  d.integer_digits = s[int_start] == '0' ? 0 : static_cast<int>(int_len);
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    d.fraction_digits = static_cast<int>(i - frac_start);
    if (d.fraction_digits == 0) return d;
  }
  d.plain = i == s.size();
  return d;
}

bool digits_at(std::string_view s, std::size_t from, std::size_t count) {
  for (std::size_t i = from; i < from + count; ++i)
    if (!is_digit(s[i])) return false;
  return true;
}

// Starts with "YYYY-MM-DD", a four-digit year (what DATE holds), as date_out prints it.
bool starts_with_plain_date(std::string_view s) {
  return s.size() >= 10 && digits_at(s, 0, 4) && s[4] == '-' && digits_at(s, 5, 2) && s[7] == '-' &&
         digits_at(s, 8, 2) && s.substr(5, 2) >= "01" && s.substr(5, 2) <= "12" && s.substr(8, 2) >= "01" &&
         s.substr(8, 2) <= "31" && s.substr(0, 4) != "0000";
}

// "YYYY-MM-DD HH:MM:SS[.f{1,6}]" with a four-digit year, as timestamp_out prints it.
bool is_plain_timestamp(std::string_view s) {
  if (s.size() < 19 || s.size() > 26 || !starts_with_plain_date(s) || s[10] != ' ' || !digits_at(s, 11, 2) ||
      s[13] != ':' || !digits_at(s, 14, 2) || s[16] != ':' || !digits_at(s, 17, 2))
    return false;
  return s.size() == 19 || (s[19] == '.' && s.size() > 20 && digits_at(s, 20, s.size() - 20));
}

// Why a date or timestamp in PostgreSQL's text is not plain.
std::string date_failure(std::string_view text, const column_mapping& m) {
  const std::string type = m.starrocks_type.empty() ? std::string("the column") : m.starrocks_type;
  if (text == "infinity" || text == "-infinity") return std::string(text) + " cannot be loaded into " + type;
  if (text.ends_with(" BC")) return "dates before 0001-01-01 (BC) cannot be loaded into " + type;
  std::size_t year_digits = 0;
  while (year_digits < text.size() && is_digit(text[year_digits])) ++year_digits;
  if (year_digits > 4) return "dates after 9999-12-31 cannot be loaded into " + type;
  return "not a date/time as PostgreSQL prints it with DateStyle ISO";
}

// Appends `value` as a JSON string for an error message, cut to about `limit` bytes on a
// UTF-8 character boundary ("..." after it when cut).
void append_shown(std::string_view value, std::size_t limit, std::string& out) {
  std::size_t cut = std::min(value.size(), limit);
  while (cut > 0 && cut < value.size() && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  pv::append_json_string(value.substr(0, cut), out);
  if (cut < value.size()) out += "...";
}

// ---- writers shared by both formats ---------------------------------------------------------

failure write_decimal_slow(const column_plan& p, std::string_view text, std::string_view null_text,
                           std::string& out) {
  auto parsed = pv::parse_numeric(text);
  if (!pv::ok(parsed)) return "not a numeric value: " + pv::to_string(pv::error(parsed));
  const pv::numeric& n = pv::value(parsed);
  const std::string& type = p.mapping->starrocks_type;
  if (!n.is_finite()) {
    if (p.mapping->nan_to_null) {
      out.append(null_text);
      return std::nullopt;
    }
    return pv::to_string(n) + " cannot be loaded into " + type + "; set sink.numeric_nan = \"null\" to load NULL";
  }
  if (!p.bounds.known()) {
    pv::append_decimal(n, n.scale, out);
    return std::nullopt;
  }
  if (pv::fit_decimal(n, p.bounds.precision, p.bounds.scale) == pv::decimal_fit::too_large) {
    return "too large for " + type + ", which holds " + std::to_string(p.bounds.precision - p.bounds.scale) +
           " integer digits; for numeric without precision set sink.numeric_scale lower or "
           "sink.numeric_without_precision = \"string\"";
  }
  // More fraction digits than the scale (numeric without precision): rounded as PostgreSQL's
  // numeric(p,s) cast rounds, half away from zero.
  pv::append_decimal(n, std::min(n.scale, p.bounds.scale), out);
  return std::nullopt;
}

// numeric_out text -> a plain decimal that fits the column, or `null_text` for NaN/Infinity
// when the mapping loads those as NULL.
failure write_decimal(const column_plan& p, std::string_view text, std::string_view null_text, std::string& out) {
  const decimal_shape d = scan_decimal(text);
  if (d.plain && (!p.bounds.known() || (d.integer_digits <= p.bounds.precision - p.bounds.scale &&
                                        d.fraction_digits <= p.bounds.scale))) {
    out.append(text);
    return std::nullopt;
  }
  return write_decimal_slow(p, text, null_text, out);
}

failure check_float(std::string_view text) {
  if (is_json_number(text) || is_float_special(text)) return std::nullopt;
  return std::string("not a floating-point value");
}

// 't'/'f' (boolout) or 'true'/'false'.
failure read_bool(std::string_view text, bool& value) {
  auto parsed = pv::parse_bool(text);
  if (!pv::ok(parsed)) return std::string("not a boolean");
  value = pv::value(parsed);
  return std::nullopt;
}

// StarRocks DATETIME holds 0000-01-01 .. 9999-12-31; PostgreSQL has no year 0.
constexpr std::int64_t first_datetime_micros = -62135596800000000;  // 0001-01-01 00:00:00 UTC
constexpr std::int64_t datetime_end_micros = 253402300800000000;    // 10000-01-01 00:00:00 UTC

int two_digits(std::string_view s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

void append_two_digits(int v, char* at) {
  at[0] = static_cast<char>('0' + v / 10);
  at[1] = static_cast<char>('0' + v % 10);
}

// Howard Hinnant's days_from_civil / civil_from_days, for years 1..9999.
int days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void civil_from_days(int z, int& y, int& m, int& d) {
  z += 719468;
  const int era = z / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
}

// The common shape of timestamptz_out, "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]" in years
// 1..9999, converted to UTC without a full parse: the fraction is copied, the date moves only
// when the offset crosses midnight. False for any other text (the caller parses it).
bool append_common_timestamptz_utc(std::string_view s, std::string& out) {
  if (s.size() < 22 || !starts_with_plain_date(s) || s[10] != ' ' || !digits_at(s, 11, 2) || s[13] != ':' ||
      !digits_at(s, 14, 2) || s[16] != ':' || !digits_at(s, 17, 2))
    return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    while (++i < s.size() && is_digit(s[i])) {
    }
    if (i == 20 || i > 26) return false;
  }
  const std::string_view fraction = s.substr(19, i - 19);
  if (i + 3 > s.size() || (s[i] != '+' && s[i] != '-') || !digits_at(s, i + 1, 2)) return false;
  const int sign = s[i] == '-' ? -1 : 1;
  int offset = two_digits(s, i + 1) * 3600;
  i += 3;
  for (int unit = 60; i < s.size() && unit >= 1; unit /= 60, i += 3) {
    if (s[i] != ':' || i + 3 > s.size() || !digits_at(s, i + 1, 2)) return false;
    offset += two_digits(s, i + 1) * unit;
  }
  const int hour = two_digits(s, 11);
  if (i != s.size() || hour > 23) return false;
  int seconds = hour * 3600 + two_digits(s, 14) * 60 + two_digits(s, 17) - sign * offset;
  const int day_shift = seconds < 0 ? -1 : seconds >= 86400 ? 1 : 0;
  seconds -= day_shift * 86400;
  char buf[19];
  if (day_shift == 0) {
    std::memcpy(buf, s.data(), 10);
  } else {
    int y = 0, m = 0, d = 0;
    civil_from_days(days_from_civil(two_digits(s, 0) * 100 + two_digits(s, 2), two_digits(s, 5), two_digits(s, 8)) +
                        day_shift,
                    y, m, d);
    if (y < 1 || y > 9999) return false;
    append_two_digits(y / 100, buf);
    append_two_digits(y % 100, buf + 2);
    buf[4] = '-';
    append_two_digits(m, buf + 5);
    buf[7] = '-';
    append_two_digits(d, buf + 8);
  }
  buf[10] = ' ';
  append_two_digits(seconds / 3600, buf + 11);
  buf[13] = ':';
  append_two_digits(seconds / 60 % 60, buf + 14);
  buf[16] = ':';
  append_two_digits(seconds % 60, buf + 17);
  out.append(buf, sizeof buf);
  out.append(fraction);
  return true;
}

failure write_timestamptz_utc(std::string_view text, const column_mapping& m, std::string& out) {
  if (append_common_timestamptz_utc(text, out)) return std::nullopt;
  auto parsed = pv::parse_timestamptz(text);
  if (!pv::ok(parsed)) return "not a timestamp with time zone: " + pv::to_string(pv::error(parsed));
  const std::int64_t micros = pv::value(parsed);
  if (micros == pv::timestamp_infinity || micros == pv::timestamp_negative_infinity)
    return std::string(text) + " cannot be loaded into " + m.starrocks_type;
  if (micros < first_datetime_micros || micros >= datetime_end_micros)
    return "outside " + m.starrocks_type + "'s range (0001-01-01 .. 9999-12-31) in UTC";
  pv::append_timestamp(micros, out);
  return std::nullopt;
}

// cash_out text in the default (C / en_US) lc_monetary -> "-1234.56".
failure write_money(std::string_view text, std::string& out) {
  auto parsed = pv::parse_money(text);
  if (!pv::ok(parsed)) return "not a money value in the C / en_US format: " + pv::to_string(pv::error(parsed));
  const std::int64_t cents = pv::value(parsed);
  const std::uint64_t magnitude = cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  if (cents < 0) out.push_back('-');
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, magnitude / 100);
  out.append(buf, end);
  char fraction[3] = {'.'};
  append_two_digits(static_cast<int>(magnitude % 100), fraction + 1);
  out.append(fraction, sizeof fraction);
  return std::nullopt;
}

std::string_view form_name(value_form form) {
  switch (form) {
    case value_form::string: return "string";
    case value_form::integer: return "integer";
    case value_form::decimal: return "decimal";
    case value_form::floating: return "floating";
    case value_form::boolean: return "boolean";
    case value_form::date: return "date";
    case value_form::timestamp: return "timestamp";
    case value_form::timestamptz: return "timestamptz";
    case value_form::money: return "money";
    case value_form::json: return "json";
    case value_form::array: return "array";
    case value_form::hstore: return "hstore";
    case value_form::composite: return "composite";
  }
  return "unknown";
}

std::string binary_failure(const column_mapping& m) {
  return "a binary-format value (binary pgoutput) cannot be loaded as " + std::string(form_name(m.form)) + " (" +
         m.starrocks_type + "); set source.binary = false";
}

// ---- JSON -----------------------------------------------------------------------------------

failure write_json_value(const column_plan& p, value_kind kind, std::string_view text, std::string& out);

// Shows a nested value that failed inside its parent's error.
std::string nested_failure(std::string_view what, std::string_view text, const std::string& reason) {
  std::string out(what);
  out.push_back(' ');
  append_shown(text, 32, out);
  return out + ": " + reason;
}

failure write_json_array(const column_mapping& m, std::string_view text, std::string& out) {
  if (!m.element) return std::string("an array mapping without an element mapping");
  auto parsed = pv::parse_array(text);
  if (!pv::ok(parsed)) return "not an array: " + pv::to_string(pv::error(parsed));
  const pv::array_value& array = pv::value(parsed);
  // StarRocks ARRAY<T> has one dimension and counts from 1: anything else would change meaning.
  for (const pv::array_element& e : array.elements)
    if (e.k == pv::array_element::kind::array)
      return "a multi-dimensional array cannot be loaded into " + m.starrocks_type;
  if (!array.lower_bounds.empty()) return "an array indexed from other than 1 cannot be loaded into " + m.starrocks_type;
  const column_plan element = plan_of(*m.element);
  failure inner;
  std::string_view failed_item;
  pv::append_json_array(array, out, [&](std::string_view item, std::string& o) {
    if (inner) return;
    inner = write_json_value(element, value_kind::text, item, o);
    if (inner) failed_item = item;  // views parse_array's element, alive until we return
  });
  if (inner) return nested_failure("element", failed_item, *inner);
  return std::nullopt;
}

failure write_json_hstore(std::string_view text, std::string& out) {
  auto parsed = pv::parse_hstore(text);
  if (!pv::ok(parsed)) return "not an hstore value: " + pv::to_string(pv::error(parsed));
  pv::append_json_object(pv::value(parsed), out);
  return std::nullopt;
}

failure write_json_composite(const column_mapping& m, std::string_view text, std::string& out) {
  auto parsed = pv::parse_record(text);
  if (!pv::ok(parsed)) return "not a composite value: " + pv::to_string(pv::error(parsed));
  const auto& values = pv::value(parsed);
  if (values.size() != m.fields.size())
    return "has " + std::to_string(values.size()) + " fields, the type " + std::to_string(m.fields.size());
  out.push_back('{');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out.push_back(',');
    const auto& [name, field] = m.fields[i];
    pv::append_json_string(name, out);
    out.push_back(':');
    if (!values[i]) {
      out.append("null");
    } else if (failure f = write_json_value(plan_of(field), value_kind::text, *values[i], out)) {
      return nested_failure("field " + name, *values[i], *f);
    }
  }
  out.push_back('}');
  return std::nullopt;
}

// A DECIMAL column's value as a JSON string: a JSON number may be read as a double (the
// emulator's parser does, and 123456789.123456789 would lose its last digits); a string is
// parsed by the column's type, every digit kept. NaN/Infinity as NULL stays null.
failure write_json_decimal_column(const column_plan& p, value_kind kind, std::string_view text, std::string& out) {
  if (kind == value_kind::binary) return binary_failure(*p.mapping);
  const std::size_t at = out.size();
  out.push_back('"');
  if (failure f = write_decimal(p, text, "", out)) return f;
  if (out.size() == at + 1) {
    out.resize(at);
    out.append("null");
  } else {
    out.push_back('"');
  }
  return std::nullopt;
}

// One non-NULL value as a JSON value in its column's form.
failure write_json_value(const column_plan& p, value_kind kind, std::string_view text, std::string& out) {
  const column_mapping& m = *p.mapping;
  if (kind == value_kind::binary && m.form != value_form::string) return binary_failure(m);
  switch (m.form) {
    case value_form::string:
      pv::append_json_string(text, out);
      return std::nullopt;
    case value_form::integer:
      if (!is_integer_text(text)) return std::string("not an integer");
      out.append(text);
      return std::nullopt;
    case value_form::decimal:
      return write_decimal(p, text, "null", out);
    case value_form::floating:
      if (failure f = check_float(text)) return f;
      // NaN and the infinities are no JSON numbers; StarRocks reads the quoted text.
      if (is_float_special(text)) pv::append_json_string(text, out);
      else out.append(text);
      return std::nullopt;
    case value_form::boolean: {
      bool value = false;
      if (failure f = read_bool(text, value)) return f;
      out.append(value ? "true" : "false");
      return std::nullopt;
    }
    case value_form::date:
      if (text.size() != 10 || !starts_with_plain_date(text)) return date_failure(text, m);
      pv::append_json_string(text, out);
      return std::nullopt;
    case value_form::timestamp:
      if (!is_plain_timestamp(text)) return date_failure(text, m);
      pv::append_json_string(text, out);
      return std::nullopt;
    case value_form::timestamptz: {
      out.push_back('"');
      if (failure f = write_timestamptz_utc(text, m, out)) return f;
      out.push_back('"');
      return std::nullopt;
    }
    case value_form::money: {  // quoted like a DECIMAL column: 19 digits exceed a double's
      out.push_back('"');
      if (failure f = write_money(text, out)) return f;
      out.push_back('"');
      return std::nullopt;
    }
    case value_form::json:
      if (auto err = pv::validate_json(text)) return "not a JSON document: " + pv::to_string(*err);
      out.append(text);
      return std::nullopt;
    case value_form::array:
      return write_json_array(m, text, out);
    case value_form::hstore:
      return write_json_hstore(text, out);
    case value_form::composite:
      return write_json_composite(m, text, out);
  }
  return std::string("unknown value form");
}

// ---- CSV ------------------------------------------------------------------------------------

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

// High bit set in each byte of `w` equal to `b` (the lowest flagged byte is exact; bytes
// above a flagged one may be flagged falsely by borrows).
std::uint64_t equal_bytes(std::uint64_t w, std::uint64_t b) {
  const std::uint64_t x = w ^ b;
  return (x - ones) & ~x & high_bits;
}

/// CSV fields of one call: the separator and the scratch buffer nested values render into.
class csv_writer {
 public:
  explicit csv_writer(char separator)
      : separator_(separator),
        separator_bytes_(ones * static_cast<unsigned char>(separator)),
        // Scalars are digits, letters, and "+-.: "; a separator among them needs escaping.
        plain_scalars_(!std::isalnum(static_cast<unsigned char>(separator)) &&
                       std::strchr("+-.: ", separator) == nullptr) {}

  bool plain_scalars() const { return plain_scalars_; }
  std::string& scratch() { return scratch_; }

  // Appends `text` with csv_escape before each separator, '\n' and csv_escape.
  void append_escaped(std::string_view text, std::string& out) const {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (true) {
      const char* special = find_special(p, end);
      out.append(p, static_cast<std::size_t>(special - p));
      if (special == end) return;
      const char pair[] = {csv_escape, *special};
      out.append(pair, 2);
      p = special + 1;
    }
  }

 private:
  // The first separator, '\n' or csv_escape in [p, end), or end: sixteen bytes a step with
  // SSE2, then eight with SWAR.
  const char* find_special(const char* p, const char* end) const {
#if defined(__SSE2__)
    const __m128i separator = _mm_set1_epi8(separator_);
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i escape = _mm_set1_epi8(csv_escape);
    while (end - p >= 16) {
      const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, separator), _mm_cmpeq_epi8(w, newline)),
                                        _mm_cmpeq_epi8(w, escape));
      if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits)); mask != 0)
        return p + std::countr_zero(mask);
      p += 16;
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
      while (end - p >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t m = equal_bytes(w, separator_bytes_) | equal_bytes(w, ones * '\n') |
                                equal_bytes(w, ones * static_cast<unsigned char>(csv_escape));
        if (m != 0) return p + std::countr_zero(m) / 8;
        p += 8;
      }
    }
    while (p < end && *p != separator_ && *p != '\n' && *p != csv_escape) ++p;
    return p;
  }

  char separator_;
  std::uint64_t separator_bytes_;
  bool plain_scalars_;
  std::string scratch_;
};

// A scalar form as its CSV text (no escaping: see csv_writer::plain_scalars).
failure write_csv_scalar(const column_plan& p, std::string_view text, std::string& out) {
  const column_mapping& m = *p.mapping;
  switch (m.form) {
    case value_form::integer:
      if (!is_integer_text(text)) return std::string("not an integer");
      out.append(text);
      return std::nullopt;
    case value_form::decimal:
      return write_decimal(p, text, "\\N", out);
    case value_form::floating:
      if (failure f = check_float(text)) return f;
      out.append(text);
      return std::nullopt;
    case value_form::boolean: {
      bool value = false;
      if (failure f = read_bool(text, value)) return f;
      out.push_back(value ? '1' : '0');
      return std::nullopt;
    }
    case value_form::date:
      if (text.size() != 10 || !starts_with_plain_date(text)) return date_failure(text, m);
      out.append(text);
      return std::nullopt;
    case value_form::timestamp:
      if (!is_plain_timestamp(text)) return date_failure(text, m);
      out.append(text);
      return std::nullopt;
    case value_form::timestamptz:
      return write_timestamptz_utc(text, m, out);
    case value_form::money:
      return write_money(text, out);
    default:
      return std::string("not a scalar form");
  }
}

// One non-NULL value as a CSV field in its column's form.
failure write_csv_field(const column_plan& p, value_kind kind, std::string_view text, csv_writer& w,
                        std::string& out) {
  const column_mapping& m = *p.mapping;
  if (kind == value_kind::binary && m.form != value_form::string) return binary_failure(m);
  switch (m.form) {
    case value_form::string:
      if (text == "\\N")
        return std::string("the text \\N cannot be loaded through CSV (StarRocks reads it as NULL); "
                           "set sink.format = \"json\"");
      w.append_escaped(text, out);
      return std::nullopt;
    case value_form::json:
      if (auto err = pv::validate_json(text)) return "not a JSON document: " + pv::to_string(*err);
      w.append_escaped(text, out);
      return std::nullopt;
    case value_form::array:
    case value_form::hstore:
    case value_form::composite: {
      std::string& json = w.scratch();
      json.clear();
      if (failure f = write_json_value(p, kind, text, json)) return f;
      // JSON escapes are the only backslashes in a rendered array.
      if (m.form == value_form::array && json.find('\\') != std::string::npos)
        return std::string("array elements with '\"', '\\' or control characters cannot be loaded through CSV "
                           "(StarRocks' CSV array reader does not unescape them); set sink.format = \"json\"");
      w.append_escaped(json, out);
      return std::nullopt;
    }
    default:
      if (w.plain_scalars()) return write_csv_scalar(p, text, out);
      std::string& field = w.scratch();
      field.clear();
      if (failure f = write_csv_scalar(p, text, field)) return f;
      w.append_escaped(field, out);
      return std::nullopt;
  }
}

// ---- rows -----------------------------------------------------------------------------------

std::vector<column_plan> plan_columns(const table_encoding& table, std::span<const std::size_t> columns) {
  assert(table.names.size() == table.columns.size());
  std::vector<column_plan> plans;
  plans.reserve(columns.size());
  for (const std::size_t c : columns) {
    assert(c < table.columns.size());
    plans.push_back(plan_of(table.columns[c]));
  }
  return plans;
}

// Bytes of the values of `columns` in `rows`: what the body holds besides its framing.
std::size_t value_bytes(std::span<const std::size_t> columns, std::span<const encoded_row> rows) {
  std::size_t total = 0;
  for (const encoded_row& row : rows)
    for (const std::size_t c : columns)
      if (c < row.count) total += row.values[c].data.size();
  return total;
}

// The error for column `c` of rows[r], showing its value when it has one.
encode_error make_error(const table_encoding& table, std::size_t c, std::span<const encoded_row> rows, std::size_t r,
                        const std::string& reason) {
  encode_error err{r, table.names[c], "column " + table.names[c]};
  const encoded_row& row = rows[r];
  if (c < row.count && (row.values[c].kind == value_kind::text || row.values[c].kind == value_kind::binary)) {
    err.message += ", value ";
    append_shown(row.values[c].data, 64, err.message);
  }
  err.message += ": ";
  err.message += reason;
  return err;
}

// Why column `c` of `row` is no value to load: the row is too short or the value an
// unchanged TOAST pointer. Both are loader bugs.
std::string unloadable(const encoded_row& row, std::size_t c) {
  if (c >= row.count)
    return "the row has " + std::to_string(row.count) + " values, column index " + std::to_string(c) +
           " was asked for (a loader bug)";
  return "an unchanged TOAST value cannot be loaded; the loader must leave the column out (a loader bug)";
}

}  // namespace

std::optional<encode_error> append_json_rows(const table_encoding& table, std::span<const std::size_t> columns,
                                             std::span<const encoded_row> rows, bool with_op, std::string& out) {
  const std::vector<column_plan> plans = plan_columns(table, columns);
  // `"name":` per column, with the comma before every key but the first.
  std::string keys;
  std::vector<std::size_t> key_ends;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    if (k != 0) keys.push_back(',');
    pv::append_json_string(table.names[columns[k]], keys);
    keys.push_back(':');
    key_ends.push_back(keys.size());
  }
  const std::string_view comma = columns.empty() ? "" : ",";
  const std::string upsert = with_op ? std::string(comma) + "\"__op\":0}" : "}";
  const std::string remove = with_op ? std::string(comma) + "\"__op\":1}" : "}";

  const std::size_t start = out.size();
  out.reserve(start + 2 + value_bytes(columns, rows) + rows.size() * (keys.size() + upsert.size() + 2 + 2 * columns.size()));
  out.push_back('[');
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const encoded_row& row = rows[r];
    if (r != 0) out.push_back(',');
    out.push_back('{');
    std::size_t key_begin = 0;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      out.append(keys, key_begin, key_ends[k] - key_begin);
      key_begin = key_ends[k];
      const std::size_t c = columns[k];
      failure f;
      if (c >= row.count || row.values[c].kind == value_kind::unchanged_toast) [[unlikely]]
        f = unloadable(row, c);
      else if (row.values[c].kind == value_kind::null)
        out.append("null");
      else if (plans[k].mapping->form == value_form::decimal)
        f = write_json_decimal_column(plans[k], row.values[c].kind, row.values[c].data, out);
      else
        f = write_json_value(plans[k], row.values[c].kind, row.values[c].data, out);
      if (f) [[unlikely]] {
        out.resize(start);
        return make_error(table, c, rows, r, *f);
      }
    }
    out.append(row.is_delete ? remove : upsert);
  }
  out.push_back(']');
  return std::nullopt;
}

std::optional<encode_error> append_csv_rows(const table_encoding& table, std::span<const std::size_t> columns,
                                            std::span<const encoded_row> rows, bool with_op, std::string& out,
                                            char column_separator) {
  assert(column_separator != '\n' && column_separator != '\\' && column_separator != 'N' && column_separator != '\0' &&
         column_separator != csv_escape);
  assert(with_op || !columns.empty());  // StarRocks skips empty lines
  const std::vector<column_plan> plans = plan_columns(table, columns);
  csv_writer w(column_separator);
  // The __op field if any and the row delimiter (the digit escaped should it be the separator).
  std::string upsert, remove;
  if (with_op) {
    if (!columns.empty()) upsert = remove = std::string(1, column_separator);
    w.append_escaped("0", upsert);
    w.append_escaped("1", remove);
  }
  upsert.push_back('\n');
  remove.push_back('\n');

  const std::size_t start = out.size();
  out.reserve(start + value_bytes(columns, rows) + rows.size() * (columns.size() + upsert.size()));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const encoded_row& row = rows[r];
    for (std::size_t k = 0; k < columns.size(); ++k) {
      if (k != 0) out.push_back(column_separator);
      const std::size_t c = columns[k];
      failure f;
      if (c >= row.count || row.values[c].kind == value_kind::unchanged_toast) [[unlikely]]
        f = unloadable(row, c);
      else if (row.values[c].kind == value_kind::null)
        out.append("\\N");
      else
        f = write_csv_field(plans[k], row.values[c].kind, row.values[c].data, w, out);
      if (f) [[unlikely]] {
        out.resize(start);
        return make_error(table, c, rows, r, *f);
      }
    }
    out.append(row.is_delete ? remove : upsert);
  }
  return std::nullopt;
}

std::string columns_header(const table_encoding& table, std::span<const std::size_t> columns, bool with_op) {
  std::string out;
  for (const std::size_t c : columns) {
    if (!out.empty()) out.push_back(',');
    out.push_back('`');
    for (const char ch : table.names[c]) {
      if (ch == '`') out.push_back('`');
      out.push_back(ch);
    }
    out.push_back('`');
  }
  if (with_op) out.append(columns.empty() ? "__op" : ",__op");
  return out;
}

std::vector<std::pair<std::string, std::string>> csv_headers(char column_separator) {
  // Printable separators as they are; others in the "\x09" notation StarRocks reads (a bare
  // tab would be trimmed from the header value).
  std::string separator;
  const auto b = static_cast<unsigned char>(column_separator);
  if (b > 0x20 && b < 0x7f) {
    separator.push_back(column_separator);
  } else {
    static constexpr char hex[] = "0123456789abcdef";
    separator = {'\\', 'x', hex[b >> 4], hex[b & 0xf]};
  }
  return {{"column_separator", separator}, {"escape", std::string(1, csv_escape)}};
}

}  // namespace pg2sr::codecs::starrocks
