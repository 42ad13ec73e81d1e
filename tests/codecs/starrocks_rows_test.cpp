// Tests for codecs/starrocks/starrocks_rows: Stream Load bodies in JSON (read back with nlohmann::json)
// and CSV (read back as StarRocks reads a body sent with `escape: ^`). Value texts marked
// "PG15" were printed by a PostgreSQL 15.18 server (DateStyle ISO, TimeZone UTC unless said).
#include "codecs/starrocks/starrocks_rows.hpp"

#include "codecs/values/pg_values.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <limits>
#include <random>
#include <optional>
#include <string>
#include <vector>

namespace sr = pg2sr::codecs::starrocks;
namespace pg = pg2sr::codecs::pgoutput;
namespace pv = pg2sr::codecs::pg_values;
using json = nlohmann::json;

namespace {

sr::column_mapping mapping(sr::value_form form, std::string type) {
  sr::column_mapping m;
  m.form = form;
  m.starrocks_type = std::move(type);
  return m;
}

sr::column_mapping array_of(sr::column_mapping element) {
  sr::column_mapping m = mapping(sr::value_form::array, "ARRAY<" + element.starrocks_type + ">");
  m.element = std::make_shared<const sr::column_mapping>(std::move(element));
  return m;
}

const sr::column_mapping text_m = mapping(sr::value_form::string, "VARCHAR(1048576)");
const sr::column_mapping bigint_m = mapping(sr::value_form::integer, "BIGINT");

sr::table_encoding table(std::vector<std::pair<std::string, sr::column_mapping>> columns) {
  sr::table_encoding t;
  for (auto& [name, m] : columns) {
    t.names.push_back(name);
    t.columns.push_back(std::move(m));
  }
  return t;
}

std::vector<std::size_t> all_columns(const sr::table_encoding& t) {
  std::vector<std::size_t> out(t.columns.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

/// One value as pgoutput hands it over.
struct cell {
  pg::value_kind kind = pg::value_kind::null;
  std::string text;
  cell(const char* t) : kind(pg::value_kind::text), text(t) {}
  cell(std::string t) : kind(pg::value_kind::text), text(std::move(t)) {}
  cell(std::nullopt_t) {}
  cell(pg::value_kind k, std::string t) : kind(k), text(std::move(t)) {}
};

const cell toast{pg::value_kind::unchanged_toast, ""};

/// Rows whose column_values view strings it owns.
class rows {
 public:
  rows& add(std::vector<cell> cells, bool is_delete = false) {
    auto& values = values_.emplace_back();
    for (cell& c : cells) values.push_back({c.kind, text_.emplace_back(std::move(c.text))});
    rows_.push_back({values.data(), static_cast<std::uint32_t>(values.size()), is_delete});
    return *this;
  }
  std::span<const sr::encoded_row> span() const { return rows_; }

 private:
  std::deque<std::string> text_;
  std::deque<std::vector<pg::column_value>> values_;
  std::vector<sr::encoded_row> rows_;
};

// The JSON body of `r`; fails the test unless it encodes and parses as JSON.
std::string json_body(const sr::table_encoding& t, const rows& r, std::vector<std::size_t> columns = {},
                      bool with_op = true) {
  if (columns.empty()) columns = all_columns(t);
  std::string out;
  auto err = sr::append_json_rows(t, columns, r.span(), with_op, out);
  BOOST_REQUIRE_MESSAGE(!err, "unexpected encode error: " << (err ? err->message : std::string()));
  BOOST_REQUIRE_MESSAGE(json::accept(out), "not JSON: " << out);
  return out;
}

// The single row of a one-row JSON body, as a JSON object.
json json_row(const sr::table_encoding& t, const rows& r) {
  const json doc = json::parse(json_body(t, r));
  BOOST_REQUIRE(doc.is_array() && doc.size() == 1);
  return doc[0];
}

std::string csv_body(const sr::table_encoding& t, const rows& r, char separator = '\t', bool with_op = true) {
  std::string out;
  auto err = sr::append_csv_rows(t, all_columns(t), r.span(), with_op, out, separator);
  BOOST_REQUIRE_MESSAGE(!err, "unexpected encode error: " << (err ? err->message : std::string()));
  return out;
}

using csv_row = std::vector<std::optional<std::string>>;

// StarRocks' reading of a CSV body sent with `escape: ^` (be/src/formats/csv/csv_reader.cpp,
// the parser used once escape or enclose is set): the escape byte is dropped and the byte
// after it is data, separators and '\n' included; a field is NULL when what is left of it
// is \N (nullable_converter.cpp compares after unescaping).
std::vector<csv_row> read_csv(std::string_view body, char separator) {
  std::vector<csv_row> out;
  csv_row row;
  std::string field;
  auto end_field = [&] {
    row.push_back(field == "\\N" ? std::nullopt : std::optional<std::string>(field));
    field.clear();
  };
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == sr::csv_escape) {
      BOOST_REQUIRE(i + 1 < body.size());
      field.push_back(body[++i]);
    } else if (c == separator) {
      end_field();
    } else if (c == '\n') {
      end_field();
      out.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
    }
  }
  BOOST_TEST((row.empty() && field.empty()), "the body ends with a row delimiter");
  return out;
}

// One encode error (the test fails when the rows encode).
sr::encode_error json_error(const sr::table_encoding& t, const rows& r) {
  std::string out = "kept";
  auto err = sr::append_json_rows(t, all_columns(t), r.span(), true, out);
  BOOST_REQUIRE_MESSAGE(err, "expected an encode error, got " << out);
  BOOST_TEST(out == "kept");
  return *err;
}

sr::encode_error csv_error(const sr::table_encoding& t, const rows& r, char separator = '\t') {
  std::string out = "kept";
  auto err = sr::append_csv_rows(t, all_columns(t), r.span(), true, out, separator);
  BOOST_REQUIRE_MESSAGE(err, "expected an encode error, got " << out);
  BOOST_TEST(out == "kept");
  return *err;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// What an error says after "column <name>[, value "<value>"[...]]: ".
std::string reason(const sr::encode_error& err) {
  std::string_view m = err.message;
  const std::string prefix = "column " + err.column;
  BOOST_REQUIRE(m.starts_with(prefix));
  m.remove_prefix(prefix.size());
  if (m.starts_with(", value \"")) {
    std::size_t i = 9;
    while (i < m.size() && m[i] != '"') i += m[i] == '\\' ? 2 : 1;
    m.remove_prefix(i + 1);
    if (m.starts_with("...")) m.remove_prefix(3);
  }
  BOOST_REQUIRE(m.starts_with(": "));
  return std::string(m.substr(2));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(starrocks_rows)

// ---- JSON ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(json_rows_are_one_array_of_objects_with_op) {
  const auto t = table({{"id", bigint_m}, {"name", text_m}});
  rows r;
  r.add({"1", "a"}).add({"2", std::nullopt}, true).add({"3", ""});
  BOOST_TEST(json_body(t, r) ==
             R"([{"id":1,"name":"a","__op":0},{"id":2,"name":null,"__op":1},{"id":3,"name":"","__op":0}])");
  BOOST_TEST(json_body(t, rows()) == "[]");
}

BOOST_AUTO_TEST_CASE(json_rows_write_only_the_chosen_columns_in_their_order) {
  const auto t = table({{"id", bigint_m}, {"big", text_m}, {"note", text_m}});
  rows r;
  r.add({"7", toast, "n"});
  BOOST_TEST(json_body(t, r, {2, 0}) == R"([{"note":"n","id":7,"__op":0}])");
}

BOOST_AUTO_TEST_CASE(json_rows_append_to_what_out_holds) {
  const auto t = table({{"id", bigint_m}});
  rows r;
  r.add({"1"});
  std::string out = "prefix";
  BOOST_REQUIRE(!sr::append_json_rows(t, all_columns(t), r.span(), true, out));
  BOOST_TEST(out == R"(prefix[{"id":1,"__op":0}])");
}

BOOST_AUTO_TEST_CASE(json_strings_keep_every_character) {
  const auto t = table({{"s", text_m}, {"key \"q\"", text_m}});
  const std::vector<std::string> texts = {
      "tab\there", "new\nline\r\n", R"(back\slash \N)", R"(quote " ')", "ünïcødé ✓ 𝄞", std::string("\x01\x1f", 2),
      "", "^caret^", "{\"looks\": \"like json\"}"};
  for (const std::string& text : texts) {
    rows r;
    r.add({text, "k"});
    const json row = json_row(t, r);
    BOOST_TEST(row["s"].get<std::string>() == text);
    BOOST_TEST(row["key \"q\""].get<std::string>() == "k");
  }
}

BOOST_AUTO_TEST_CASE(json_integers_are_bare_numbers) {
  const auto t = table({{"i", bigint_m}});
  rows r;
  r.add({"9223372036854775807"}).add({"-9223372036854775808"}).add({"0"}).add({"-1"});
  const json doc = json::parse(json_body(t, r));
  BOOST_TEST(doc[0]["i"].get<std::int64_t>() == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(doc[1]["i"].get<std::int64_t>() == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(doc[2]["i"].get<std::int64_t>() == 0);
  BOOST_TEST(doc[3]["i"].get<std::int64_t>() == -1);
  for (const char* bad : {"1.5", "", "-", "007", "1e3", "12a"}) {
    rows b;
    b.add({bad});
    const auto err = json_error(t, b);
    BOOST_TEST(err.column == "i");
    BOOST_TEST(reason(err) == "not an integer");
  }
}

// Quoted: a JSON number may be read as a double; the text keeps every digit.
BOOST_AUTO_TEST_CASE(json_decimals_are_exact_quoted_texts) {
  const auto t = table({{"d", mapping(sr::value_form::decimal, "DECIMAL(38,0)")},
                        {"m", mapping(sr::value_form::decimal, "DECIMAL(10,2)")}});
  rows r;
  r.add({"12345678901234567890123456789012345678", "-12345678.50"}).add({"-99999999999999999999999999999999999999", "0.05"});
  BOOST_TEST(json_body(t, r) == R"([{"d":"12345678901234567890123456789012345678","m":"-12345678.50","__op":0},)"
                                R"({"d":"-99999999999999999999999999999999999999","m":"0.05","__op":0}])");
}

BOOST_AUTO_TEST_CASE(json_decimals_round_to_the_scale_and_refuse_what_does_not_fit) {
  // numeric without precision as DECIMAL(38,9): more fraction digits round half away from zero.
  const auto t = table({{"d", mapping(sr::value_form::decimal, "DECIMAL(38,9)")}});
  rows r;
  r.add({"1.0000000005"}).add({"-2.12345678949"}).add({"1.5e3"}).add({"00012.5"});
  BOOST_TEST(json_body(t, r) == R"([{"d":"1.000000001","__op":0},{"d":"-2.123456789","__op":0},)"
                                R"({"d":"1500","__op":0},{"d":"12.5","__op":0}])");
  rows big;
  big.add({"123456789012345678901234567890"});  // 30 integer digits, 29 fit
  const auto err = json_error(t, big);
  BOOST_TEST(err.message.starts_with("column d, value \"123456789012345678901234567890\": too large for DECIMAL(38,9), "
                                     "which holds 29 integer digits"));
  rows rounds_up;
  rounds_up.add({"99999999999999999999999999999.9999999999"});
  BOOST_TEST(contains(reason(json_error(t, rounds_up)), "too large"));
  rows bad;
  bad.add({"12,5"});
  BOOST_TEST(contains(reason(json_error(t, bad)), "not a numeric value"));
}

BOOST_AUTO_TEST_CASE(decimal_nan_and_infinity_fail_or_load_null) {
  const auto t = table({{"price", mapping(sr::value_form::decimal, "DECIMAL(10,2)")}});
  for (const char* special : {"NaN", "Infinity", "-Infinity"}) {
    rows r;
    r.add({special});
    const auto err = json_error(t, r);
    BOOST_TEST(err.row == 0u);
    BOOST_TEST(err.message == "column price, value \"" + std::string(special) + "\": " + special +
                                         " cannot be loaded into DECIMAL(10,2); set sink.numeric_nan = \"null\" to "
                                         "load NULL");
    BOOST_TEST(reason(csv_error(t, r)) == reason(err));
  }
  auto nullable = t;
  nullable.columns[0].nan_to_null = true;
  rows r;
  r.add({"NaN"}).add({"-Infinity"}).add({"1.25"});
  BOOST_TEST(json_body(nullable, r) == R"([{"price":null,"__op":0},{"price":null,"__op":0},{"price":"1.25","__op":0}])");
  const auto back = read_csv(csv_body(nullable, r), '\t');
  BOOST_TEST(!back[0][0].has_value());
  BOOST_TEST(!back[1][0].has_value());
  BOOST_TEST(*back[2][0] == "1.25");
}

BOOST_AUTO_TEST_CASE(json_floats_are_numbers_and_specials_quoted) {
  const auto t = table({{"f", mapping(sr::value_form::floating, "DOUBLE")}});
  rows r;
  // PG15 float8 output
  r.add({"1e+100"}).add({"-0"}).add({"1.5e-07"}).add({"NaN"}).add({"Infinity"}).add({"-Infinity"}).add({"3.14"});
  BOOST_TEST(json_body(t, r) == R"([{"f":1e+100,"__op":0},{"f":-0,"__op":0},{"f":1.5e-07,"__op":0},)"
                                R"({"f":"NaN","__op":0},{"f":"Infinity","__op":0},{"f":"-Infinity","__op":0},)"
                                R"({"f":3.14,"__op":0}])");
  const auto back = read_csv(csv_body(t, r), '\t');
  BOOST_TEST(*back[3][0] == "NaN");
  BOOST_TEST(*back[5][0] == "-Infinity");
  for (const char* bad : {"nan", "1.", ".5", "1e", "0x10", "inf"}) {
    rows b;
    b.add({bad});
    BOOST_TEST(reason(json_error(t, b)) == "not a floating-point value");
  }
}

BOOST_AUTO_TEST_CASE(booleans_are_true_false_in_json_and_1_0_in_csv) {
  const auto t = table({{"b", mapping(sr::value_form::boolean, "BOOLEAN")}});
  rows r;
  r.add({"t"}).add({"f"}).add({"true"}).add({std::nullopt});
  BOOST_TEST(json_body(t, r) ==
             R"([{"b":true,"__op":0},{"b":false,"__op":0},{"b":true,"__op":0},{"b":null,"__op":0}])");
  BOOST_TEST(csv_body(t, r) == "1\t0\n0\t0\n1\t0\n\\N\t0\n");
  rows bad;
  bad.add({"yes"});
  BOOST_TEST(reason(json_error(t, bad)) == "not a boolean");
}

BOOST_AUTO_TEST_CASE(dates_and_timestamps_pass_as_they_are) {
  const auto t = table({{"d", mapping(sr::value_form::date, "DATE")},
                        {"ts", mapping(sr::value_form::timestamp, "DATETIME")}});
  rows r;
  r.add({"2024-02-29", "2024-02-29 13:14:15.123456"}).add({"0001-01-01", "9999-12-31 23:59:59"});
  BOOST_TEST(json_body(t, r) == R"([{"d":"2024-02-29","ts":"2024-02-29 13:14:15.123456","__op":0},)"
                                R"({"d":"0001-01-01","ts":"9999-12-31 23:59:59","__op":0}])");
  BOOST_TEST(csv_body(t, r) == "2024-02-29\t2024-02-29 13:14:15.123456\t0\n0001-01-01\t9999-12-31 23:59:59\t0\n");
}

BOOST_AUTO_TEST_CASE(dates_and_timestamps_datetime_cannot_hold_are_refused) {
  const auto dates = table({{"d", mapping(sr::value_form::date, "DATE")}});
  const auto stamps = table({{"ts", mapping(sr::value_form::timestamp, "DATETIME")}});
  auto refused = [](const sr::table_encoding& t, const char* text) {
    rows r;
    r.add({text});
    return reason(json_error(t, r));
  };
  // PG15 date_out / timestamp_out
  BOOST_TEST(refused(dates, "infinity") == "infinity cannot be loaded into DATE");
  BOOST_TEST(refused(dates, "-infinity") == "-infinity cannot be loaded into DATE");
  BOOST_TEST(refused(dates, "0044-03-15 BC") == "dates before 0001-01-01 (BC) cannot be loaded into DATE");
  BOOST_TEST(refused(dates, "10000-01-01") == "dates after 9999-12-31 cannot be loaded into DATE");
  BOOST_TEST(refused(dates, "2024-01-02 00:00:00") == "not a date/time as PostgreSQL prints it with DateStyle ISO");
  BOOST_TEST(refused(stamps, "infinity") == "infinity cannot be loaded into DATETIME");
  BOOST_TEST(refused(stamps, "10000-01-01 00:00:00") == "dates after 9999-12-31 cannot be loaded into DATETIME");
  BOOST_TEST(refused(stamps, "0044-03-15 12:00:00 BC") ==
             "dates before 0001-01-01 (BC) cannot be loaded into DATETIME");
  BOOST_TEST(refused(stamps, "2024-01-02 03:04:05.1234567") ==
             "not a date/time as PostgreSQL prints it with DateStyle ISO");
  BOOST_TEST(refused(stamps, "2024-01-02T03:04:05") == "not a date/time as PostgreSQL prints it with DateStyle ISO");
}

BOOST_AUTO_TEST_CASE(timestamptz_is_converted_to_utc) {
  const auto t = table({{"at", mapping(sr::value_form::timestamptz, "DATETIME")}});
  rows r;
  // PG15 timestamptz_out under TimeZone Asia/Kolkata, America/New_York (LMT) and UTC
  r.add({"2024-01-02 06:34:05.5+05:30"})
      .add({"1900-01-01 05:21:10+05:21:10"})
      .add({"1883-11-18 07:03:58-04:56:02"})
      .add({"2024-01-02 01:04:05+00"})
      .add({"2024-12-31 23:30:00-01"});
  const json doc = json::parse(json_body(t, r));
  BOOST_TEST(doc[0]["at"] == "2024-01-02 01:04:05.5");
  BOOST_TEST(doc[1]["at"] == "1900-01-01 00:00:00");
  BOOST_TEST(doc[2]["at"] == "1883-11-18 12:00:00");
  BOOST_TEST(doc[3]["at"] == "2024-01-02 01:04:05");
  BOOST_TEST(doc[4]["at"] == "2025-01-01 00:30:00");
  BOOST_TEST(*read_csv(csv_body(t, r), '\t')[0][0] == "2024-01-02 01:04:05.5");
  for (const char* outside : {"9999-12-31 23:00:00-05", "0001-01-01 00:30:00+01", "0044-03-15 12:00:00+00 BC"}) {
    rows b;
    b.add({outside});
    BOOST_TEST(reason(json_error(t, b)) == "outside DATETIME's range (0001-01-01 .. 9999-12-31) in UTC");
  }
  rows inf;
  inf.add({"infinity"});
  BOOST_TEST(reason(json_error(t, inf)) == "infinity cannot be loaded into DATETIME");
  rows bad;
  bad.add({"2024-01-02 03:04:05"});
  BOOST_TEST(contains(reason(json_error(t, bad)), "not a timestamp with time zone: expected a UTC offset"));
}

BOOST_AUTO_TEST_CASE(timestamptz_conversion_agrees_with_the_value_codecs) {
  // Random instants in every offset shape, near midnight, leap days and the range ends:
  // what the encoder writes equals pg_values' parse_timestamptz + append_timestamp.
  const auto t = table({{"at", mapping(sr::value_form::timestamptz, "DATETIME")}});
  std::mt19937_64 random(7);
  auto pick = [&](int lo, int hi) { return static_cast<int>(lo + random() % static_cast<unsigned>(hi - lo + 1)); };
  rows r;
  std::vector<std::string> texts;
  for (int n = 0; n < 20000; ++n) {
    const int year = n % 7 == 0 ? (n % 2 ? 1 : 9999) : pick(1, 9999);
    const int month = n % 5 == 0 ? (n % 2 ? 1 : 12) : pick(1, 12);
    const int day = n % 11 == 0 ? 29 : pick(1, 28);
    if (month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) continue;
    char text[64];
    int len = std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d", year, month, day,
                            n % 3 == 0 ? (n % 2 ? 0 : 23) : pick(0, 23), pick(0, 59), pick(0, 59));
    if (n % 2) {  // timestamptz_out drops trailing fraction zeros
      len += std::snprintf(text + len, sizeof text - len, ".%d", pick(1, 999999));
      while (text[len - 1] == '0') --len;
    }
    const int offset_shape = pick(0, 2);
    len += std::snprintf(text + len, sizeof text - len, "%c%02d", pick(0, 1) ? '+' : '-', pick(0, 15));
    if (offset_shape >= 1) len += std::snprintf(text + len, sizeof text - len, ":%02d", pick(0, 59));
    if (offset_shape == 2) std::snprintf(text + len, sizeof text - len, ":%02d", pick(0, 59));
    const auto micros = pv::parse_timestamptz(text);
    BOOST_REQUIRE(pv::ok(micros));
    // Only instants DATETIME holds (a few near 0001-01-01 and 9999-12-31 fall outside in UTC).
    if (pv::format_timestamp(pv::value(micros)).size() > 26 || pv::value(micros) < -62135596800000000) continue;
    texts.push_back(pv::format_timestamp(pv::value(micros)));
    r.add({text});
  }
  const json doc = json::parse(json_body(t, r));
  BOOST_REQUIRE_EQUAL(doc.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) BOOST_TEST(doc[i]["at"].get<std::string>() == texts[i]);
}

BOOST_AUTO_TEST_CASE(money_becomes_a_plain_decimal) {
  const auto t = table({{"m", mapping(sr::value_form::money, "DECIMAL(19,2)")}});
  rows r;
  // PG15 cash_out (lc_monetary C)
  r.add({"$12.50"}).add({"-$0.50"}).add({"$92,233,720,368,547,758.07"}).add({"-$92,233,720,368,547,758.08"}).add(
      {"$0.00"});
  BOOST_TEST(json_body(t, r) == R"([{"m":"12.50","__op":0},{"m":"-0.50","__op":0},{"m":"92233720368547758.07","__op":0},)"
                                R"({"m":"-92233720368547758.08","__op":0},{"m":"0.00","__op":0}])");
  rows bad;
  bad.add({"12,50 €"});
  BOOST_TEST(contains(reason(json_error(t, bad)), "not a money value in the C / en_US format"));
}

BOOST_AUTO_TEST_CASE(json_documents_are_embedded) {
  const auto t = table({{"doc", mapping(sr::value_form::json, "JSON")}});
  rows r;
  // PG15 jsonb_out / json_out
  r.add({R"({"a": [1, 2.50, null], "b": "x\"y\\zé"})"}).add({R"("str")"}).add({"[1, {\"k\": null}]"}).add(
      {"\n  {\"pretty\":\ttrue}\n"});
  const json doc = json::parse(json_body(t, r));
  BOOST_TEST(doc[0]["doc"]["b"] == "x\"y\\zé");
  BOOST_TEST(doc[0]["doc"]["a"][2].is_null());
  BOOST_TEST(doc[1]["doc"] == "str");
  BOOST_TEST(doc[2]["doc"][1]["k"].is_null());
  BOOST_TEST(doc[3]["doc"]["pretty"] == true);
  // In CSV the document is a field holding its text.
  const auto back = read_csv(csv_body(t, r), '\t');
  BOOST_TEST(*back[0][0] == R"({"a": [1, 2.50, null], "b": "x\"y\\zé"})");
  BOOST_TEST(*back[3][0] == "\n  {\"pretty\":\ttrue}\n");
  rows bad;
  bad.add({"{\"a\": }"});
  BOOST_TEST(contains(reason(json_error(t, bad)), "not a JSON document"));
}

BOOST_AUTO_TEST_CASE(arrays_become_json_arrays_of_their_element_form) {
  sr::column_mapping nan_null = mapping(sr::value_form::decimal, "DECIMAL(10,2)");
  nan_null.nan_to_null = true;
  const auto t = table({{"ints", array_of(mapping(sr::value_form::integer, "INT"))},
                        {"texts", array_of(text_m)},
                        {"nums", array_of(nan_null)},
                        {"stamps", array_of(mapping(sr::value_form::timestamptz, "DATETIME"))}});
  rows r;
  // PG15 array_out
  r.add({"{1,NULL,3}", R"({"a \"b\"","c\\d",NULL,"NULL","",ü})", "{1.50,NaN}", R"({"2024-01-02 03:04:05+02",NULL})"})
      .add({"{}", "{}", "{}", "{}"});
  BOOST_TEST(json_body(t, r) ==
             R"([{"ints":[1,null,3],"texts":["a \"b\"","c\\d",null,"NULL","","ü"],"nums":[1.50,null],)"
             R"("stamps":["2024-01-02 01:04:05",null],"__op":0},{"ints":[],"texts":[],"nums":[],"stamps":[],"__op":0}])");
}

