// Tests for codecs/values/pg_values: parsers of PostgreSQL's text output and the JSON renderers.
// Expected texts and numbers marked "PG15" were printed by a PostgreSQL 15.18 server
// (DateStyle ISO, IntervalStyle postgres, lc_monetary C.UTF-8).
#include "codecs/values/pg_values.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace pv = pg2sr::codecs::pg_values;

namespace {

template <class T>
T parsed(const pv::parse_result<T>& r) {
  BOOST_REQUIRE_MESSAGE(pv::ok(r), "unexpected error: " << (pv::ok(r) ? std::string() : pv::to_string(pv::error(r))));
  return pv::value(r);
}

// The error's offset, failing the test when the parse succeeded.
template <class T>
std::size_t error_offset(const pv::parse_result<T>& r) {
  BOOST_REQUIRE_MESSAGE(!pv::ok(r), "expected a parse error");
  return pv::error(r).offset;
}

template <class T>
std::string_view error_what(const pv::parse_result<T>& r) {
  BOOST_REQUIRE_MESSAGE(!pv::ok(r), "expected a parse error");
  return pv::error(r).what;
}

std::string json_string(std::string_view s) {
  std::string out;
  pv::append_json_string(s, out);
  return out;
}

std::string timestamp_text(std::int64_t micros) { return pv::format_timestamp(micros); }

std::string date_text(std::int32_t days) {
  std::string out;
  pv::append_date(days, out);
  return out;
}

std::string decimal(std::string_view numeric_text, int scale) {
  std::string out;
  pv::append_decimal(parsed(pv::parse_numeric(numeric_text)), scale, out);
  return out;
}

pv::decimal_fit fit(std::string_view numeric_text, int precision, int scale) {
  return pv::fit_decimal(parsed(pv::parse_numeric(numeric_text)), precision, scale);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_values)

// ---- errors ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_error_text_names_what_and_offset) {
  BOOST_TEST(pv::to_string(pv::parse_error{7, "expected a digit"}) == "expected a digit at offset 7");
}

// ---- integers, bool ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_integers_accepts_full_ranges) {
  BOOST_TEST(parsed(pv::parse_int2("-32768")) == -32768);
  BOOST_TEST(parsed(pv::parse_int2("32767")) == 32767);
  BOOST_TEST(parsed(pv::parse_int4("-2147483648")) == std::numeric_limits<std::int32_t>::min());
  BOOST_TEST(parsed(pv::parse_int4("2147483647")) == std::numeric_limits<std::int32_t>::max());
  BOOST_TEST(parsed(pv::parse_int8("-9223372036854775808")) == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(parsed(pv::parse_int8("9223372036854775807")) == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(parsed(pv::parse_int8("0")) == 0);
  BOOST_TEST(parsed(pv::parse_oid("4294967295")) == 4294967295u);
}

BOOST_AUTO_TEST_CASE(parse_integers_rejects_out_of_range) {
  BOOST_TEST(error_what(pv::parse_int2("32768")) == "value out of range for int2");
  BOOST_TEST(error_what(pv::parse_int2("-32769")) == "value out of range for int2");
  BOOST_TEST(error_what(pv::parse_int4("2147483648")) == "value out of range for int4");
  BOOST_TEST(error_what(pv::parse_int8("9223372036854775808")) == "value out of range for int8");
  BOOST_TEST(error_what(pv::parse_int8("-9223372036854775809")) == "value out of range for int8");
  BOOST_TEST(error_what(pv::parse_oid("4294967296")) == "value out of range for oid");
}

BOOST_AUTO_TEST_CASE(parse_integers_reports_offset_of_bad_character) {
  BOOST_TEST(error_offset(pv::parse_int4("12a")) == 2u);
  BOOST_TEST(error_offset(pv::parse_int4("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_int4("-")) == 1u);
  BOOST_TEST(error_offset(pv::parse_int4("-x")) == 1u);
  BOOST_TEST(error_offset(pv::parse_int4(" 1")) == 0u);
  BOOST_TEST(error_offset(pv::parse_int4("1 ")) == 1u);
  BOOST_TEST(error_offset(pv::parse_int8("1.5")) == 1u);
  BOOST_TEST(error_offset(pv::parse_oid("-1")) == 0u);
}

BOOST_AUTO_TEST_CASE(parse_bool_reads_t_and_f) {
  BOOST_TEST(parsed(pv::parse_bool("t")) == true);
  BOOST_TEST(parsed(pv::parse_bool("f")) == false);
  BOOST_TEST(parsed(pv::parse_bool("true")) == true);
  BOOST_TEST(error_offset(pv::parse_bool("yes")) == 0u);
  BOOST_TEST(error_offset(pv::parse_bool("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_bool("T")) == 0u);
}

// ---- floats ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_float8_reads_postgres_output_exactly) {
  // PG15: 1.5 | 1e+100 | 1e-07 | 1.2345678901234568e+17 | 5e-324 | -0
  BOOST_TEST(parsed(pv::parse_float8("1.5")) == 1.5);
  BOOST_TEST(parsed(pv::parse_float8("1e+100")) == 1e100);
  BOOST_TEST(parsed(pv::parse_float8("1e-07")) == 1e-7);
  BOOST_TEST(parsed(pv::parse_float8("1.2345678901234568e+17")) == 123456789012345678.0);
  BOOST_TEST(parsed(pv::parse_float8("5e-324")) == std::numeric_limits<double>::denorm_min());
  BOOST_TEST(parsed(pv::parse_float8("1.7976931348623157e+308")) == std::numeric_limits<double>::max());
  const double negative_zero = parsed(pv::parse_float8("-0"));
  BOOST_TEST(negative_zero == 0.0);
  BOOST_TEST(std::signbit(negative_zero));
}

BOOST_AUTO_TEST_CASE(parse_float_accepts_nan_and_infinities) {
  BOOST_TEST(std::isnan(parsed(pv::parse_float8("NaN"))));
  BOOST_TEST(parsed(pv::parse_float8("Infinity")) == std::numeric_limits<double>::infinity());
  BOOST_TEST(parsed(pv::parse_float8("-Infinity")) == -std::numeric_limits<double>::infinity());
  BOOST_TEST(std::isnan(parsed(pv::parse_float4("NaN"))));
  BOOST_TEST(parsed(pv::parse_float4("-Infinity")) == -std::numeric_limits<float>::infinity());
  BOOST_TEST(error_offset(pv::parse_float8("-NaN")) == 1u);
  BOOST_TEST(error_offset(pv::parse_float8("nan(1)")) == 0u);
}

BOOST_AUTO_TEST_CASE(parse_float4_reads_postgres_output_exactly) {
  // PG15: 0.1 | 3.4028235e+38 | 1.1754944e-38 | 1e-45
  BOOST_TEST(parsed(pv::parse_float4("0.1")) == 0.1f);
  BOOST_TEST(parsed(pv::parse_float4("3.4028235e+38")) == std::numeric_limits<float>::max());
  BOOST_TEST(parsed(pv::parse_float4("1.1754944e-38")) == std::numeric_limits<float>::min());
  BOOST_TEST(parsed(pv::parse_float4("1e-45")) == std::numeric_limits<float>::denorm_min());
}

BOOST_AUTO_TEST_CASE(parse_float_rejects_garbage_and_overflow) {
  BOOST_TEST(error_offset(pv::parse_float8("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_float8("1.5x")) == 3u);
  BOOST_TEST(error_offset(pv::parse_float8("abc")) == 0u);
  BOOST_TEST(error_offset(pv::parse_float8("--1")) == 1u);
  BOOST_TEST(error_what(pv::parse_float8("1e400")) == "value out of range for float8");
  BOOST_TEST(error_what(pv::parse_float4("1e39")) == "value out of range for float4");
}

// ---- numeric -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_numeric_keeps_digits_and_scale) {
  const pv::numeric n = parsed(pv::parse_numeric("-123.4500"));
  BOOST_TEST(n.is_finite());
  BOOST_TEST(n.negative);
  BOOST_TEST(n.digits == "1234500");
  BOOST_TEST(n.integer_digits == 3);
  BOOST_TEST(n.scale == 4);
  BOOST_TEST(pv::to_string(n) == "-123.4500");

  const pv::numeric small = parsed(pv::parse_numeric("0.05"));
  BOOST_TEST(small.digits == "05");
  BOOST_TEST(small.integer_digits == 0);
  BOOST_TEST(small.scale == 2);
  BOOST_TEST(pv::to_string(small) == "0.05");
}

BOOST_AUTO_TEST_CASE(parse_numeric_normalises_like_numeric_in) {
  // PG15: '1.50e1' -> 15.0, '1e-3' -> 0.001, '-0.00' -> 0.00, '000123.4500' -> 123.4500
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("1.50e1"))) == "15.0");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("1e-3"))) == "0.001");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("-0.00"))) == "0.00");
  BOOST_TEST(!parsed(pv::parse_numeric("-0.00")).negative);
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("000123.4500"))) == "123.4500");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("0"))) == "0");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric(".5"))) == "0.5");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("5."))) == "5");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("+7"))) == "7");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("12E+2"))) == "1200");
}

