// Dates, times, timestamps and intervals as PostgreSQL writes them with DateStyle ISO and
// IntervalStyle postgres.
#include "codecs/values/pg_values.hpp"

#include <charconv>

namespace pg2sr::codecs::pg_values {
namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_minute = 60 * micros_per_second;
constexpr std::int64_t micros_per_hour = 60 * micros_per_minute;
constexpr std::int64_t micros_per_day = 24 * micros_per_hour;

// PostgreSQL's ranges, in days since 1970: Julian day 0 (4714-11-24 BC) is the first day of
// both; a date ends before Julian day 2147483494 (5874898-01-01).
constexpr std::int64_t unix_epoch_julian_day = 2440588;
constexpr std::int64_t first_day = -unix_epoch_julian_day;
constexpr std::int64_t date_end_day = 2147483494 - unix_epoch_julian_day;
constexpr std::int64_t first_timestamp = first_day * micros_per_day;
// timestamp_infinity marks +infinity, so the last finite value is one below it.
constexpr std::int64_t last_timestamp = timestamp_infinity - 1;

constexpr std::int32_t max_offset_hours = 15;  // TZDISP_LIMIT: offsets stay within 15:59:59

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, year 0 = 1 BC).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
  std::int64_t year;  // astronomical: 0 is 1 BC
  unsigned month;
  unsigned day;
};

civil_date civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Reads exactly `count` digits at `i`.
bool read_fixed(std::string_view text, std::size_t& i, int count, std::int64_t& out) {
  if (i + static_cast<std::size_t>(count) > text.size()) return false;
  std::int64_t v = 0;
  for (int k = 0; k < count; ++k) {
    const char c = text[i + static_cast<std::size_t>(k)];
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  i += static_cast<std::size_t>(count);
  out = v;
  return true;
}

bool expect(std::string_view text, std::size_t& i, char c) {
  if (i < text.size() && text[i] == c) {
    ++i;
    return true;
  }
  return false;
}

// "YYYY-MM-DD" (four or more year digits) -> the year as written, month and day.
std::optional<parse_error> read_ymd(std::string_view text, std::size_t& i, civil_date& date) {
  const std::size_t start = i;
  std::int64_t year = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (i - start == 9) return parse_error{i, "year has too many digits"};
    year = year * 10 + (text[i++] - '0');
  }
  if (i - start < 4) return parse_error{i, "expected a four-digit year"};
  if (!expect(text, i, '-')) return parse_error{i, "expected '-' after the year"};
  std::int64_t month = 0;
  std::int64_t day = 0;
  if (!read_fixed(text, i, 2, month)) return parse_error{i, "expected a two-digit month"};
  if (month < 1 || month > 12) return parse_error{i - 2, "month out of range"};
  if (!expect(text, i, '-')) return parse_error{i, "expected '-' after the month"};
  if (!read_fixed(text, i, 2, day)) return parse_error{i, "expected a two-digit day"};
  if (year == 0) return parse_error{start, "year 0 does not exist"};
  date = {year, static_cast<unsigned>(month), static_cast<unsigned>(day)};
  return std::nullopt;
}

// " BC" at `i` turns the year as written into an astronomical one and checks the day.
std::optional<parse_error> finish_date(std::string_view text, std::size_t& i, civil_date& date,
                                       std::size_t day_offset) {
  if (text.substr(i).starts_with(" BC")) {
    date.year = 1 - date.year;
    i += 3;
  }
  if (date.day < 1 || date.day > days_in_month(date.year, date.month)) {
    return parse_error{day_offset, "day out of range for the month"};
  }
  return std::nullopt;
}

