// PostgreSQL values in their TEXT output form (what pgoutput 't' columns and COPY TO text
// carry, after COPY's own backslash escaping is undone) -> typed values, and the few
// renderers the loaders need (JSON strings, timestamps, decimals).
//
// The parsers read what PostgreSQL writes with DateStyle ISO, IntervalStyle postgres and
// bytea_output hex (escape is accepted too); pipelines set these on their connections.
// Every function is pure and total: bad input yields a parse_error naming what is wrong
// and the byte offset in the input where it was found. Nothing throws on bad input.
//
// Sources: pg_values.cpp (errors, JSON escaper and validator), pg_values_numbers.cpp
// (integers, bool, floats, numeric, money), pg_values_datetime.cpp, pg_values_text.cpp
// (uuid, bytea, hstore, records), pg_values_array.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pg2sr::codecs::pg_values {

// ---- results -------------------------------------------------------------------------

/// Why and where a value did not parse: `offset` is a byte offset into the parsed text.
struct parse_error {
  std::size_t offset = 0;
  std::string_view what;  ///< static text, e.g. "value out of range for int4"
  bool operator==(const parse_error&) const = default;
};

/// "<what> at offset <offset>"
std::string to_string(const parse_error& err);

/// A parsed value or the reason it is not one (std::expected is not in g++ 12's C++20).
template <class T>
using parse_result = std::variant<T, parse_error>;

template <class T>
bool ok(const parse_result<T>& r) { return r.index() == 0; }
template <class T>
const T& value(const parse_result<T>& r) { return std::get<0>(r); }
template <class T>
T& value(parse_result<T>& r) { return std::get<0>(r); }
template <class T>
const parse_error& error(const parse_result<T>& r) { return std::get<1>(r); }

// ---- integers, bool -----------------------------------------------------------------

parse_result<std::int16_t> parse_int2(std::string_view text);
parse_result<std::int32_t> parse_int4(std::string_view text);
parse_result<std::int64_t> parse_int8(std::string_view text);
parse_result<std::uint32_t> parse_oid(std::string_view text);
/// 't' or 'f' (what boolout writes); "true" and "false" are accepted too.
parse_result<bool> parse_bool(std::string_view text);

// ---- floating point ------------------------------------------------------------------

/// Decimal and exponent forms ("1.5", "1e+100", "-0"), "NaN", "Infinity", "-Infinity".
/// PostgreSQL 12+ prints the shortest text that reads back exactly, so this is exact.
parse_result<float> parse_float4(std::string_view text);
parse_result<double> parse_float8(std::string_view text);

// ---- numeric -------------------------------------------------------------------------

enum class numeric_kind : std::uint8_t { finite, nan, infinity, negative_infinity };

/// An exact decimal. For finite values `digits` holds the integer digits (no leading zeros)
/// followed by the fraction digits (exactly `scale` of them, trailing zeros kept: they are
/// the column's display scale). 0.05 is {digits "05", integer_digits 0, scale 2}.
struct numeric {
  numeric_kind kind = numeric_kind::finite;
  bool negative = false;  ///< never set for zero
  std::string digits;
  std::int32_t integer_digits = 0;  ///< significant digits before the point
  std::int32_t scale = 0;           ///< digits after the point
  bool is_finite() const { return kind == numeric_kind::finite; }
  bool operator==(const numeric&) const = default;
};

/// numeric_out's form ("-12.50", "NaN", "Infinity", "-Infinity"); exponent forms ("1.5e3")
/// are accepted as numeric_in does. Up to 131072 integer and 16383 fraction digits.
parse_result<numeric> parse_numeric(std::string_view text);

/// The text numeric_out writes for `n`.
std::string to_string(const numeric& n);

enum class decimal_fit : std::uint8_t {
  exact,       ///< fits DECIMAL(p,s) without changing its value
  rounded,     ///< fits once rounded to s fraction digits (non-zero digits are dropped)
  too_large,   ///< after rounding, more than p-s integer digits
  not_finite,  ///< NaN or +/-Infinity: no DECIMAL holds it
};

/// How `n` fits DECIMAL(precision, scale), 0 <= scale <= precision.
decimal_fit fit_decimal(const numeric& n, int precision, int scale);

