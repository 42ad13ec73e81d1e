// Tests for codecs/values/pg_types: the built-in type table (checked against PostgreSQL 15's
// pg_type) and which parser reads each type.
#include "codecs/values/pg_types.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>

namespace pt = pg2sr::codecs::pg_types;

namespace pg2sr::codecs::pg_types {
// for Boost.Test's messages
std::ostream& operator<<(std::ostream& os, text_kind kind) { return os << to_string(kind); }
}  // namespace pg2sr::codecs::pg_types

BOOST_AUTO_TEST_SUITE(pg_types)

struct expected_type {
  pt::oid_t oid;
  std::string_view name;
  pt::category cat;
  pt::oid_t array_oid;
};

// From `select oid, typname, typcategory, typarray from pg_type` on PostgreSQL 15.
constexpr expected_type scalar_types[] = {
    {16, "bool", pt::category::boolean, 1000},       {17, "bytea", pt::category::user_defined, 1001},
    {18, "char", pt::category::internal, 1002},      {19, "name", pt::category::string, 1003},
    {20, "int8", pt::category::numeric, 1016},       {21, "int2", pt::category::numeric, 1005},
    {23, "int4", pt::category::numeric, 1007},       {25, "text", pt::category::string, 1009},
    {26, "oid", pt::category::numeric, 1028},        {114, "json", pt::category::user_defined, 199},
    {142, "xml", pt::category::user_defined, 143},   {600, "point", pt::category::geometric, 1017},
    {650, "cidr", pt::category::network, 651},       {700, "float4", pt::category::numeric, 1021},
    {701, "float8", pt::category::numeric, 1022},    {790, "money", pt::category::numeric, 791},
    {829, "macaddr", pt::category::user_defined, 1040}, {869, "inet", pt::category::network, 1041},
    {1042, "bpchar", pt::category::string, 1014},    {1043, "varchar", pt::category::string, 1015},
    {1082, "date", pt::category::datetime, 1182},    {1083, "time", pt::category::datetime, 1183},
    {1114, "timestamp", pt::category::datetime, 1115}, {1184, "timestamptz", pt::category::datetime, 1185},
    {1186, "interval", pt::category::timespan, 1187}, {1266, "timetz", pt::category::datetime, 1270},
    {1560, "bit", pt::category::bit_string, 1561},   {1562, "varbit", pt::category::bit_string, 1563},
    {1700, "numeric", pt::category::numeric, 1231},  {2950, "uuid", pt::category::user_defined, 2951},
    {3614, "tsvector", pt::category::user_defined, 3643}, {3802, "jsonb", pt::category::user_defined, 3807},
    {3904, "int4range", pt::category::range, 3905},  {4451, "int4multirange", pt::category::range, 6150},
};

BOOST_AUTO_TEST_CASE(find_type_knows_builtin_scalars) {
  for (const auto& e : scalar_types) {
    BOOST_TEST_CONTEXT("oid " << e.oid) {
      const pt::type_info* t = pt::find_type(e.oid);
      BOOST_REQUIRE(t != nullptr);
      BOOST_TEST(t->name == e.name);
      BOOST_TEST(static_cast<char>(t->cat) == static_cast<char>(e.cat));
      BOOST_TEST(t->array_oid == e.array_oid);
      BOOST_TEST(!t->is_array());
    }
  }
}

BOOST_AUTO_TEST_CASE(array_types_name_their_element) {
  const std::pair<pt::oid_t, pt::oid_t> arrays[] = {
      {1000, 16},   {1001, 17},   {1005, 21},   {1007, 23},   {1016, 20},   {1009, 25},
      {1021, 700},  {1022, 701},  {1231, 1700}, {1015, 1043}, {1014, 1042}, {2951, 2950},
      {3807, 3802}, {199, 114},   {1115, 1114}, {1185, 1184}, {1182, 1082}, {1183, 1083},
      {1187, 1186}, {1270, 1266}, {791, 790},   {143, 142},   {1028, 26},   {1041, 869}};
  for (auto [array, element] : arrays) {
    BOOST_TEST_CONTEXT("array oid " << array) {
      const pt::type_info* t = pt::find_type(array);
      BOOST_REQUIRE(t != nullptr);
      BOOST_TEST(t->is_array());
      BOOST_TEST(t->name.starts_with('_'));
      BOOST_TEST(t->element_oid == element);
      BOOST_TEST(pt::element_of(array) == element);
    }
  }
  BOOST_TEST(pt::find_type(1231)->name == "_numeric");
  BOOST_TEST(pt::find_type(3807)->name == "_jsonb");
}

BOOST_AUTO_TEST_CASE(element_of_is_zero_for_non_arrays) {
  BOOST_TEST(pt::element_of(pt::int4_oid) == 0u);
  BOOST_TEST(pt::element_of(pt::point_oid) == 0u);  // has a typelem, but is no array
  BOOST_TEST(pt::element_of(99999) == 0u);
}

BOOST_AUTO_TEST_CASE(every_array_oid_points_back_to_its_element) {
  std::size_t arrays = 0;
  pt::oid_t previous = 0;
  for (const pt::type_info& t : pt::builtin_types()) {
    BOOST_TEST(t.oid > previous);
    previous = t.oid;
    if (t.array_oid == 0) continue;
    const pt::type_info* a = pt::find_type(t.array_oid);
    BOOST_TEST_CONTEXT(t.name) {
      BOOST_REQUIRE(a != nullptr);
      BOOST_TEST(a->is_array());
      BOOST_TEST(a->element_oid == t.oid);
      BOOST_TEST(a->name == "_" + std::string(t.name));
    }
    ++arrays;
  }
  BOOST_TEST(arrays > 70u);
}