BOOST_AUTO_TEST_CASE(parse_numeric_accepts_nan_and_infinities) {
  BOOST_TEST((parsed(pv::parse_numeric("NaN")).kind == pv::numeric_kind::nan));
  BOOST_TEST((parsed(pv::parse_numeric("Infinity")).kind == pv::numeric_kind::infinity));
  BOOST_TEST((parsed(pv::parse_numeric("-Infinity")).kind == pv::numeric_kind::negative_infinity));
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("nan"))) == "NaN");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("-inf"))) == "-Infinity");
  BOOST_TEST(error_offset(pv::parse_numeric("-NaN")) == 1u);
}

BOOST_AUTO_TEST_CASE(parse_numeric_keeps_a_thousand_digits_exactly) {
  std::string text = "-";
  for (int i = 0; i < 600; ++i) text.push_back(static_cast<char>('1' + i % 9));
  text.push_back('.');
  for (int i = 0; i < 400; ++i) text.push_back(static_cast<char>('0' + (i * 7) % 10));
  const pv::numeric n = parsed(pv::parse_numeric(text));
  BOOST_TEST(n.integer_digits == 600);
  BOOST_TEST(n.scale == 400);
  BOOST_TEST(pv::to_string(n) == text);
  std::string out;
  pv::append_decimal(n, 400, out);
  BOOST_TEST(out == text);
}