/// Appends finite `n` with exactly `scale` fraction digits (no point when scale is 0),
/// rounding half away from zero as PostgreSQL's numeric(p,s) cast does; all in decimal
/// digits, never through a float. Not-finite values append their numeric_out text.
void append_decimal(const numeric& n, int scale, std::string& out);

// ---- money ---------------------------------------------------------------------------

/// How cash_out writes money under lc_monetary. The defaults are the C and en_US locales.
struct money_format {
  std::string currency_symbol = "$";
  std::string thousands_separator = ",";
  std::string decimal_point = ".";
  int fraction_digits = 2;
};

/// "$1,234.56", "-$1,234.56", "($1,234.56)", "1.234,56 €" (with a matching format) ->
/// the amount in minor units (cents for 2 fraction digits), exactly.
parse_result<std::int64_t> parse_money(std::string_view text, const money_format& format = {});

// ---- date and time -------------------------------------------------------------------

/// Days since 1970-01-01 (proleptic Gregorian); PostgreSQL's own sentinels for infinity.
inline constexpr std::int32_t date_negative_infinity = std::numeric_limits<std::int32_t>::min();
inline constexpr std::int32_t date_infinity = std::numeric_limits<std::int32_t>::max();

/// Microseconds since 1970-01-01 00:00:00 UTC; PostgreSQL's own sentinels for infinity.
/// PostgreSQL's range ends in 294276 AD, but int64 microseconds since 1970 end at
/// 294247-01-10 04:00:54.775807: the later timestamps fail to parse as out of range.
inline constexpr std::int64_t timestamp_negative_infinity = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t timestamp_infinity = std::numeric_limits<std::int64_t>::max();

/// A time of day with its UTC offset (timetz).
struct time_tz {
  std::int64_t micros = 0;          ///< local time of day, microseconds since midnight
  std::int32_t offset_seconds = 0;  ///< east of UTC: +05:30 is 19800
  /// The same instant as microseconds since midnight UTC, in [0, 24h).
  std::int64_t utc_micros() const;
  bool operator==(const time_tz&) const = default;
};

/// An interval as PostgreSQL stores it: the three fields do not convert into each other.
struct interval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t micros = 0;
  bool operator==(const interval&) const = default;
};

/// "2024-01-02", "0044-03-15 BC", "10000-01-01", "infinity", "-infinity".
parse_result<std::int32_t> parse_date(std::string_view text);
/// "13:14:15", "13:14:15.123456", "24:00:00" -> microseconds since midnight.
parse_result<std::int64_t> parse_time(std::string_view text);
/// "13:14:15.5+05:30", "13:14:15-08", "00:00:00+15:59:59".
parse_result<time_tz> parse_timetz(std::string_view text);
/// "2024-01-02 13:14:15.5", "0044-03-15 12:00:00 BC" -> microseconds since 1970 (no zone).
parse_result<std::int64_t> parse_timestamp(std::string_view text);
/// "2024-01-02 13:14:15.5+05:30", "1900-01-01 00:00:00+00:19:32", "... +05:53:28 BC"
/// -> microseconds since 1970-01-01 UTC. The offset is required.
parse_result<std::int64_t> parse_timestamptz(std::string_view text);
/// IntervalStyle postgres: "1 year 2 mons 3 days 04:05:06.789", "-1 days +02:00:00",
/// "00:00:00"; "infinity"/"-infinity" as PostgreSQL 17 writes them.
parse_result<interval> parse_interval(std::string_view text);

/// "YYYY-MM-DD" (" BC" for years before 1 AD, "infinity", "-infinity"), as date_out writes.
void append_date(std::int32_t days, std::string& out);
/// "HH:MM:SS[.ffffff]" with trailing fraction zeros dropped, as time_out writes.
void append_time(std::int64_t micros, std::string& out);
/// "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (" BC", "infinity", "-infinity" as PostgreSQL
/// writes them), trailing fraction zeros dropped: timestamp_out with TimeZone UTC, minus
/// the "+00".
void append_timestamp(std::int64_t micros, std::string& out);
std::string format_timestamp(std::int64_t micros);

// ---- uuid, bytea ---------------------------------------------------------------------

struct uuid {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const uuid&) const = default;
};