BOOST_AUTO_TEST_CASE(find_type_by_name) {
  BOOST_REQUIRE(pt::find_type("timestamptz") != nullptr);
  BOOST_TEST(pt::find_type("timestamptz")->oid == pt::timestamptz_oid);
  BOOST_TEST(pt::find_type("_int8")->oid == pt::int8_array_oid);
  BOOST_TEST(pt::find_type("hstore") == nullptr);
  BOOST_TEST(pt::find_type("") == nullptr);
}

BOOST_AUTO_TEST_CASE(find_type_rejects_unknown_oids) {
  BOOST_TEST(pt::find_type(0) == nullptr);
  BOOST_TEST(pt::find_type(15) == nullptr);
  BOOST_TEST(pt::find_type(pt::first_normal_oid) == nullptr);
  BOOST_TEST(pt::find_type(4294967295u) == nullptr);
}

BOOST_AUTO_TEST_CASE(box_arrays_use_semicolon_delimiter) {
  BOOST_TEST(pt::find_type(603)->name == "box");
  BOOST_TEST(pt::find_type(603)->delimiter == ';');
  BOOST_TEST(pt::find_type(pt::int4_oid)->delimiter == ',');
}

BOOST_AUTO_TEST_CASE(kind_of_picks_the_parser_by_oid) {
  using k = pt::text_kind;
  BOOST_TEST(pt::kind_of(pt::bool_oid) == k::boolean);
  BOOST_TEST(pt::kind_of(pt::int2_oid) == k::int2);
  BOOST_TEST(pt::kind_of(pt::int4_oid) == k::int4);
  BOOST_TEST(pt::kind_of(pt::int8_oid) == k::int8);
  BOOST_TEST(pt::kind_of(pt::oid_oid) == k::oid);
  BOOST_TEST(pt::kind_of(pt::float4_oid) == k::float4);
  BOOST_TEST(pt::kind_of(pt::float8_oid) == k::float8);
  BOOST_TEST(pt::kind_of(pt::numeric_oid) == k::numeric);
  BOOST_TEST(pt::kind_of(pt::money_oid) == k::money);
  BOOST_TEST(pt::kind_of(pt::date_oid) == k::date);
  BOOST_TEST(pt::kind_of(pt::time_oid) == k::time);
  BOOST_TEST(pt::kind_of(pt::timetz_oid) == k::timetz);
  BOOST_TEST(pt::kind_of(pt::timestamp_oid) == k::timestamp);
  BOOST_TEST(pt::kind_of(pt::timestamptz_oid) == k::timestamptz);
  BOOST_TEST(pt::kind_of(pt::interval_oid) == k::interval);
  BOOST_TEST(pt::kind_of(pt::uuid_oid) == k::uuid);
  BOOST_TEST(pt::kind_of(pt::bytea_oid) == k::bytea);
  BOOST_TEST(pt::kind_of(pt::json_oid) == k::json);
  BOOST_TEST(pt::kind_of(pt::jsonb_oid) == k::jsonb);
  BOOST_TEST(pt::kind_of(pt::text_array_oid) == k::array);
  BOOST_TEST(pt::kind_of(pt::jsonb_array_oid) == k::array);
}

BOOST_AUTO_TEST_CASE(kind_of_keeps_other_types_as_text) {
  using k = pt::text_kind;
  for (pt::oid_t oid : {pt::text_oid, pt::varchar_oid, pt::bpchar_oid, pt::name_oid, pt::char_oid, pt::xml_oid,
                        pt::point_oid, pt::inet_oid, pt::cidr_oid, pt::macaddr_oid, pt::bit_oid, pt::varbit_oid,
                        pt::tsvector_oid, pt::oid_t{3904}}) {
    BOOST_TEST_CONTEXT("oid " << oid) { BOOST_TEST(pt::kind_of(oid) == k::text); }
  }
  // int2vector and oidvector are category 'A' but print "1 2 3", not array literals
  BOOST_TEST(pt::kind_of(22) == k::text);
  BOOST_TEST(pt::kind_of(30) == k::text);
  // unknown built-in range OIDs and unknown run-time types: text, never lost
  BOOST_TEST(pt::kind_of(9999) == k::text);
  BOOST_TEST(pt::kind_of(70000) == k::text);
  BOOST_TEST(pt::kind_of(70000, "mood") == k::text);
  BOOST_TEST(pt::kind_of(70000, "citext") == k::text);
}

BOOST_AUTO_TEST_CASE(kind_of_knows_run_time_types_by_name) {
  BOOST_TEST(pt::kind_of(70000, "hstore") == pt::text_kind::hstore);
  BOOST_TEST(pt::kind_of(70001, "_hstore") == pt::text_kind::array);
  BOOST_TEST(pt::kind_of(70002, "_mood") == pt::text_kind::array);
  // a built-in OID wins over the name
  BOOST_TEST(pt::kind_of(pt::int4_oid, "hstore") == pt::text_kind::int4);
  // a low OID that is not a built-in type is not looked up by name
  BOOST_TEST(pt::kind_of(9999, "hstore") == pt::text_kind::text);
}

BOOST_AUTO_TEST_CASE(text_kind_has_names) {
  BOOST_TEST(pt::to_string(pt::text_kind::timestamptz) == "timestamptz");
  BOOST_TEST(pt::to_string(pt::text_kind::hstore) == "hstore");
  BOOST_TEST(pt::to_string(pt::text_kind::text) == "text");
}

BOOST_AUTO_TEST_SUITE_END()