BOOST_AUTO_TEST_CASE(parse_numeric_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_numeric("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_numeric("-")) == 1u);
  BOOST_TEST(error_offset(pv::parse_numeric("12.3.4")) == 4u);
  BOOST_TEST(error_offset(pv::parse_numeric("1,5")) == 1u);
  BOOST_TEST(error_offset(pv::parse_numeric("1e")) == 2u);
  BOOST_TEST(error_offset(pv::parse_numeric("1e+x")) == 3u);
  BOOST_TEST(error_offset(pv::parse_numeric(" 1")) == 0u);
  BOOST_TEST(error_what(pv::parse_numeric("1e1001")) == "exponent out of range for numeric");
  BOOST_TEST(pv::to_string(parsed(pv::parse_numeric("1e1000"))).size() == 1001u);
}

BOOST_AUTO_TEST_CASE(append_decimal_rounds_half_away_from_zero_like_postgres) {
  // PG15: '99.995'::numeric(5,2) = 100.00, '-0.005'::numeric(3,2) = -0.01,
  // '-0.004'::numeric(3,2) = 0.00, '1.5'::numeric(2,0) = 2, '2.5' -> 3, '-2.5' -> -3,
  // '12.345'::numeric(6,4) = 12.3450, '-999.9999'::numeric(7,3) = -1000.000
  BOOST_TEST(decimal("99.995", 2) == "100.00");
  BOOST_TEST(decimal("-0.005", 2) == "-0.01");
  BOOST_TEST(decimal("-0.004", 2) == "0.00");
  BOOST_TEST(decimal("1.5", 0) == "2");
  BOOST_TEST(decimal("2.5", 0) == "3");
  BOOST_TEST(decimal("-2.5", 0) == "-3");
  BOOST_TEST(decimal("12.345", 4) == "12.3450");
  BOOST_TEST(decimal("-999.9999", 3) == "-1000.000");
  BOOST_TEST(decimal("0.5", 1) == "0.5");
  BOOST_TEST(decimal("123", 2) == "123.00");
  BOOST_TEST(decimal("0.0001", 2) == "0.00");
  BOOST_TEST(decimal("NaN", 2) == "NaN");
}

BOOST_AUTO_TEST_CASE(append_decimal_never_goes_through_a_float) {
  // 2^53 + 1 and a 38-digit value: a double would change both
  BOOST_TEST(decimal("9007199254740993", 0) == "9007199254740993");
  BOOST_TEST(decimal("12345678901234567890123456789012345678", 2) == "12345678901234567890123456789012345678.00");
  BOOST_TEST(decimal("0.1000000000000000055511151231257827", 34) == "0.1000000000000000055511151231257827");
}

BOOST_AUTO_TEST_CASE(fit_decimal_tells_exact_rounded_and_too_large) {
  BOOST_TEST((fit("123.45", 5, 2) == pv::decimal_fit::exact));
  BOOST_TEST((fit("123.4500", 5, 2) == pv::decimal_fit::exact));  // dropped zeros change nothing
  BOOST_TEST((fit("123.456", 5, 2) == pv::decimal_fit::rounded));
  BOOST_TEST((fit("1234.5", 5, 2) == pv::decimal_fit::too_large));
  // PG15: '9.995'::numeric(3,2) -> numeric field overflow (rounds to 10.00)
  BOOST_TEST((fit("9.995", 3, 2) == pv::decimal_fit::too_large));
  BOOST_TEST((fit("9.994", 3, 2) == pv::decimal_fit::rounded));
  BOOST_TEST((fit("0.5", 1, 1) == pv::decimal_fit::exact));
  BOOST_TEST((fit("-0.005", 3, 2) == pv::decimal_fit::rounded));
  BOOST_TEST((fit("0", 1, 0) == pv::decimal_fit::exact));
  BOOST_TEST((fit("NaN", 10, 2) == pv::decimal_fit::not_finite));
  BOOST_TEST((fit("-Infinity", 10, 2) == pv::decimal_fit::not_finite));
  BOOST_TEST((fit("99999999999999999999999999999999999999", 38, 0) == pv::decimal_fit::exact));
  BOOST_TEST((fit("100000000000000000000000000000000000000", 38, 0) == pv::decimal_fit::too_large));
}

// ---- money -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_money_reads_c_locale_output) {
  // PG15 (lc_monetary C.UTF-8): $1,234.56 | -$1,234.56 | $0.00 | $0.01 | -$0.50
  BOOST_TEST(parsed(pv::parse_money("$1,234.56")) == 123456);
  BOOST_TEST(parsed(pv::parse_money("-$1,234.56")) == -123456);
  BOOST_TEST(parsed(pv::parse_money("$0.00")) == 0);
  BOOST_TEST(parsed(pv::parse_money("$0.01")) == 1);
  BOOST_TEST(parsed(pv::parse_money("-$0.50")) == -50);
  BOOST_TEST(parsed(pv::parse_money("($1,234.56)")) == -123456);
  BOOST_TEST(parsed(pv::parse_money("1234.5")) == 123450);
}