// "HH:MM:SS[.ffffff]" -> microseconds since midnight; 24:00:00 is allowed as in PostgreSQL.
std::optional<parse_error> read_time(std::string_view text, std::size_t& i, std::int64_t& micros) {
  const std::size_t start = i;
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t s = 0;
  if (!read_fixed(text, i, 2, h)) return parse_error{i, "expected two-digit hours"};
  if (!expect(text, i, ':')) return parse_error{i, "expected ':' after the hours"};
  if (!read_fixed(text, i, 2, m)) return parse_error{i, "expected two-digit minutes"};
  if (m > 59) return parse_error{i - 2, "minutes out of range"};
  if (!expect(text, i, ':')) return parse_error{i, "expected ':' after the minutes"};
  if (!read_fixed(text, i, 2, s)) return parse_error{i, "expected two-digit seconds"};
  if (s > 59) return parse_error{i - 2, "seconds out of range"};
  std::int64_t fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (digits == 6) return parse_error{i, "more than 6 fraction digits"};
      fraction = fraction * 10 + (text[i++] - '0');
      ++digits;
    }
    if (digits == 0) return parse_error{i, "expected a digit after '.'"};
    for (; digits < 6; ++digits) fraction *= 10;
  }
  micros = h * micros_per_hour + m * micros_per_minute + s * micros_per_second + fraction;
  if (micros > micros_per_day) return parse_error{start, "time out of range"};
  return std::nullopt;
}

// "+HH", "+HH:MM", "+HH:MM:SS" -> seconds east of UTC.
std::optional<parse_error> read_offset(std::string_view text, std::size_t& i, std::int32_t& seconds) {
  if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return parse_error{i, "expected a UTC offset"};
  const bool negative = text[i++] == '-';
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t s = 0;
  if (!read_fixed(text, i, 2, h)) return parse_error{i, "expected two-digit offset hours"};
  if (h > max_offset_hours) return parse_error{i - 2, "UTC offset out of range"};
  if (expect(text, i, ':')) {
    if (!read_fixed(text, i, 2, m)) return parse_error{i, "expected two-digit offset minutes"};
    if (m > 59) return parse_error{i - 2, "offset minutes out of range"};
    if (expect(text, i, ':')) {
      if (!read_fixed(text, i, 2, s)) return parse_error{i, "expected two-digit offset seconds"};
      if (s > 59) return parse_error{i - 2, "offset seconds out of range"};
    }
  }
  const auto total = static_cast<std::int32_t>(h * 3600 + m * 60 + s);
  seconds = negative ? -total : total;
  return std::nullopt;
}

// "infinity" -> +1, "-infinity" -> -1, anything else 0.
int infinity_sign(std::string_view text) {
  if (text == "infinity") return 1;
  if (text == "-infinity") return -1;
  return 0;
}

parse_result<std::int64_t> parse_timestamp_impl(std::string_view text, bool with_zone) {
  if (const int inf = infinity_sign(text)) return inf < 0 ? timestamp_negative_infinity : timestamp_infinity;
  if (text.empty()) return parse_error{0, "empty input"};
  std::size_t i = 0;
  civil_date date{};
  if (auto err = read_ymd(text, i, date)) return *err;
  const std::size_t day_offset = i - 2;
  if (!expect(text, i, ' ')) return parse_error{i, "expected ' ' between date and time"};
  std::int64_t time_micros = 0;
  if (auto err = read_time(text, i, time_micros)) return *err;
  std::int32_t offset = 0;
  if (with_zone) {
    if (auto err = read_offset(text, i, offset)) return *err;
  }
  if (auto err = finish_date(text, i, date, day_offset)) return *err;
  if (i != text.size()) return parse_error{i, "unexpected character after the timestamp"};
  // Any year that passed read_ymd keeps days * micros_per_day + ... far inside __int128.
  const __int128 micros = static_cast<__int128>(days_from_civil(date.year, date.month, date.day)) * micros_per_day +
                          time_micros - static_cast<__int128>(offset) * micros_per_second;
  if (micros < first_timestamp || micros > last_timestamp) return parse_error{0, "timestamp out of range"};
  return static_cast<std::int64_t>(micros);
}

// Non-negative `v` with leading zeros to `width` digits.
void append_padded(std::int64_t v, int width, std::string& out) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  const auto n = static_cast<int>(end - buf);
  if (n < width) out.append(static_cast<std::size_t>(width - n), '0');
  out.append(buf, end);
}