BOOST_AUTO_TEST_CASE(arrays_starrocks_cannot_hold_are_refused) {
  const auto t = table({{"a", array_of(mapping(sr::value_form::integer, "INT"))}});
  auto refused = [&](const char* text) {
    rows r;
    r.add({text});
    return reason(json_error(t, r));
  };
  BOOST_TEST(refused("{{1,2},{3,4}}") == "a multi-dimensional array cannot be loaded into ARRAY<INT>");
  BOOST_TEST(refused("[0:1]={7,8}") == "an array indexed from other than 1 cannot be loaded into ARRAY<INT>");
  BOOST_TEST(refused("{1,x}") == "element \"x\": not an integer");
  BOOST_TEST(contains(refused("{1,2"), "not an array"));
}

BOOST_AUTO_TEST_CASE(hstore_becomes_a_json_object) {
  const auto t = table({{"h", mapping(sr::value_form::hstore, "JSON")}});
  rows r;
  r.add({R"("a"=>"1", "b"=>NULL, "c d"=>"x\"y")"});  // PG15 hstore_out
  BOOST_TEST(json_body(t, r) == R"([{"h":{"a":"1","b":null,"c d":"x\"y"},"__op":0}])");
  BOOST_TEST(*read_csv(csv_body(t, r), '\t')[0][0] == R"({"a":"1","b":null,"c d":"x\"y"})");
}