BOOST_AUTO_TEST_CASE(parse_money_accepts_int64_extremes) {
  // PG15: $92,233,720,368,547,758.07 and -$92,233,720,368,547,758.08
  BOOST_TEST(parsed(pv::parse_money("$92,233,720,368,547,758.07")) == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(parsed(pv::parse_money("-$92,233,720,368,547,758.08")) == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(error_what(pv::parse_money("$92,233,720,368,547,758.08")) == "value out of range for money");
  BOOST_TEST(error_what(pv::parse_money("-$92,233,720,368,547,758.09")) == "value out of range for money");
  BOOST_TEST(error_what(pv::parse_money("$100,000,000,000,000,000.00")) == "value out of range for money");
}

BOOST_AUTO_TEST_CASE(parse_money_follows_a_configured_locale) {
  pv::money_format de{"€", ".", ",", 2};
  BOOST_TEST(parsed(pv::parse_money("1.234,56 €", de)) == 123456);
  BOOST_TEST(parsed(pv::parse_money("-1.234,56 €", de)) == -123456);
  BOOST_TEST(parsed(pv::parse_money("1.234,56- €", de)) == -123456);
  pv::money_format yen{"¥", ",", ".", 0};
  BOOST_TEST(parsed(pv::parse_money("¥1,234", yen)) == 1234);
  BOOST_TEST(error_offset(pv::parse_money("¥1,234.5", yen)) == 8u);
}

BOOST_AUTO_TEST_CASE(parse_money_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_money("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_money("$")) == 1u);
  BOOST_TEST(error_offset(pv::parse_money("$1.234")) == 5u);  // a third fraction digit
  BOOST_TEST(error_offset(pv::parse_money("($1.00")) == 6u);  // no ')'
  BOOST_TEST(error_offset(pv::parse_money("$1.00x")) == 5u);
  BOOST_TEST(error_offset(pv::parse_money("--$1.00")) == 1u);
  BOOST_TEST(error_offset(pv::parse_money("$1,,000.00")) == 2u);
}

// ---- date and time -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_date_counts_days_since_1970) {
  // PG15: date - '1970-01-01'
  BOOST_TEST(parsed(pv::parse_date("2024-01-02")) == 19724);
  BOOST_TEST(parsed(pv::parse_date("1970-01-01")) == 0);
  BOOST_TEST(parsed(pv::parse_date("0044-03-15 BC")) == -735160);
  BOOST_TEST(parsed(pv::parse_date("4714-11-24 BC")) == -2440588);
  BOOST_TEST(parsed(pv::parse_date("5874897-12-31")) == 2145042905);
  BOOST_TEST(parsed(pv::parse_date("2000-02-29")) == 11016);
  BOOST_TEST(parsed(pv::parse_date("1900-03-01")) == -25508);
  BOOST_TEST(parsed(pv::parse_date("infinity")) == pv::date_infinity);
  BOOST_TEST(parsed(pv::parse_date("-infinity")) == pv::date_negative_infinity);
}

BOOST_AUTO_TEST_CASE(parse_date_rejects_out_of_range_and_bad_days) {
  // PG15: '4714-11-23 BC' and '5874898-01-01': date out of range; '2023-02-29': field out of range
  BOOST_TEST(error_what(pv::parse_date("4714-11-23 BC")) == "date out of range");
  BOOST_TEST(error_what(pv::parse_date("5874898-01-01")) == "date out of range");
  BOOST_TEST(error_offset(pv::parse_date("2023-02-29")) == 8u);
  BOOST_TEST(error_offset(pv::parse_date("1900-02-29")) == 8u);
  BOOST_TEST(error_offset(pv::parse_date("2024-13-01")) == 5u);
  BOOST_TEST(error_offset(pv::parse_date("2024-1-01")) == 5u);
  BOOST_TEST(error_offset(pv::parse_date("24-01-01")) == 2u);
  BOOST_TEST(error_offset(pv::parse_date("0000-01-01")) == 0u);
  BOOST_TEST(error_offset(pv::parse_date("2024-01-02x")) == 10u);
  BOOST_TEST(error_offset(pv::parse_date("2024-01-02 AD")) == 10u);
  BOOST_TEST(error_offset(pv::parse_date("")) == 0u);
}

BOOST_AUTO_TEST_CASE(append_date_writes_what_date_out_writes) {
  // PG15: 2024-01-02 | 0044-03-15 BC | 4713-01-01 BC | 5874897-12-31 | infinity | -infinity | 10000-01-01
  for (std::string_view text : {"2024-01-02", "0044-03-15 BC", "4713-01-01 BC", "5874897-12-31", "infinity",
                                "-infinity", "10000-01-01", "0001-01-01", "0001-12-31 BC"}) {
    BOOST_TEST(date_text(parsed(pv::parse_date(text))) == text);
  }
}

BOOST_AUTO_TEST_CASE(parse_time_reads_micros_since_midnight) {
  // PG15: extract(epoch from '13:14:15.123456'::time) * 1e6 = 47655123456
  BOOST_TEST(parsed(pv::parse_time("13:14:15.123456")) == 47655123456);
  BOOST_TEST(parsed(pv::parse_time("00:00:00")) == 0);
  BOOST_TEST(parsed(pv::parse_time("24:00:00")) == 86400000000);
  BOOST_TEST(parsed(pv::parse_time("00:00:00.5")) == 500000);
  BOOST_TEST(error_offset(pv::parse_time("24:00:00.000001")) == 0u);
  BOOST_TEST(error_offset(pv::parse_time("12:60:00")) == 3u);
  BOOST_TEST(error_offset(pv::parse_time("12:00:60")) == 6u);
  BOOST_TEST(error_offset(pv::parse_time("12:00:00.1234567")) == 15u);
  BOOST_TEST(error_offset(pv::parse_time("12:00:00.")) == 9u);
  BOOST_TEST(error_offset(pv::parse_time("12:00")) == 5u);
  BOOST_TEST(error_offset(pv::parse_time("1:00:00")) == 0u);
}

BOOST_AUTO_TEST_CASE(append_time_writes_what_time_out_writes) {
  for (std::string_view text : {"13:14:15.123456", "24:00:00", "00:00:00", "13:14:15.5", "23:59:59.000001"}) {
    std::string out;
    pv::append_time(parsed(pv::parse_time(text)), out);
    BOOST_TEST(out == text);
  }
}

BOOST_AUTO_TEST_CASE(parse_timetz_keeps_local_time_and_offset) {
  // PG15: 13:14:15.5+05:30 | 13:14:15-08 | 00:00:00+15:59:59
  const pv::time_tz a = parsed(pv::parse_timetz("13:14:15.5+05:30"));
  BOOST_TEST(a.micros == 47655500000);
  BOOST_TEST(a.offset_seconds == 19800);
  BOOST_TEST(a.utc_micros() == 47655500000 - 19800 * std::int64_t{1000000});
  const pv::time_tz b = parsed(pv::parse_timetz("13:14:15-08"));
  BOOST_TEST(b.offset_seconds == -28800);
  BOOST_TEST(b.utc_micros() == (13 + 8) * 3600 * std::int64_t{1000000} + 14 * 60000000 + 15000000);
  const pv::time_tz c = parsed(pv::parse_timetz("00:00:00+15:59:59"));
  BOOST_TEST(c.offset_seconds == 15 * 3600 + 59 * 60 + 59);
  BOOST_TEST(c.utc_micros() == 86400 * std::int64_t{1000000} - c.offset_seconds * std::int64_t{1000000});
  BOOST_TEST(error_offset(pv::parse_timetz("13:14:15")) == 8u);
  BOOST_TEST(error_offset(pv::parse_timetz("13:14:15+16")) == 9u);
  BOOST_TEST(error_offset(pv::parse_timetz("13:14:15+05:3")) == 12u);
}

BOOST_AUTO_TEST_CASE(parse_timestamptz_converts_to_utc_micros) {
  // PG15, TimeZone UTC: extract(epoch from v) * 1e6
  const std::pair<std::string_view, std::int64_t> cases[] = {
      {"2024-01-02 13:14:15.5+05:30", 1704181455500000},
      {"4713-01-01 00:00:00+00 BC", -210863520000000000},
      {"4714-11-24 00:00:00+00 BC", -210866803200000000},
      {"0044-03-15 12:00:00+05:53:28 BC", -63517802008000000},
      {"1900-01-01 00:00:00+00:19:32", -2208989972000000},
      {"1970-01-01 00:00:00+00", 0},
      {"1969-12-31 23:59:59.999999+00", -1},
      {"2024-07-01 12:00:00-02:30", 1719844200000000},
      {"294247-01-10 04:00:54.775806+00", 9223372036854775806},
      {"0001-01-01 00:00:00+00", -62135596800000000},
      {"0001-12-31 23:59:59.999999+00 BC", -62135596800000001},
  };
  for (auto [text, micros] : cases) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(parsed(pv::parse_timestamptz(text)) == micros); }
  }
  BOOST_TEST(parsed(pv::parse_timestamptz("infinity")) == pv::timestamp_infinity);
  BOOST_TEST(parsed(pv::parse_timestamptz("-infinity")) == pv::timestamp_negative_infinity);
}

BOOST_AUTO_TEST_CASE(parse_timestamptz_rejects_what_int64_micros_cannot_hold) {
  // PostgreSQL goes to 294276-12-31 23:59:59.999999 (PG15 prints it), but microseconds
  // since 1970 stop at 294247-01-10 04:00:54.775807, which is also the +infinity sentinel.
  BOOST_TEST(error_what(pv::parse_timestamptz("294276-12-31 23:59:59.999999+00")) == "timestamp out of range");
  BOOST_TEST(error_what(pv::parse_timestamptz("294247-01-10 04:00:54.775807+00")) == "timestamp out of range");
  BOOST_TEST(error_what(pv::parse_timestamp("294276-12-31 23:59:59.999999")) == "timestamp out of range");
  BOOST_TEST(error_what(pv::parse_timestamptz("4714-11-24 00:00:00+01 BC")) == "timestamp out of range");
  BOOST_TEST(error_what(pv::parse_timestamptz("4714-11-23 23:59:59.999999+00 BC")) == "timestamp out of range");
}

