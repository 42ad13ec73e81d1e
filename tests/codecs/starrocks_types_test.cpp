// Tests for codecs/starrocks/starrocks_types: the StarRocks column and value form of every kind of
// PostgreSQL type, the options for numeric, key mappings, and types without a mapping.
#include "codecs/starrocks/starrocks_types.hpp"

#include <boost/test/unit_test.hpp>

namespace sr = pg2sr::codecs::starrocks;
namespace pt = pg2sr::codecs::pg_types;
using sr::value_form;

namespace {

sr::pg_column_type type(pt::oid_t oid, std::int32_t typmod = -1, std::string name = "", char typtype = 'b') {
  sr::pg_column_type t;
  t.oid = oid;
  t.typmod = typmod;
  t.name = std::move(name);
  t.typtype = typtype;
  return t;
}

sr::pg_column_type array(pt::oid_t oid, const sr::pg_column_type& element, std::string name) {
  auto t = type(oid, -1, std::move(name));
  t.element = std::make_shared<const sr::pg_column_type>(element);
  return t;
}

sr::column_mapping mapped(const sr::pg_column_type& t, const sr::mapping_options& options = {}) {
  auto result = sr::map_type(t, options);
  if (auto* error = std::get_if<sr::mapping_error>(&result)) BOOST_FAIL("unexpected: " << error->message);
  return std::get<sr::column_mapping>(result);
}

std::string error_of(const sr::pg_column_type& t) {
  auto result = sr::map_type(t, {});
  if (auto* m = std::get_if<sr::column_mapping>(&result)) BOOST_FAIL("unexpected mapping " << m->starrocks_type);
  return std::get<sr::mapping_error>(result).message;
}

// numeric's typmod: ((precision << 16) | (scale & 0x7ff)) + 4.
std::int32_t numeric_typmod(int precision, int scale) { return ((precision << 16) | (scale & 0x7ff)) + 4; }

struct expected {
  pt::oid_t oid;
  std::int32_t typmod;
  const char* starrocks_type;
  value_form form;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(starrocks_types)

BOOST_AUTO_TEST_CASE(builtin_scalars_get_their_column_and_form) {
  const expected cases[] = {
      {pt::bool_oid, -1, "BOOLEAN", value_form::boolean},
      {pt::int2_oid, -1, "SMALLINT", value_form::integer},
      {pt::int4_oid, -1, "INT", value_form::integer},
      {pt::int8_oid, -1, "BIGINT", value_form::integer},
      {pt::oid_oid, -1, "BIGINT", value_form::integer},
      {pt::float4_oid, -1, "FLOAT", value_form::floating},
      {pt::float8_oid, -1, "DOUBLE", value_form::floating},
      {pt::numeric_oid, numeric_typmod(10, 2), "DECIMAL(10,2)", value_form::decimal},
      {pt::money_oid, -1, "DECIMAL(19,2)", value_form::money},
      {pt::text_oid, -1, "VARCHAR(1048576)", value_form::string},
      {pt::varchar_oid, 20 + 4, "VARCHAR(80)", value_form::string},
      {pt::varchar_oid, -1, "VARCHAR(1048576)", value_form::string},
      {pt::bpchar_oid, 3 + 4, "VARCHAR(12)", value_form::string},
      {pt::char_oid, -1, "VARCHAR(4)", value_form::string},
      {pt::name_oid, -1, "VARCHAR(256)", value_form::string},
      {pt::date_oid, -1, "DATE", value_form::date},
      {pt::timestamp_oid, 3, "DATETIME", value_form::timestamp},
      {pt::timestamptz_oid, -1, "DATETIME", value_form::timestamptz},
      {pt::time_oid, -1, "VARCHAR(32)", value_form::string},
      {pt::timetz_oid, -1, "VARCHAR(32)", value_form::string},
      {pt::interval_oid, -1, "VARCHAR(128)", value_form::string},
      {pt::uuid_oid, -1, "VARCHAR(36)", value_form::string},
      {pt::bytea_oid, -1, "VARCHAR(1048576)", value_form::string},
      {pt::json_oid, -1, "JSON", value_form::json},
      {pt::jsonb_oid, -1, "JSON", value_form::json},
      {pt::inet_oid, -1, "VARCHAR(64)", value_form::string},
      {pt::cidr_oid, -1, "VARCHAR(64)", value_form::string},
      {pt::macaddr_oid, -1, "VARCHAR(64)", value_form::string},
      {774, -1, "VARCHAR(64)", value_form::string},  // macaddr8
      {pt::bit_oid, 5, "VARCHAR(5)", value_form::string},
      {pt::varbit_oid, -1, "VARCHAR(1048576)", value_form::string},
      {pt::xml_oid, -1, "VARCHAR(1048576)", value_form::string},
      {pt::tsvector_oid, -1, "VARCHAR(1048576)", value_form::string},
      {3615, -1, "VARCHAR(1048576)", value_form::string},  // tsquery
      {pt::point_oid, -1, "VARCHAR(1048576)", value_form::string},
      {604, -1, "VARCHAR(1048576)", value_form::string},   // polygon
      {3904, -1, "VARCHAR(1048576)", value_form::string},  // int4range
      {4451, -1, "VARCHAR(1048576)", value_form::string},  // int4multirange
      {3220, -1, "VARCHAR(1048576)", value_form::string},  // pg_lsn
      {22, -1, "VARCHAR(1048576)", value_form::string},    // int2vector prints '1 2', not an array literal
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("oid " << c.oid << " typmod " << c.typmod) {
      auto m = mapped(type(c.oid, c.typmod));
      BOOST_TEST(m.starrocks_type == c.starrocks_type);
      BOOST_TEST((m.form == c.form));
      BOOST_TEST(!m.nan_to_null);
    }
  }
}

// _cstring aside: an array of the pseudo-type cstring, which no column can have.
BOOST_AUTO_TEST_CASE(every_builtin_column_type_maps) {
  for (const auto& t : pt::builtin_types()) {
    if (t.name == "_cstring") continue;
    BOOST_TEST_CONTEXT(t.name) {
      auto result = sr::map_type(type(t.oid, -1, std::string(t.name)), {});
      BOOST_TEST(std::holds_alternative<sr::column_mapping>(result));
    }
  }
}

BOOST_AUTO_TEST_CASE(varchar_length_is_bytes_capped_at_the_starrocks_maximum) {
  BOOST_TEST(mapped(type(pt::varchar_oid, 1 + 4)).starrocks_type == "VARCHAR(4)");
  BOOST_TEST(mapped(type(pt::varchar_oid, 262144 + 4)).starrocks_type == "VARCHAR(1048576)");
  BOOST_TEST(mapped(type(pt::varchar_oid, 10485760 + 4)).starrocks_type == "VARCHAR(1048576)");
}

BOOST_AUTO_TEST_CASE(numeric_scale_outside_zero_to_precision_keeps_every_value) {
  // numeric(5,-2) holds up to 7 integer digits; numeric(3,5) holds |x| < 0.01 with 5 decimals.
  BOOST_TEST(mapped(type(pt::numeric_oid, numeric_typmod(5, -2))).starrocks_type == "DECIMAL(7,0)");
  BOOST_TEST(mapped(type(pt::numeric_oid, numeric_typmod(3, 5))).starrocks_type == "DECIMAL(5,5)");
  BOOST_TEST(mapped(type(pt::numeric_oid, numeric_typmod(38, 0))).starrocks_type == "DECIMAL(38,0)");
}

BOOST_AUTO_TEST_CASE(numeric_above_38_digits_keeps_its_text) {
  auto m = mapped(type(pt::numeric_oid, numeric_typmod(50, 10)), {.numeric_nan_to_null = true});
  BOOST_TEST(m.starrocks_type == "VARCHAR(53)");
  BOOST_TEST((m.form == value_form::string));
  BOOST_TEST(!m.nan_to_null);  // 'NaN' is kept as text
  BOOST_TEST(mapped(type(pt::numeric_oid, numeric_typmod(37, 39))).starrocks_type == "VARCHAR(42)");
}

BOOST_AUTO_TEST_CASE(numeric_without_typmod_follows_the_options) {
  auto as_decimal = mapped(type(pt::numeric_oid), {.unconstrained_numeric_scale = 6, .numeric_nan_to_null = true});
  BOOST_TEST(as_decimal.starrocks_type == "DECIMAL(38,6)");
  BOOST_TEST((as_decimal.form == value_form::decimal));
  BOOST_TEST(as_decimal.nan_to_null);
  auto rejecting = mapped(type(pt::numeric_oid), {});
  BOOST_TEST(rejecting.starrocks_type == "DECIMAL(38,9)");
  BOOST_TEST(!rejecting.nan_to_null);
  auto as_text = mapped(type(pt::numeric_oid), {.unconstrained_numeric_as_string = true, .numeric_nan_to_null = true});
  BOOST_TEST(as_text.starrocks_type == "VARCHAR(1048576)");
  BOOST_TEST((as_text.form == value_form::string));
  BOOST_TEST(!as_text.nan_to_null);
}

BOOST_AUTO_TEST_CASE(builtin_arrays_map_their_elements_with_the_column_typmod) {
  auto ints = mapped(type(pt::int4_array_oid));
  BOOST_TEST(ints.starrocks_type == "ARRAY<INT>");
  BOOST_TEST((ints.form == value_form::array));
  BOOST_REQUIRE(ints.element);
  BOOST_TEST((ints.element->form == value_form::integer));
  auto decimals = mapped(type(pt::numeric_array_oid, numeric_typmod(12, 3)), {.numeric_nan_to_null = true});
  BOOST_TEST(decimals.starrocks_type == "ARRAY<DECIMAL(12,3)>");
  BOOST_TEST(decimals.element->nan_to_null);
  BOOST_TEST(mapped(type(pt::varchar_array_oid, 3 + 4)).starrocks_type == "ARRAY<VARCHAR(12)>");
  BOOST_TEST((mapped(type(pt::timestamptz_array_oid)).element->form == value_form::timestamptz));
}

BOOST_AUTO_TEST_CASE(arrays_of_documents_are_json) {
  auto jsonb = mapped(type(pt::jsonb_array_oid));
  BOOST_TEST(jsonb.starrocks_type == "JSON");
  BOOST_TEST((jsonb.form == value_form::array));
  BOOST_TEST((jsonb.element->form == value_form::json));
  auto hstores = mapped(array(16500, type(16490, -1, "hstore"), "hstore[]"));
  BOOST_TEST(hstores.starrocks_type == "JSON");
  BOOST_TEST((hstores.element->form == value_form::hstore));
}

BOOST_AUTO_TEST_CASE(runtime_types_by_typtype_and_name) {
  auto mood = mapped(type(16400, -1, "mood", 'e'));
  BOOST_TEST(mood.starrocks_type == "VARCHAR(256)");
  BOOST_TEST((mood.form == value_form::string));
  BOOST_TEST(mapped(type(16401, -1, "floatrange", 'r')).starrocks_type == "VARCHAR(1048576)");
  BOOST_TEST(mapped(type(16402, -1, "floatmultirange", 'm')).starrocks_type == "VARCHAR(1048576)");
  auto hstore = mapped(type(16403, -1, "ext.hstore"));
  BOOST_TEST(hstore.starrocks_type == "JSON");
  BOOST_TEST((hstore.form == value_form::hstore));
  BOOST_TEST(mapped(type(16404, -1, "citext")).starrocks_type == "VARCHAR(1048576)");
  auto moods = mapped(array(16405, type(16400, -1, "mood", 'e'), "mood[]"));
  BOOST_TEST(moods.starrocks_type == "ARRAY<VARCHAR(256)>");
}

BOOST_AUTO_TEST_CASE(composite_is_json_with_its_fields_mapped) {
  auto pair = type(16410, -1, "pair", 'c');
  pair.fields.emplace_back("n", type(pt::numeric_oid, numeric_typmod(10, 2)));
  pair.fields.emplace_back("tags", type(pt::text_array_oid));
  auto m = mapped(pair, {.numeric_nan_to_null = true});
  BOOST_TEST(m.starrocks_type == "JSON");
  BOOST_TEST((m.form == value_form::composite));
  BOOST_REQUIRE(m.fields.size() == 2u);
  BOOST_TEST(m.fields[0].first == "n");
  BOOST_TEST(m.fields[0].second.starrocks_type == "DECIMAL(10,2)");
  BOOST_TEST(m.fields[0].second.nan_to_null);
  BOOST_TEST(m.fields[1].second.starrocks_type == "ARRAY<VARCHAR(1048576)>");
  BOOST_TEST(mapped(array(16411, pair, "pair[]")).starrocks_type == "JSON");
}

BOOST_AUTO_TEST_CASE(unknown_extension_and_pseudo_types_have_no_mapping) {
  BOOST_TEST(error_of(type(16420, -1, "cube")) ==
             "type cube has no StarRocks mapping (an extension type pg2sr does not know)");
  BOOST_TEST(error_of(type(2283, -1, "anyelement", 'p')) == "type anyelement has no StarRocks mapping (a pseudo-type)");
  BOOST_TEST(error_of(type(2249, -1, "record")) == "type record has no StarRocks mapping");
  BOOST_TEST(error_of(type(16421, -1, "positive", 'd')).find("a domain") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unmappable_part_names_the_whole_type) {
  auto cubes = array(16431, type(16430, -1, "cube"), "cube[]");
  BOOST_TEST(error_of(cubes) ==
             "type cube[] has no StarRocks mapping (its elements: type cube has no StarRocks mapping (an extension "
             "type pg2sr does not know))");
  auto row = type(16432, -1, "shape", 'c');
  row.fields.emplace_back("id", type(pt::int4_oid));
  row.fields.emplace_back("c", type(16430, -1, "cube"));
  BOOST_TEST(error_of(row) ==
             "type shape has no StarRocks mapping (field c: type cube has no StarRocks mapping (an extension type "
             "pg2sr does not know))");
}

BOOST_AUTO_TEST_CASE(primary_keys_take_what_starrocks_keys_accept) {
  for (auto oid : {pt::int4_oid, pt::int8_oid, pt::bool_oid, pt::date_oid, pt::timestamptz_oid, pt::uuid_oid,
                   pt::text_oid}) {
    auto m = mapped(type(oid));
    BOOST_TEST_CONTEXT("oid " << oid) {
      BOOST_TEST(sr::usable_in_primary_key(m));
      BOOST_TEST(sr::primary_key_mapping(m).starrocks_type == m.starrocks_type);
    }
  }
  auto dec = mapped(type(pt::numeric_oid, numeric_typmod(10, 2)));
  BOOST_TEST(!sr::usable_in_primary_key(dec));
  BOOST_TEST(sr::usable_in_sort_key(dec));
  auto dec_key = sr::primary_key_mapping(dec);
  BOOST_TEST(dec_key.starrocks_type == "VARCHAR(64)");
  BOOST_TEST((dec_key.form == value_form::string));
  auto dbl = mapped(type(pt::float8_oid));
  BOOST_TEST(!sr::usable_in_sort_key(dbl));
  BOOST_TEST(sr::primary_key_mapping(dbl).starrocks_type == "VARCHAR(64)");
  auto doc = mapped(type(pt::jsonb_oid));
  BOOST_TEST(!sr::usable_in_sort_key(doc));
  BOOST_TEST(sr::primary_key_mapping(doc).starrocks_type == "VARCHAR(1048576)");
  BOOST_TEST(!sr::usable_in_sort_key(mapped(type(pt::int4_array_oid))));
}

BOOST_AUTO_TEST_SUITE_END()