// "YYYY-MM-DD"; returns whether the year is BC, for the caller to append " BC" last.
bool append_ymd(std::int64_t days, std::string& out) {
  const civil_date d = civil_from_days(days);
  const bool bc = d.year <= 0;
  append_padded(bc ? 1 - d.year : d.year, 4, out);
  out.push_back('-');
  append_padded(d.month, 2, out);
  out.push_back('-');
  append_padded(d.day, 2, out);
  return bc;
}

}  // namespace

std::int64_t time_tz::utc_micros() const {
  const std::int64_t utc = micros - static_cast<std::int64_t>(offset_seconds) * micros_per_second;
  return ((utc % micros_per_day) + micros_per_day) % micros_per_day;
}

parse_result<std::int32_t> parse_date(std::string_view text) {
  if (const int inf = infinity_sign(text)) return inf < 0 ? date_negative_infinity : date_infinity;
  if (text.empty()) return parse_error{0, "empty input"};
  std::size_t i = 0;
  civil_date date{};
  if (auto err = read_ymd(text, i, date)) return *err;
  if (auto err = finish_date(text, i, date, i - 2)) return *err;
  if (i != text.size()) return parse_error{i, "unexpected character after the date"};
  const std::int64_t days = days_from_civil(date.year, date.month, date.day);
  if (days < first_day || days >= date_end_day) return parse_error{0, "date out of range"};
  return static_cast<std::int32_t>(days);
}

parse_result<std::int64_t> parse_time(std::string_view text) {
  if (text.empty()) return parse_error{0, "empty input"};
  std::size_t i = 0;
  std::int64_t micros = 0;
  if (auto err = read_time(text, i, micros)) return *err;
  if (i != text.size()) return parse_error{i, "unexpected character after the time"};
  return micros;
}

parse_result<time_tz> parse_timetz(std::string_view text) {
  if (text.empty()) return parse_error{0, "empty input"};
  std::size_t i = 0;
  time_tz t;
  if (auto err = read_time(text, i, t.micros)) return *err;
  if (auto err = read_offset(text, i, t.offset_seconds)) return *err;
  if (i != text.size()) return parse_error{i, "unexpected character after the time"};
  return t;
}

parse_result<std::int64_t> parse_timestamp(std::string_view text) { return parse_timestamp_impl(text, false); }

parse_result<std::int64_t> parse_timestamptz(std::string_view text) { return parse_timestamp_impl(text, true); }

// ---- interval --------------------------------------------------------------------------