BOOST_AUTO_TEST_CASE(parse_timestamptz_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_timestamptz("2024-01-02 13:14:15")) == 19u);  // no offset
  BOOST_TEST(error_offset(pv::parse_timestamptz("2024-01-02T13:14:15+00")) == 10u);
  BOOST_TEST(error_offset(pv::parse_timestamptz("2024-01-02 13:14:15+00 AD")) == 22u);
  BOOST_TEST(error_offset(pv::parse_timestamptz("2024-02-30 13:14:15+00")) == 8u);
  BOOST_TEST(error_offset(pv::parse_timestamptz("2024-01-02 25:14:15+00")) == 11u);
  BOOST_TEST(error_offset(pv::parse_timestamptz("2024-01-02 13:14:15+0")) == 20u);
  BOOST_TEST(error_offset(pv::parse_timestamptz("Infinity")) == 0u);
}

BOOST_AUTO_TEST_CASE(parse_timestamp_ignores_no_zone_and_rejects_one) {
  BOOST_TEST(parsed(pv::parse_timestamp("2024-01-02 13:14:15.5")) == 1704201255500000);
  BOOST_TEST(parsed(pv::parse_timestamp("0044-03-15 12:00:00 BC")) == -63517780800000000);
  BOOST_TEST(parsed(pv::parse_timestamp("-infinity")) == pv::timestamp_negative_infinity);
  BOOST_TEST(error_offset(pv::parse_timestamp("2024-01-02 13:14:15+00")) == 19u);
}

BOOST_AUTO_TEST_CASE(format_timestamp_writes_utc_like_postgres) {
  // PG15 with TimeZone UTC (then without the "+00"):
  BOOST_TEST(timestamp_text(1704181455500000) == "2024-01-02 07:44:15.5");
  BOOST_TEST(timestamp_text(-63517802008000000) == "0044-03-15 06:06:32 BC");
  BOOST_TEST(timestamp_text(-1) == "1969-12-31 23:59:59.999999");
  BOOST_TEST(timestamp_text(-62135596800000001) == "0001-12-31 23:59:59.999999 BC");
  BOOST_TEST(timestamp_text(1709164800010000) == "2024-02-29 00:00:00.01");
  BOOST_TEST(timestamp_text(9223372036854775806) == "294247-01-10 04:00:54.775806");
  BOOST_TEST(timestamp_text(-210866803200000000) == "4714-11-24 00:00:00 BC");
  BOOST_TEST(timestamp_text(0) == "1970-01-01 00:00:00");
  BOOST_TEST(timestamp_text(pv::timestamp_infinity) == "infinity");
  BOOST_TEST(timestamp_text(pv::timestamp_negative_infinity) == "-infinity");
}

BOOST_AUTO_TEST_CASE(timestamp_round_trips_across_the_range) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> dist(-210866803200000000, 9223372036854775806);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t micros = dist(rng);
    const std::string text = timestamp_text(micros);
    BOOST_TEST_CONTEXT(text) { BOOST_REQUIRE_EQUAL(parsed(pv::parse_timestamp(text)), micros); }
  }
}

// ---- interval ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_interval_reads_postgres_style) {
  // PG15 output texts; fields as PostgreSQL stores them
  const std::pair<std::string_view, pv::interval> cases[] = {
      {"1 year 2 mons 3 days 04:05:06.789", {14, 3, 14706789000}},
      {"-1 days +02:00:00", {0, -1, 7200000000}},
      {"00:00:00", {0, 0, 0}},
      {"-00:00:01", {0, 0, -1000000}},
      {"178000000 years", {2136000000, 0, 0}},
      {"-178000000 years", {-2136000000, 0, 0}},
      {"2147483647 days", {0, 2147483647, 0}},
      {"-2147483648 days", {0, -2147483648LL, 0}},
      {"1 day -00:00:01", {0, 1, -1000000}},
      {"-1 years +1 day", {-12, 1, 0}},
      {"2562047788:00:54.775807", {0, 0, std::numeric_limits<std::int64_t>::max()}},
      {"-2562047788:00:54.775808", {0, 0, std::numeric_limits<std::int64_t>::min()}},
      {"-1 mons -1 days -00:00:01.5", {-1, -1, -1500000}},
      {"1 mon -1 days", {1, -1, 0}},
      {"2 years", {24, 0, 0}},
  };
  for (const auto& [text, expected] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const pv::interval got = parsed(pv::parse_interval(text));
      BOOST_TEST(got.months == expected.months);
      BOOST_TEST(got.days == expected.days);
      BOOST_TEST(got.micros == expected.micros);
    }
  }
  BOOST_TEST(parsed(pv::parse_interval("infinity")).micros == pv::timestamp_infinity);
}

BOOST_AUTO_TEST_CASE(parse_interval_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_interval("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_interval("1 week")) == 2u);
  BOOST_TEST(error_offset(pv::parse_interval("1 day 2 days")) == 8u);
  BOOST_TEST(error_offset(pv::parse_interval("1day")) == 1u);
  BOOST_TEST(error_offset(pv::parse_interval("1 day  00:00:00")) == 6u);
  BOOST_TEST(error_offset(pv::parse_interval("01:60:00")) == 3u);
  BOOST_TEST(error_offset(pv::parse_interval("2562047788:00:54.775808")) == 0u);
  BOOST_TEST(error_offset(pv::parse_interval("178956971 years")) == 0u);
  BOOST_TEST(error_offset(pv::parse_interval("2147483648 days")) == 0u);
  BOOST_TEST(error_offset(pv::parse_interval("@ 1 day")) == 0u);
}

// ---- uuid --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_uuid_gives_canonical_lowercase) {
  const char* canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
  for (std::string_view text : {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                                "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
                                "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"}) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(pv::to_string(parsed(pv::parse_uuid(text))) == canonical); }
  }
  BOOST_TEST(parsed(pv::parse_uuid(canonical)).bytes[0] == 0xa0);
  BOOST_TEST(parsed(pv::parse_uuid(canonical)).bytes[15] == 0x11);
}