BOOST_AUTO_TEST_CASE(composites_become_json_objects_with_typed_fields) {
  sr::column_mapping inner = mapping(sr::value_form::composite, "STRUCT<x VARCHAR(1048576), y INT>");
  inner.fields = {{"x", text_m}, {"y", mapping(sr::value_form::integer, "INT")}};
  sr::column_mapping rec = mapping(sr::value_form::composite, "JSON");
  rec.fields = {{"a", mapping(sr::value_form::integer, "INT")},
                {"b", text_m},
                {"c", text_m},
                {"d", array_of(mapping(sr::value_form::integer, "INT"))},
                {"e", inner},
                {"f", text_m}};
  const auto t = table({{"r", rec}, {"list", array_of(inner)}});
  rows r;
  // PG15 record_out of row(1, 'a b', null, '{1,NULL,3}', row('q"x\y', null)::inner_t, '')::rec
  // and array_out of array[row('a b',1)::inner_t, row(null,null)::inner_t, null]
  r.add({R"r((1,"a b",,"{1,NULL,3}","(""q""""x\\\\y"",)",""))r", R"r({"(\"a b\",1)","(,)",NULL})r"});
  BOOST_TEST(json_body(t, r) == R"([{"r":{"a":1,"b":"a b","c":null,"d":[1,null,3],"e":{"x":"q\"x\\y","y":null},)"
                                R"("f":""},"list":[{"x":"a b","y":1},{"x":null,"y":null},null],"__op":0}])");
  rows short_row;
  short_row.add({"(1,2)", std::nullopt});
  BOOST_TEST(reason(json_error(t, short_row)) == "has 2 fields, the type 6");
  rows bad_field;
  bad_field.add({"(x,,,,,)", std::nullopt});
  BOOST_TEST(reason(json_error(t, bad_field)) == "field a \"x\": not an integer");
}

// ---- CSV -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(csv_rows_are_lines_with_op_last) {
  const auto t = table({{"id", bigint_m}, {"name", text_m}});
  rows r;
  r.add({"1", "a"}).add({"2", std::nullopt}, true).add({"3", ""});
  BOOST_TEST(csv_body(t, r) == "1\ta\t0\n2\t\\N\t1\n3\t\t0\n");
  BOOST_TEST(csv_body(t, r, ',') == "1,a,0\n2,\\N,1\n3,,0\n");
  std::string out;
  const std::vector<std::size_t> none;
  BOOST_REQUIRE(!sr::append_csv_rows(t, none, r.span(), true, out));
  BOOST_TEST(out == "0\n1\n0\n");
}

BOOST_AUTO_TEST_CASE(rows_for_tables_without_op_leave_it_out) {
  // Duplicate Key tables and partial updates: no __op field.
  const auto t = table({{"id", bigint_m}, {"name", text_m}});
  rows r;
  r.add({"1", "a"}).add({"2", std::nullopt});
  BOOST_TEST(json_body(t, r, {}, false) == R"([{"id":1,"name":"a"},{"id":2,"name":null}])");
  BOOST_TEST(csv_body(t, r, '\t', false) == "1\ta\n2\t\\N\n");
}

BOOST_AUTO_TEST_CASE(csv_op_digits_are_escaped_when_they_are_the_separator) {
  const auto t = table({{"id", bigint_m}});
  rows r;
  r.add({"10"}).add({"1"}, true);
  BOOST_TEST(csv_body(t, r, '0') == "1^00^0\n101\n");
  const auto back = read_csv(csv_body(t, r, '1'), '1');
  BOOST_TEST(*back[0][0] == "10");
  BOOST_TEST(*back[0][1] == "0");
  BOOST_TEST(*back[1][0] == "1");
  BOOST_TEST(*back[1][1] == "1");
}

BOOST_AUTO_TEST_CASE(csv_text_round_trips_through_starrocks_unescaping) {
  const auto t = table({{"id", bigint_m}, {"s", text_m}, {"t", text_m}});
  const std::vector<std::string> texts = {"tab\there",
                                          "new\nline",
                                          "crlf\r\n",
                                          R"(back\slash)",
                                          R"(\\N)",
                                          "N",
                                          "\\",
                                          R"(quote " ' ")",
                                          "^caret^^",
                                          "ends with ^",
                                          "comma,pipe|",
                                          "ünïcødé ✓ 𝄞",
                                          "\t\n^\\",
                                          "",
                                          "    spaces    "};
  for (const char separator : {'\t', ',', '|', '\x01', '-', '.', 'x'}) {
    rows r;
    for (const std::string& text : texts) r.add({"-12", text, std::nullopt});
    r.add({"5", "", ""}, true);
    const std::string body = csv_body(t, r, separator);
    const auto back = read_csv(body, separator);
    BOOST_REQUIRE_EQUAL(back.size(), texts.size() + 1);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      BOOST_TEST_CONTEXT("separator " << int(separator) << ", text \"" << texts[i] << "\"") {
        BOOST_REQUIRE_EQUAL(back[i].size(), 4u);
        BOOST_TEST(*back[i][0] == "-12");
        BOOST_REQUIRE(back[i][1].has_value());
        BOOST_TEST(*back[i][1] == texts[i]);
        BOOST_TEST(!back[i][2].has_value());
        BOOST_TEST(*back[i][3] == "0");
      }
    }
    BOOST_TEST(*back.back()[1] == "");
    BOOST_TEST(*back.back()[3] == "1");
  }
}

BOOST_AUTO_TEST_CASE(csv_escaping_finds_specials_at_every_position) {
  // Every length up to 40 and every position of one or two specials: the 16-byte, 8-byte
  // and byte-at-a-time scans all see them.
  const auto t = table({{"s", text_m}});
  for (const char special : {'\t', '\n', '^'}) {
    for (std::size_t length = 1; length <= 40; ++length) {
      rows r;
      std::vector<std::string> texts;
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = special;
        texts.push_back(text);
        text[length - 1 - at] = special;
        texts.push_back(text);
      }
      for (const std::string& text : texts) r.add({text});
      const auto back = read_csv(csv_body(t, r), '\t');
      BOOST_REQUIRE_EQUAL(back.size(), texts.size());
      for (std::size_t i = 0; i < texts.size(); ++i) BOOST_TEST(*back[i][0] == texts[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(csv_scalars_are_escaped_when_the_separator_is_among_their_characters) {
  const auto t = table({{"d", mapping(sr::value_form::decimal, "DECIMAL(10,2)")},
                        {"ts", mapping(sr::value_form::timestamptz, "DATETIME")},
                        {"f", mapping(sr::value_form::floating, "DOUBLE")}});
  rows r;
  r.add({"-1.50", "2024-01-02 03:04:05.5+02", "-1e-05"}).add({std::nullopt, std::nullopt, "-Infinity"});
  for (const char separator : {'-', '.', ':', ' ', '0', 'e'}) {
    const auto back = read_csv(csv_body(t, r, separator), separator);
    BOOST_TEST_CONTEXT("separator '" << separator << "'") {
      BOOST_TEST(*back[0][0] == "-1.50");
      BOOST_TEST(*back[0][1] == "2024-01-02 01:04:05.5");
      BOOST_TEST(*back[0][2] == "-1e-05");
      BOOST_TEST(!back[1][0].has_value());
      BOOST_TEST(*back[1][2] == "-Infinity");
    }
  }
}

BOOST_AUTO_TEST_CASE(csv_refuses_the_text_backslash_n) {
  // StarRocks reads \N as NULL after unescaping, however it is escaped: only JSON carries it.
  const auto t = table({{"id", bigint_m}, {"note", text_m}});
  rows r;
  r.add({"1", "fine"}).add({"2", "\\N"});
  const auto err = csv_error(t, r);
  BOOST_TEST(err.row == 1u);
  BOOST_TEST(err.message == "column note, value \"\\\\N\": the text \\N cannot be loaded through CSV "
                                   "(StarRocks reads it as NULL); set sink.format = \"json\"");
  BOOST_TEST(json_row(t, rows().add({"2", "\\N"}))["note"] == "\\N");
}

BOOST_AUTO_TEST_CASE(csv_arrays_are_json_text_without_escapes) {
  const auto t = table({{"a", array_of(text_m)}, {"n", array_of(mapping(sr::value_form::integer, "INT"))}});
  rows r;
  r.add({R"({"a b",NULL,"x,y",ü})", "{1,NULL}"});
  const auto back = read_csv(csv_body(t, r), '\t');
  BOOST_TEST(*back[0][0] == R"(["a b",null,"x,y","ü"])");
  BOOST_TEST(*back[0][1] == "[1,null]");
  for (const char* text : {R"({"q\"x"})", R"({"b\\s"})", "{\"tab\there\"}"}) {
    rows b;
    b.add({text, "{}"});
    BOOST_TEST(contains(reason(csv_error(t, b)), "cannot be loaded through CSV (StarRocks' CSV array reader"));
  }
}

// ---- both ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unchanged_toast_values_are_never_written) {
  const auto t = table({{"id", bigint_m}, {"big", text_m}});
  rows r;
  r.add({"1", "x"}).add({"2", toast});
  const auto err = json_error(t, r);
  BOOST_TEST(err.row == 1u);
  BOOST_TEST(err.column == "big");
  BOOST_TEST(contains(reason(err), "unchanged TOAST"));
  BOOST_TEST(reason(csv_error(t, r)) == reason(err));
  rows narrow;
  narrow.add({"1"});
  BOOST_TEST(contains(reason(json_error(t, narrow)), "the row has 1 values, column index 1 was asked for"));
}

BOOST_AUTO_TEST_CASE(binary_values_load_only_for_string_forms) {
  const auto t = table({{"s", text_m}, {"i", bigint_m}});
  rows r;
  r.add({cell(pg::value_kind::binary, "text bytes"), std::nullopt});
  BOOST_TEST(json_row(t, r)["s"] == "text bytes");
  rows b;
  b.add({std::nullopt, cell(pg::value_kind::binary, std::string("\0\0\0\1", 4))});
  BOOST_TEST(contains(reason(json_error(t, b)), "binary-format value (binary pgoutput) cannot be loaded as integer"));
}

BOOST_AUTO_TEST_CASE(error_values_are_shortened_on_a_character_boundary) {
  const auto t = table({{"i", bigint_m}});
  std::string long_value(63, 'x');
  long_value += "é and more";  // 'é' spans bytes 63 and 64
  rows r;
  r.add({long_value});
  const auto err = json_error(t, r);
  BOOST_TEST(err.message == "column i, value \"" + std::string(63, 'x') + "\"...: not an integer");
}

BOOST_AUTO_TEST_CASE(headers_name_columns_and_format) {
  const auto t = table({{"id", bigint_m}, {"select", text_m}, {"we`ird, name", text_m}});
  BOOST_TEST(sr::columns_header(t, all_columns(t), true) == "`id`,`select`,`we``ird, name`,__op");
  const std::vector<std::size_t> key_only = {0};
  BOOST_TEST(sr::columns_header(t, key_only, true) == "`id`,__op");
  BOOST_TEST(sr::columns_header(t, key_only, false) == "`id`");
  using headers = std::vector<std::pair<std::string, std::string>>;
  BOOST_TEST((sr::csv_headers() == headers{{"column_separator", "\\x09"}, {"escape", "^"}}));
  BOOST_TEST((sr::csv_headers(',') == headers{{"column_separator", ","}, {"escape", "^"}}));
  BOOST_TEST((sr::csv_headers('\x01') == headers{{"column_separator", "\\x01"}, {"escape", "^"}}));
}

BOOST_AUTO_TEST_SUITE_END()