// Fields "[+-]N year(s)|mon(s)|day(s)" and one "[+-]H:MM:SS[.ffffff]", space separated;
// interval_out writes each at most once, in that order.
parse_result<interval> parse_interval(std::string_view text) {
  constexpr auto i32_max = std::numeric_limits<std::int32_t>::max();
  constexpr auto i32_min = std::numeric_limits<std::int32_t>::min();
  if (text == "infinity") return interval{i32_max, i32_max, timestamp_infinity};
  if (text == "-infinity") return interval{i32_min, i32_min, timestamp_negative_infinity};
  if (text.empty()) return parse_error{0, "empty input"};

  std::int64_t months = 0;
  std::int64_t days = 0;
  std::int64_t micros = 0;
  int seen = 0;  // bit per field: 1 years, 2 months, 4 days, 8 time
  std::size_t i = 0;
  while (true) {
    const std::size_t field_start = i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    const std::size_t number_start = i;
    std::uint64_t number = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (i - number_start == 18) return parse_error{number_start, "interval field out of range"};
      number = number * 10 + static_cast<std::uint64_t>(text[i++] - '0');
    }
    if (i == number_start) return parse_error{i, "expected a digit"};

    if (i < text.size() && text[i] == ':') {
      // The time part: hours may be many digits (2562047788:00:54.775807 is the maximum).
      if (seen & 8) return parse_error{field_start, "time given twice"};
      seen |= 8;
      ++i;
      std::int64_t m = 0;
      std::int64_t s = 0;
      if (!read_fixed(text, i, 2, m)) return parse_error{i, "expected two-digit minutes"};
      if (m > 59) return parse_error{i - 2, "minutes out of range"};
      if (!expect(text, i, ':')) return parse_error{i, "expected ':' after the minutes"};
      if (!read_fixed(text, i, 2, s)) return parse_error{i, "expected two-digit seconds"};
      if (s > 59) return parse_error{i - 2, "seconds out of range"};
      std::uint64_t fraction = 0;
      if (expect(text, i, '.')) {
        int digits = 0;
        while (i < text.size() && is_digit(text[i])) {
          if (digits == 6) return parse_error{i, "more than 6 fraction digits"};
          fraction = fraction * 10 + static_cast<std::uint64_t>(text[i++] - '0');
          ++digits;
        }
        if (digits == 0) return parse_error{i, "expected a digit after '.'"};
        for (; digits < 6; ++digits) fraction *= 10;
      }
      const unsigned __int128 magnitude = static_cast<unsigned __int128>(number) * micros_per_hour +
                                          static_cast<unsigned __int128>(m * micros_per_minute + s * micros_per_second) +
                                          fraction;
      const unsigned __int128 limit = static_cast<unsigned __int128>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
      if (magnitude > limit) return parse_error{field_start, "interval time out of range"};
      micros = negative ? static_cast<std::int64_t>(-static_cast<__int128>(magnitude)) : static_cast<std::int64_t>(magnitude);
    } else {
      if (!expect(text, i, ' ')) return parse_error{i, "expected ' ' before the unit"};
      const std::size_t unit_start = i;
      while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
      const std::string_view unit = text.substr(unit_start, i - unit_start);
      if (number > static_cast<std::uint64_t>(i32_max) + 1) return parse_error{number_start, "interval field out of range"};
      const auto value = negative ? -static_cast<std::int64_t>(number) : static_cast<std::int64_t>(number);
      int bit = 0;
      if (unit == "year" || unit == "years") {
        bit = 1;
        months += value * 12;
      } else if (unit == "mon" || unit == "mons") {
        bit = 2;
        months += value;
      } else if (unit == "day" || unit == "days") {
        bit = 4;
        days = value;
      } else {
        return parse_error{unit_start, "expected year(s), mon(s) or day(s)"};
      }
      if (seen & bit) return parse_error{unit_start, "unit given twice"};
      seen |= bit;
      if (months < i32_min || months > i32_max) return parse_error{field_start, "interval months out of range"};
      if (days < i32_min || days > i32_max) return parse_error{field_start, "interval days out of range"};
    }
    if (i == text.size()) break;
    if (!expect(text, i, ' ')) return parse_error{i, "expected ' ' between interval fields"};
  }
  return interval{static_cast<std::int32_t>(months), static_cast<std::int32_t>(days), micros};
}

// ---- rendering -------------------------------------------------------------------------

void append_date(std::int32_t days, std::string& out) {
  if (days == date_infinity) return out.append("infinity"), void();
  if (days == date_negative_infinity) return out.append("-infinity"), void();
  if (append_ymd(days, out)) out.append(" BC");
}

void append_time(std::int64_t micros, std::string& out) {
  append_padded(micros / micros_per_hour, 2, out);
  out.push_back(':');
  append_padded(micros / micros_per_minute % 60, 2, out);
  out.push_back(':');
  append_padded(micros / micros_per_second % 60, 2, out);
  std::int64_t fraction = micros % micros_per_second;
  if (fraction != 0) {
    int width = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --width;
    }
    out.push_back('.');
    append_padded(fraction, width, out);
  }
}

void append_timestamp(std::int64_t micros, std::string& out) {
  if (micros == timestamp_infinity) return out.append("infinity"), void();
  if (micros == timestamp_negative_infinity) return out.append("-infinity"), void();
  const std::int64_t days = floor_div(micros, micros_per_day);
  const bool bc = append_ymd(days, out);
  out.push_back(' ');
  append_time(micros - days * micros_per_day, out);
  if (bc) out.append(" BC");
}

std::string format_timestamp(std::int64_t micros) {
  std::string out;
  append_timestamp(micros, out);
  return out;
}

}  // namespace pg2sr::codecs::pg_values