BOOST_AUTO_TEST_CASE(parse_uuid_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_uuid("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1")) == 35u);
  BOOST_TEST(error_offset(pv::parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111")) == 36u);
  BOOST_TEST(error_offset(pv::parse_uuid("a0eebc99-9c0g-4ef8-bb6d-6bb9bd380a11")) == 12u);
  BOOST_TEST(error_offset(pv::parse_uuid("a0eeb-c99-9c0b-4ef8-bb6d-6bb9bd380a11")) == 5u);
  BOOST_TEST(error_offset(pv::parse_uuid("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")) == 37u);
  BOOST_TEST(error_offset(pv::parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-")) == 36u);
}

// ---- bytea -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_bytea_decodes_hex_format) {
  // PG15: '\x0123ab'::bytea and ''::bytea
  BOOST_TEST(parsed(pv::parse_bytea("\\x0123ab")) == std::string("\x01\x23\xab", 3));
  BOOST_TEST(parsed(pv::parse_bytea("\\x")).empty());
  BOOST_TEST(parsed(pv::parse_bytea("\\x00FF")) == std::string("\x00\xff", 2));
  BOOST_TEST(parsed(pv::parse_bytea("\\x01 23")) == std::string("\x01\x23", 2));
  BOOST_TEST(error_offset(pv::parse_bytea("\\x012")) == 5u);
  BOOST_TEST(error_offset(pv::parse_bytea("\\x0g")) == 3u);
  BOOST_TEST(error_offset(pv::parse_bytea("\\xg0")) == 2u);
}

BOOST_AUTO_TEST_CASE(parse_bytea_decodes_escape_format) {
  // PG15 (bytea_output escape): '\x0123ab5c27' -> \001#\253\\'  and 'a\\b' -> a\\b
  BOOST_TEST(parsed(pv::parse_bytea("\\001#\\253\\\\'")) == std::string("\x01\x23\xab\x5c\x27", 5));
  BOOST_TEST(parsed(pv::parse_bytea("a\\\\b")) == "a\\b");
  BOOST_TEST(parsed(pv::parse_bytea("plain")) == "plain");
  BOOST_TEST(parsed(pv::parse_bytea("")).empty());
  BOOST_TEST(error_offset(pv::parse_bytea("ab\\")) == 2u);
  BOOST_TEST(error_offset(pv::parse_bytea("ab\\400")) == 2u);
  BOOST_TEST(error_offset(pv::parse_bytea("ab\\12")) == 2u);
}

// ---- JSON --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(validate_json_accepts_well_formed_values) {
  for (std::string_view text :
       {"{\"a\": [1, 2.5e3, true, null, \"x\\u00e9\\n\"]}",  // PG15 json output
        "{\"a\": [1, 2500, true, null, \"xé\\n\"]}",         // PG15 jsonb output
        "0", "-0", "-0.5e-10", "1E+2", "\"\"", "[]", "{}", " [ ] ", "\t{\"k\":{}}\r\n", "\"\\ud800\"",
        "\"\\u0000\"", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"日本語 🎉\"", "[[[[[[[[[[[[]]]]]]]]]]]]",
        "{\"a\":1,\"a\":2}"}) {
    BOOST_TEST_CONTEXT(text) {
      const auto err = pv::validate_json(text);
      BOOST_TEST(!err.has_value(), (err ? pv::to_string(*err) : std::string()));
    }
  }
}

BOOST_AUTO_TEST_CASE(validate_json_reports_offsets) {
  const std::pair<std::string_view, std::size_t> cases[] = {
      {"", 0},          {"   ", 3},           {"[01]", 2},        {"[1,]", 3},         {"{\"a\" 1}", 5},
      {"{a:1}", 1},     {"[1 2]", 3},         {"\"abc", 4},       {"\"a\tb\"", 2},     {"\"\\x\"", 1},
      {"\"\\u12g4\"", 1}, {"tru", 0},         {"[true false]", 6}, {"1.", 2},          {"-", 1},
      {"1e", 2},        {"{} {}", 3},         {"[", 1},           {"{\"a\":}", 5},     {"{,}", 1},
      {"\"\xc3\"", 1},  {"\"\xed\xa0\x80\"", 1}, {"\"\xc0\xaf\"", 1}, {"\"\xf4\x90\x80\x80\"", 1}, {"NaN", 0},
  };
  for (auto [text, offset] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const auto err = pv::validate_json(text);
      BOOST_REQUIRE(err.has_value());
      BOOST_TEST(err->offset == offset);
    }
  }
}

BOOST_AUTO_TEST_CASE(validate_json_survives_deep_nesting) {
  std::string deep(100000, '[');
  deep.append(100000, ']');
  BOOST_TEST(!pv::validate_json(deep).has_value());
  deep.pop_back();
  BOOST_TEST(pv::validate_json(deep).has_value());
}

