// PostgreSQL -> StarRocks type mapping (see starrocks_types.hpp for the value forms).
#include "codecs/starrocks/starrocks_types.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace pg2sr::codecs::starrocks {

namespace pt = pg_types;

namespace {

constexpr std::int32_t varhdrsz = 4;  // varchar, bpchar and numeric typmods carry it
constexpr int max_decimal_precision = 38;
constexpr oid_t macaddr8_oid = 774;

using mapping_result = std::variant<column_mapping, mapping_error>;

column_mapping of(std::string starrocks_type, value_form form) {
  column_mapping m;
  m.starrocks_type = std::move(starrocks_type);
  m.form = form;
  return m;
}

column_mapping varchar(long long bytes) {
  return of("VARCHAR(" + std::to_string(std::clamp<long long>(bytes, 1, max_varchar_bytes)) + ")", value_form::string);
}

column_mapping unbounded_text() { return varchar(max_varchar_bytes); }

std::string display_name(const pg_column_type& type) {
  return type.name.empty() ? "with oid " + std::to_string(type.oid) : type.name;
}

mapping_error no_mapping(const pg_column_type& type, const std::string& why = "") {
  std::string message = "type " + display_name(type) + " has no StarRocks mapping";
  if (!why.empty()) message += " (" + why + ")";
  return {message};
}

// "ext.hstore" -> "hstore": format_type() qualifies a type that is not on the search_path.
std::string_view unqualified(std::string_view name) {
  auto dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// varchar(n) / char(n): n characters of up to 4 UTF-8 bytes each; without n, unbounded.
// bpchar's padding is part of the text, so it stays a VARCHAR (StarRocks CHAR is at most 255 bytes).
column_mapping characters(std::int32_t typmod) {
  return typmod < varhdrsz ? unbounded_text() : varchar(4LL * (typmod - varhdrsz));
}

// bit(n) / varbit(n): one '0' or '1' per bit.
column_mapping bits(std::int32_t typmod) { return typmod < 0 ? unbounded_text() : varchar(typmod); }

column_mapping decimal(int precision, int scale, const mapping_options& options) {
  auto m = of("DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")", value_form::decimal);
  m.nan_to_null = options.numeric_nan_to_null;
  return m;
}

// numeric(p,s) -> DECIMAL(p,s). PostgreSQL 15 also takes a negative scale (values rounded to
// 10^-s) and a scale above the precision (|x| < 10^(p-s)); DECIMAL(p-s,0) and DECIMAL(s,s)
// hold the same values. Above 38 digits StarRocks has no exact type: the text is kept, and
// with it 'NaN' (a constrained numeric cannot be infinite).
column_mapping numeric(std::int32_t typmod, const mapping_options& options) {
  if (typmod < varhdrsz)
    return options.unconstrained_numeric_as_string ? unbounded_text()
                                                   : decimal(max_decimal_precision, options.unconstrained_numeric_scale, options);
  int precision = ((typmod - varhdrsz) >> 16) & 0xffff;
  int scale = (((typmod - varhdrsz) & 0x7ff) ^ 1024) - 1024;  // 11-bit signed, as numeric.c reads it
  if (scale < 0) {
    precision -= scale;
    scale = 0;
  }
  precision = std::max(precision, scale);
  if (precision > max_decimal_precision) return varchar(precision + 3);  // sign, point, leading zero
  return decimal(precision, scale, options);
}

// Built-in scalars with a type of their own; every other built-in scalar (text, xml,
// geometric, ranges, tsvector, pg_lsn, reg*...) is lossless as its text.
std::optional<column_mapping> builtin_scalar(const pg_column_type& type, const mapping_options& options) {
  switch (type.oid) {
    case pt::bool_oid: return of("BOOLEAN", value_form::boolean);
    case pt::int2_oid: return of("SMALLINT", value_form::integer);
    case pt::int4_oid: return of("INT", value_form::integer);
    case pt::int8_oid:
    case pt::oid_oid: return of("BIGINT", value_form::integer);
    case pt::float4_oid: return of("FLOAT", value_form::floating);
    case pt::float8_oid: return of("DOUBLE", value_form::floating);
    case pt::numeric_oid: return numeric(type.typmod, options);
    case pt::money_oid: return of("DECIMAL(19,2)", value_form::money);  // int64 cents
    case pt::date_oid: return of("DATE", value_form::date);
    case pt::timestamp_oid: return of("DATETIME", value_form::timestamp);
    case pt::timestamptz_oid: return of("DATETIME", value_form::timestamptz);
    case pt::json_oid:
    case pt::jsonb_oid: return of("JSON", value_form::json);
    case pt::varchar_oid:
    case pt::bpchar_oid: return characters(type.typmod);
    case pt::char_oid: return varchar(4);    // one byte; a high one prints as '\377'
    case pt::name_oid: return varchar(256);  // NAMEDATALEN - 1 bytes (64 by default, 256 leaves room)
    case pt::uuid_oid: return varchar(36);
    case pt::time_oid:
    case pt::timetz_oid: return varchar(32);  // '12:34:56.789012+05:30:00' at most
    case pt::interval_oid: return varchar(128);  // the longest IntervalStyle output is under 90
    case pt::inet_oid:
    case pt::cidr_oid:
    case pt::macaddr_oid:
    case macaddr8_oid: return varchar(64);
    case pt::bit_oid:
    case pt::varbit_oid: return bits(type.typmod);
    default: return std::nullopt;
  }
}

// A JSON column holds an array of documents (json, jsonb, hstore, rows) as well.
mapping_result array_of(const pg_column_type& type, const pg_column_type& element, const mapping_options& options) {
  auto mapped = map_type(element, options);
  if (auto* error = std::get_if<mapping_error>(&mapped)) return no_mapping(type, "its elements: " + error->message);
  auto element_mapping = std::make_shared<const column_mapping>(std::get<column_mapping>(std::move(mapped)));
  const auto& inner = element_mapping->starrocks_type;
  auto m = of(inner == "JSON" ? "JSON" : "ARRAY<" + inner + ">", value_form::array);
  m.element = std::move(element_mapping);
  return m;
}

mapping_result composite(const pg_column_type& type, const mapping_options& options) {
  auto m = of("JSON", value_form::composite);
  std::string unmapped;
  for (const auto& [name, field_type] : type.fields) {
    auto mapped = map_type(field_type, options);
    if (auto* error = std::get_if<mapping_error>(&mapped))
      unmapped += (unmapped.empty() ? "field " : "; field ") + name + ": " + error->message;
    else
      m.fields.emplace_back(name, std::get<column_mapping>(std::move(mapped)));
  }
  if (!unmapped.empty()) return no_mapping(type, unmapped);
  return m;
}

// Types created at run time: arrays of them, rows, enums, ranges, and the extension types
// whose text this knows.
mapping_result runtime_type(const pg_column_type& type, const mapping_options& options) {
  if (type.element) return array_of(type, *type.element, options);
  switch (type.typtype) {
    case 'c': return composite(type, options);
    case 'e': return varchar(256);  // a label is at most NAMEDATALEN - 1 bytes
    case 'r':
    case 'm': return unbounded_text();
    case 'd': return no_mapping(type, "a domain: the engine maps its base type");
    case 'p': return no_mapping(type, "a pseudo-type");
    default: break;
  }
  auto name = unqualified(type.name);
  if (name == "hstore") return of("JSON", value_form::hstore);
  if (name == "citext") return unbounded_text();
  return no_mapping(type, "an extension type pg2sr does not know");
}

}  // namespace

mapping_result map_type(const pg_column_type& type, const mapping_options& options) {
  const pt::type_info* builtin = pt::find_type(type.oid);
  if (builtin == nullptr) {
    if (type.oid < pt::first_normal_oid) return no_mapping(type, type.typtype == 'p' ? "a pseudo-type" : "");
    return runtime_type(type, options);
  }
  // int2vector and oidvector are category 'A' too, but print space-separated lists: only
  // the '_'-named types are true arrays.
  if (builtin->is_array() && builtin->name.starts_with('_')) {
    if (type.element) return array_of(type, *type.element, options);
    const pt::type_info* element = pt::find_type(builtin->element_oid);
    pg_column_type element_type;
    element_type.oid = builtin->element_oid;
    element_type.typmod = type.typmod;  // an array column's typmod is its elements'
    element_type.name = element != nullptr ? std::string(element->name) : "";
    return array_of(type, element_type, options);
  }
  if (auto m = builtin_scalar(type, options)) return *m;
  return unbounded_text();
}

bool usable_in_primary_key(const column_mapping& mapping) {
  switch (mapping.form) {
    case value_form::string:  // always a VARCHAR
    case value_form::integer:
    case value_form::boolean:
    case value_form::date:
    case value_form::timestamp:
    case value_form::timestamptz: return true;
    default: return false;
  }
}

bool usable_in_sort_key(const column_mapping& mapping) {
  return usable_in_primary_key(mapping) || mapping.form == value_form::decimal || mapping.form == value_form::money;
}

column_mapping primary_key_mapping(const column_mapping& mapping) {
  if (usable_in_primary_key(mapping)) return mapping;
  switch (mapping.form) {
    case value_form::decimal:
    case value_form::money:
    case value_form::floating: return varchar(64);  // '-1.7976931348623157e+308', 38 digits with sign and point
    default: return unbounded_text();
  }
}

}  // namespace pg2sr::codecs::starrocks