/// "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", upper case, braces, or hyphens after any group of
/// four digits (what uuid_in accepts).
parse_result<uuid> parse_uuid(std::string_view text);
/// The canonical lowercase 8-4-4-4-12 form.
void append_uuid(const uuid& u, std::string& out);
std::string to_string(const uuid& u);

/// bytea_output hex ("\x0123ab") or escape ("a\\b\001") -> the bytes.
parse_result<std::string> parse_bytea(std::string_view text);

// ---- JSON ----------------------------------------------------------------------------

/// Whether `text` is one well-formed JSON value (RFC 8259, with surrounding whitespace) in
/// valid UTF-8. Returns the first error, or nothing. json and jsonb values stay text: this
/// only checks them.
std::optional<parse_error> validate_json(std::string_view text);

/// Appends `text` as a JSON string, with its quotes: '"' and '\' backslash-escaped,
/// control characters as \b \f \n \r \t or \u00XX, every other byte (UTF-8) as is.
void append_json_string(std::string_view text, std::string& out);
/// The same without the surrounding quotes.
void append_json_escaped(std::string_view text, std::string& out);

// ---- arrays --------------------------------------------------------------------------

/// One element of an array literal: NULL, a text (unquoted and unescaped, to be read by the
/// element type's parser), or a sub-array of a multi-dimensional array.
struct array_element {
  enum class kind : std::uint8_t { null, text, array };
  kind k = kind::null;
  std::string text;                     ///< when k == text
  std::vector<array_element> elements;  ///< when k == array
  bool operator==(const array_element&) const = default;
};

struct array_value {
  /// Lower bound per dimension from a '[lo:hi]...=' decoration; empty when all are 1.
  std::vector<std::int32_t> lower_bounds;
  std::vector<array_element> elements;  ///< the outermost dimension
  bool operator==(const array_value&) const = default;
};

/// An array literal as array_out writes it: '{1,2,NULL,"a b","q\"x"}', '{{1,2},{3,4}}',
/// '[0:1]={7,8}', '{}'. `delimiter` is the element type's typdelim (';' for box). Checks that
/// a multi-dimensional array is rectangular and matches its decoration.
parse_result<array_value> parse_array(std::string_view text, char delimiter = ',');

/// Appends `a` as nested JSON arrays: NULL as null and each text element through
/// `render(std::string_view element_text, std::string& out)`.
template <class Render>
void append_json_array(const array_value& a, std::string& out, Render&& render);

/// Appends `a` as nested JSON arrays of JSON strings.
void append_json_array(const array_value& a, std::string& out);

// ---- hstore --------------------------------------------------------------------------

struct hstore_pair {
  std::string key;
  std::optional<std::string> value;  ///< nullopt for NULL
  bool operator==(const hstore_pair&) const = default;
};

/// '"a"=>"1", "b"=>NULL' (and the unquoted forms hstore_in accepts) -> pairs in text order.
parse_result<std::vector<hstore_pair>> parse_hstore(std::string_view text);

/// Appends {"a":"1","b":null}.
void append_json_object(const std::vector<hstore_pair>& pairs, std::string& out);

// ---- records (composite types) -------------------------------------------------------

/// A row value as record_out writes it -> its fields in order, nullopt for NULL:
/// '(1,"a b",,"q""x\\y")' is "1", "a b", NULL, 'q"x\y'. As record_in reads it: an empty
/// unquoted field is NULL and "" the empty string; '\' takes the next character as is
/// anywhere, and "" inside quotes is one '"'. "()" is a single NULL field.
parse_result<std::vector<std::optional<std::string>>> parse_record(std::string_view text);

// ---- template definitions ------------------------------------------------------------

namespace detail {
template <class Render>
void append_json_elements(const std::vector<array_element>& elements, std::string& out,
                          Render& render) {
  out.push_back('[');
  bool first = true;
  for (const array_element& e : elements) {
    if (!first) out.push_back(',');
    first = false;
    switch (e.k) {
      case array_element::kind::null: out.append("null"); break;
      case array_element::kind::text: render(std::string_view(e.text), out); break;
      case array_element::kind::array: append_json_elements(e.elements, out, render); break;
    }
  }
  out.push_back(']');
}
}  // namespace detail

template <class Render>
void append_json_array(const array_value& a, std::string& out, Render&& render) {
  detail::append_json_elements(a.elements, out, render);
}

}  // namespace pg2sr::codecs::pg_values