BOOST_AUTO_TEST_CASE(json_string_escapes_quotes_backslashes_and_controls) {
  BOOST_TEST(json_string("plain") == "\"plain\"");
  BOOST_TEST(json_string("") == "\"\"");
  BOOST_TEST(json_string("q\"x") == "\"q\\\"x\"");
  BOOST_TEST(json_string("back\\slash") == "\"back\\\\slash\"");
  BOOST_TEST(json_string("new\nline\ttab\r\b\f") == "\"new\\nline\\ttab\\r\\b\\f\"");
  BOOST_TEST(json_string(std::string_view("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
  BOOST_TEST(json_string("ünï 日本 🎉 /") == "\"ünï 日本 🎉 /\"");
}

// Compares the block scanner with a byte-at-a-time reference at every alignment and length,
// so that a special byte in any lane of a 16-byte block is found.
BOOST_AUTO_TEST_CASE(json_string_escapes_every_byte_at_every_position) {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else out.push_back(static_cast<char>(c));
    }
    return out + "\"";
  };
  for (int byte = 0; byte < 256; ++byte) {
    for (std::size_t len = 1; len <= 40; ++len) {
      for (std::size_t pos = 0; pos < len; ++pos) {
        std::string s(len, 'a');
        s[pos] = static_cast<char>(byte);
        if (json_string(s) != reference(s)) {
          BOOST_FAIL("byte " << byte << " at " << pos << " of " << len);
        }
      }
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> any_byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<std::size_t>(round % 97), '\0');
    for (char& c : s) c = static_cast<char>(any_byte(rng) % 3 == 0 ? any_byte(rng) : 'a' + any_byte(rng) % 26);
    BOOST_REQUIRE_EQUAL(json_string(s), reference(s));
  }
}

// ---- arrays ------------------------------------------------------------------------------

namespace {

pv::array_element text_el(std::string s) { return {pv::array_element::kind::text, std::move(s), {}}; }
pv::array_element null_el() { return {}; }
pv::array_element sub(std::vector<pv::array_element> e) { return {pv::array_element::kind::array, {}, std::move(e)}; }

std::string array_json(std::string_view text, char delimiter = ',') {
  std::string out;
  pv::append_json_array(parsed(pv::parse_array(text, delimiter)), out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_array_unquotes_and_unescapes_elements) {
  // PG15: array['a b','q"x','back\slash','','NULL','null',' lead','tr ','a,b','{x}',E'new\nline','ünï','plain']
  const std::string_view text =
      "{\"a b\",\"q\\\"x\",\"back\\\\slash\",\"\",\"NULL\",\"null\",\" lead\",\"tr \",\"a,b\",\"{x}\",\"new\nline\",ünï,plain}";
  const pv::array_value a = parsed(pv::parse_array(text));
  const std::vector<pv::array_element> expected = {
      text_el("a b"), text_el("q\"x"),  text_el("back\\slash"), text_el(""),          text_el("NULL"),
      text_el("null"), text_el(" lead"), text_el("tr "),         text_el("a,b"),      text_el("{x}"),
      text_el("new\nline"), text_el("ünï"), text_el("plain")};
  BOOST_TEST(a.lower_bounds.empty());
  BOOST_REQUIRE_EQUAL(a.elements.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST_CONTEXT("element " << i) { BOOST_TEST((a.elements[i] == expected[i])); }
  }
}

BOOST_AUTO_TEST_CASE(parse_array_reads_null_elements) {
  // PG15: array[1,2,null] -> {1,2,NULL}; '{\N, NULL , "NULL", N\ULL}' -> {N,NULL,"NULL","NULL"}
  BOOST_TEST((parsed(pv::parse_array("{1,2,NULL}")).elements ==
              std::vector<pv::array_element>{text_el("1"), text_el("2"), null_el()}));
  BOOST_TEST((parsed(pv::parse_array("{\\N, NULL , \"NULL\", N\\ULL, null}")).elements ==
              std::vector<pv::array_element>{text_el("N"), null_el(), text_el("NULL"), text_el("NULL"), null_el()}));
}

BOOST_AUTO_TEST_CASE(parse_array_reads_nested_and_decorated_arrays) {
  // PG15: {{1,2},{3,4}} | [0:1]={7,8} | [0:1][1:2]={{1,2},{3,4}} | {} | {{NULL,x}} | {{{1}},{{2}}}
  BOOST_TEST((parsed(pv::parse_array("{{1,2},{3,4}}")).elements ==
              std::vector<pv::array_element>{sub({text_el("1"), text_el("2")}), sub({text_el("3"), text_el("4")})}));
  const pv::array_value decorated = parsed(pv::parse_array("[0:1]={7,8}"));
  BOOST_TEST(decorated.lower_bounds == std::vector<std::int32_t>{0});
  BOOST_TEST(decorated.elements.size() == 2u);
  BOOST_TEST(parsed(pv::parse_array("[0:1][1:2]={{1,2},{3,4}}")).lower_bounds == (std::vector<std::int32_t>{0, 1}));
  BOOST_TEST(parsed(pv::parse_array("[-2:-1]={a,b}")).lower_bounds == std::vector<std::int32_t>{-2});
  BOOST_TEST(parsed(pv::parse_array("[1:1]={1}")).lower_bounds.empty());
  BOOST_TEST(parsed(pv::parse_array("{}")).elements.empty());
  BOOST_TEST(array_json("{{NULL,x}}") == "[[null,\"x\"]]");
  BOOST_TEST(array_json("{{{1}},{{2}}}") == "[[[\"1\"]],[[\"2\"]]]");
  BOOST_TEST(array_json("{ {1} , {2} }") == "[[\"1\"],[\"2\"]]");
}

BOOST_AUTO_TEST_CASE(parse_array_keeps_escaped_and_inner_spaces) {
  // PG15: '{a b\ ,c}' -> {"a b ",c};  '{"a" , b c }' -> {a,"b c"}
  BOOST_TEST(array_json("{a b\\ ,c}") == "[\"a b \",\"c\"]");
  BOOST_TEST(array_json("{\"a\" , b c }") == "[\"a\",\"b c\"]");
  BOOST_TEST(array_json("{a\\\"b,\"c\\\\d\"}") == "[\"a\\\"b\",\"c\\\\d\"]");
}

BOOST_AUTO_TEST_CASE(parse_array_reads_arrays_of_quoted_values) {
  // PG15: array['2024-01-01 10:00+00'::timestamptz] | array['{"a":1}'::jsonb,'[1, "x"]'] | array['\x00ff'::bytea]
  BOOST_TEST((parsed(pv::parse_array("{\"2024-01-01 10:00:00+00\"}")).elements ==
              std::vector<pv::array_element>{text_el("2024-01-01 10:00:00+00")}));
  BOOST_TEST((parsed(pv::parse_array("{\"{\\\"a\\\": 1}\",\"[1, \\\"x\\\"]\"}")).elements ==
              std::vector<pv::array_element>{text_el("{\"a\": 1}"), text_el("[1, \"x\"]")}));
  BOOST_TEST((parsed(pv::parse_array("{\"\\\\x00ff\"}")).elements == std::vector<pv::array_element>{text_el("\\x00ff")}));
}

BOOST_AUTO_TEST_CASE(parse_array_uses_the_element_delimiter) {
  // PG15: array[box '((0,0),(1,1))', box '((2,2),(3,3))'] -> {(1,1),(0,0);(3,3),(2,2)}
  const pv::array_value boxes = parsed(pv::parse_array("{(1,1),(0,0);(3,3),(2,2)}", ';'));
  BOOST_TEST((boxes.elements == std::vector<pv::array_element>{text_el("(1,1),(0,0)"), text_el("(3,3),(2,2)")}));
}

BOOST_AUTO_TEST_CASE(parse_array_reports_offsets) {
  const std::pair<std::string_view, std::size_t> cases[] = {
      {"", 0},                 // no '{'
      {"{1,,2}", 3},           // PG15: malformed array literal
      {"{1,2", 4},             // unexpected end
      {"{\"a\"b}", 4},         // PG15: malformed
      {"{a\"b\"}", 2},         // PG15: malformed
      {"{a{b}", 2},            // PG15: malformed
      {"{{},{}}", 1},          // PG15: malformed (empty sub-array)
      {"{{1},{}}", 5},
      {"{{1,2},{3}}", 9},      // different sizes
      {"{{1},2}", 5},          // element where a sub-array was expected
      {"{1,{2}}", 3},          // sub-array where an element was expected
      {"{{{{{{{1}}}}}}}", 6},  // PG15: more than 6 dimensions
      {"{1} x", 4},
      {"{\"abc}", 1},
      {"[0:2]={7,8}", 6},      // decoration says 3 elements
      {"[0:1][1:2]={7,8}", 11},
      {"[0:1{7,8}", 4},
      {"[0:1]{7,8}", 5},
      {"[2:0]={}", 0},
  };
  for (auto [text, offset] : cases) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(error_offset(pv::parse_array(text)) == offset); }
  }
}

BOOST_AUTO_TEST_CASE(append_json_array_renders_elements_through_the_renderer) {
  const pv::array_value a = parsed(pv::parse_array("{{1,NULL},{3,4}}"));
  std::string out;
  pv::append_json_array(a, out, [](std::string_view text, std::string& o) { o.append(text); });
  BOOST_TEST(out == "[[1,null],[3,4]]");
  out.clear();
  pv::append_json_array(parsed(pv::parse_array("{t,f,NULL}")), out, [](std::string_view text, std::string& o) {
    o.append(text == "t" ? "true" : "false");
  });
  BOOST_TEST(out == "[true,false,null]");
  BOOST_TEST(array_json("{}") == "[]");
  BOOST_TEST(array_json("{\"new\nline\",\"q\\\"x\",\"b\\\\s\"}") == "[\"new\\nline\",\"q\\\"x\",\"b\\\\s\"]");
}

// ---- hstore ------------------------------------------------------------------------------

namespace {

std::string hstore_json(std::string_view text) {
  std::string out;
  pv::append_json_object(parsed(pv::parse_hstore(text)), out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_hstore_reads_hstore_out) {
  // PG15 hstore_out texts
  BOOST_TEST(hstore_json("\"a\"=>\"1\", \"b\"=>NULL") == "{\"a\":\"1\",\"b\":null}");
  BOOST_TEST(hstore_json("\"a\"=>\"1\", \"b\"=>\"2\", \"e\"=>\"\\\\\", \"c d\"=>\"x\\\"y\"") ==
             "{\"a\":\"1\",\"b\":\"2\",\"e\":\"\\\\\",\"c d\":\"x\\\"y\"}");
  BOOST_TEST(hstore_json("") == "{}");
  BOOST_TEST(hstore_json("\"k\"=>\"\"") == "{\"k\":\"\"}");
  BOOST_TEST(hstore_json("\"n\"=>NULL, \"NULL\"=>\"NULL\"") == "{\"n\":null,\"NULL\":\"NULL\"}");
  const auto pairs = parsed(pv::parse_hstore("\"ünï\"=>\"new\nline\""));
  BOOST_REQUIRE_EQUAL(pairs.size(), 1u);
  BOOST_TEST(pairs[0].key == "ünï");
  BOOST_TEST(*pairs[0].value == "new\nline");
}

BOOST_AUTO_TEST_CASE(parse_hstore_reads_unquoted_input_forms) {
  BOOST_TEST(hstore_json("a=>1,b=>2, \"c d\"=>\"x\\\"y\", e=>\"\\\\\"") ==
             "{\"a\":\"1\",\"b\":\"2\",\"c d\":\"x\\\"y\",\"e\":\"\\\\\"}");
  BOOST_TEST(hstore_json("a => null") == "{\"a\":null}");
  BOOST_TEST(hstore_json("a=>\"NULL\"") == "{\"a\":\"NULL\"}");
}

BOOST_AUTO_TEST_CASE(parse_hstore_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_hstore("\"a\"")) == 3u);
  BOOST_TEST(error_offset(pv::parse_hstore("\"a\"=>")) == 5u);
  BOOST_TEST(error_offset(pv::parse_hstore("\"a\"=>\"1")) == 5u);
  BOOST_TEST(error_offset(pv::parse_hstore("\"a\"=>\"1\" \"b\"=>\"2\"")) == 9u);
  BOOST_TEST(error_offset(pv::parse_hstore("\"a\"=>\"1\",")) == 9u);
  BOOST_TEST(error_offset(pv::parse_hstore("\"a\"->\"1\"")) == 3u);
}

namespace {

using record_fields = std::vector<std::string>;

// The fields of a record, NULL shown as "<NULL>".
record_fields record(std::string_view text) {
  record_fields out;
  for (const auto& field : parsed(pv::parse_record(text))) out.push_back(field ? *field : "<NULL>");
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_record_reads_record_out) {
  // PG15: row(1, 'a b', null, '{1,NULL,3}', row('q"x\y', null)::inner_t, '')::rec
  BOOST_TEST(record(R"r((1,"a b",,"{1,NULL,3}","(""q""""x\\\\y"",)",""))r") ==
                 (record_fields{"1", "a b", "<NULL>", "{1,NULL,3}", R"r(("q""x\\y",))r", ""}),
             boost::test_tools::per_element());
  BOOST_TEST(record(R"r(("q""x\\y",))r") == (record_fields{R"r(q"x\y)r", "<NULL>"}),
             boost::test_tools::per_element());
  // PG15: row(1, '(x)', 'a,b', '{}', null, ' ')::rec and an all-NULL row
  BOOST_TEST(record(R"r((1,"(x)","a,b",{},," "))r") ==
                 (record_fields{"1", "(x)", "a,b", "{}", "<NULL>", " "}),
             boost::test_tools::per_element());
  BOOST_TEST(record("(,,,,,)") == record_fields(6, "<NULL>"), boost::test_tools::per_element());
  BOOST_TEST(record("()") == record_fields{"<NULL>"}, boost::test_tools::per_element());
  BOOST_TEST(record("(ünï,\"new\nline\")") == (record_fields{"ünï", "new\nline"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(parse_record_reads_record_in_forms) {
  // Quotes may open and close inside a field; a backslash takes the next byte anywhere.
  BOOST_TEST(record(R"r( (a"b c"d,\,x,\") )r") == (record_fields{"ab cd", ",x", "\""}),
             boost::test_tools::per_element());
  BOOST_TEST(record(R"r((\\,""))r") == (record_fields{"\\", ""}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(parse_record_reports_offsets) {
  BOOST_TEST(error_offset(pv::parse_record("")) == 0u);
  BOOST_TEST(error_offset(pv::parse_record("1,2)")) == 0u);
  BOOST_TEST(error_offset(pv::parse_record("(1,2")) == 4u);
  BOOST_TEST(error_offset(pv::parse_record("(1,\"2)")) == 6u);
  BOOST_TEST(error_offset(pv::parse_record("(1\\")) == 3u);
  BOOST_TEST(error_offset(pv::parse_record("(1,2) x")) == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
