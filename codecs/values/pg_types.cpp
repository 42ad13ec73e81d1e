// Built-in PostgreSQL types, from PostgreSQL 15's pg_catalog (see pg_types.hpp).
#include "codecs/values/pg_types.hpp"

#include <algorithm>

namespace pg2sr::codecs::pg_types {
namespace {

// oid, typname, typcategory, typelem, typarray, typdelim; ordered by oid for binary search.
constexpr type_info builtin_table[] = {
    {16, "bool", category::boolean, 0, 1000, ','},
    {17, "bytea", category::user_defined, 0, 1001, ','},
    {18, "char", category::internal, 0, 1002, ','},
    {19, "name", category::string, 18, 1003, ','},
    {20, "int8", category::numeric, 0, 1016, ','},
    {21, "int2", category::numeric, 0, 1005, ','},
    {22, "int2vector", category::array, 21, 1006, ','},
    {23, "int4", category::numeric, 0, 1007, ','},
    {24, "regproc", category::numeric, 0, 1008, ','},
    {25, "text", category::string, 0, 1009, ','},
    {26, "oid", category::numeric, 0, 1028, ','},
    {27, "tid", category::user_defined, 0, 1010, ','},
    {28, "xid", category::user_defined, 0, 1011, ','},
    {29, "cid", category::user_defined, 0, 1012, ','},
    {30, "oidvector", category::array, 26, 1013, ','},
    {114, "json", category::user_defined, 0, 199, ','},
    {142, "xml", category::user_defined, 0, 143, ','},
    {143, "_xml", category::array, 142, 0, ','},
    {194, "pg_node_tree", category::internal, 0, 0, ','},
    {199, "_json", category::array, 114, 0, ','},
    {271, "_xid8", category::array, 5069, 0, ','},
    {600, "point", category::geometric, 701, 1017, ','},
    {601, "lseg", category::geometric, 600, 1018, ','},
    {602, "path", category::geometric, 0, 1019, ','},
    {603, "box", category::geometric, 600, 1020, ';'},
    {604, "polygon", category::geometric, 0, 1027, ','},
    {628, "line", category::geometric, 701, 629, ','},
    {629, "_line", category::array, 628, 0, ','},
    {650, "cidr", category::network, 0, 651, ','},
    {651, "_cidr", category::array, 650, 0, ','},
    {700, "float4", category::numeric, 0, 1021, ','},
    {701, "float8", category::numeric, 0, 1022, ','},
    {718, "circle", category::geometric, 0, 719, ','},
    {719, "_circle", category::array, 718, 0, ','},
    {774, "macaddr8", category::user_defined, 0, 775, ','},
    {775, "_macaddr8", category::array, 774, 0, ','},
    {790, "money", category::numeric, 0, 791, ','},
    {791, "_money", category::array, 790, 0, ','},
    {829, "macaddr", category::user_defined, 0, 1040, ','},
    {869, "inet", category::network, 0, 1041, ','},
    {1000, "_bool", category::array, 16, 0, ','},
    {1001, "_bytea", category::array, 17, 0, ','},
    {1002, "_char", category::array, 18, 0, ','},
    {1003, "_name", category::array, 19, 0, ','},
    {1005, "_int2", category::array, 21, 0, ','},
    {1006, "_int2vector", category::array, 22, 0, ','},
    {1007, "_int4", category::array, 23, 0, ','},
    {1008, "_regproc", category::array, 24, 0, ','},
    {1009, "_text", category::array, 25, 0, ','},
    {1010, "_tid", category::array, 27, 0, ','},
    {1011, "_xid", category::array, 28, 0, ','},
    {1012, "_cid", category::array, 29, 0, ','},
    {1013, "_oidvector", category::array, 30, 0, ','},
    {1014, "_bpchar", category::array, 1042, 0, ','},
    {1015, "_varchar", category::array, 1043, 0, ','},
    {1016, "_int8", category::array, 20, 0, ','},
    {1017, "_point", category::array, 600, 0, ','},
    {1018, "_lseg", category::array, 601, 0, ','},
    {1019, "_path", category::array, 602, 0, ','},
    {1020, "_box", category::array, 603, 0, ';'},
    {1021, "_float4", category::array, 700, 0, ','},
    {1022, "_float8", category::array, 701, 0, ','},
    {1027, "_polygon", category::array, 604, 0, ','},
    {1028, "_oid", category::array, 26, 0, ','},
    {1033, "aclitem", category::user_defined, 0, 1034, ','},
    {1034, "_aclitem", category::array, 1033, 0, ','},
    {1040, "_macaddr", category::array, 829, 0, ','},
    {1041, "_inet", category::array, 869, 0, ','},
    {1042, "bpchar", category::string, 0, 1014, ','},
    {1043, "varchar", category::string, 0, 1015, ','},
    {1082, "date", category::datetime, 0, 1182, ','},
    {1083, "time", category::datetime, 0, 1183, ','},
    {1114, "timestamp", category::datetime, 0, 1115, ','},
    {1115, "_timestamp", category::array, 1114, 0, ','},
    {1182, "_date", category::array, 1082, 0, ','},
    {1183, "_time", category::array, 1083, 0, ','},
    {1184, "timestamptz", category::datetime, 0, 1185, ','},
    {1185, "_timestamptz", category::array, 1184, 0, ','},
    {1186, "interval", category::timespan, 0, 1187, ','},
    {1187, "_interval", category::array, 1186, 0, ','},
    {1231, "_numeric", category::array, 1700, 0, ','},
    {1263, "_cstring", category::array, 2275, 0, ','},
    {1266, "timetz", category::datetime, 0, 1270, ','},
    {1270, "_timetz", category::array, 1266, 0, ','},
    {1560, "bit", category::bit_string, 0, 1561, ','},
    {1561, "_bit", category::array, 1560, 0, ','},
    {1562, "varbit", category::bit_string, 0, 1563, ','},
    {1563, "_varbit", category::array, 1562, 0, ','},
    {1700, "numeric", category::numeric, 0, 1231, ','},
    {1790, "refcursor", category::user_defined, 0, 2201, ','},
    {2201, "_refcursor", category::array, 1790, 0, ','},
    {2202, "regprocedure", category::numeric, 0, 2207, ','},
    {2203, "regoper", category::numeric, 0, 2208, ','},
    {2204, "regoperator", category::numeric, 0, 2209, ','},
    {2205, "regclass", category::numeric, 0, 2210, ','},
    {2206, "regtype", category::numeric, 0, 2211, ','},
    {2207, "_regprocedure", category::array, 2202, 0, ','},
    {2208, "_regoper", category::array, 2203, 0, ','},
    {2209, "_regoperator", category::array, 2204, 0, ','},
    {2210, "_regclass", category::array, 2205, 0, ','},
    {2211, "_regtype", category::array, 2206, 0, ','},
    {2949, "_txid_snapshot", category::array, 2970, 0, ','},
    {2950, "uuid", category::user_defined, 0, 2951, ','},
    {2951, "_uuid", category::array, 2950, 0, ','},
    {2970, "txid_snapshot", category::user_defined, 0, 2949, ','},
    {3220, "pg_lsn", category::user_defined, 0, 3221, ','},
    {3221, "_pg_lsn", category::array, 3220, 0, ','},
    {3361, "pg_ndistinct", category::internal, 0, 0, ','},
    {3402, "pg_dependencies", category::internal, 0, 0, ','},
    {3614, "tsvector", category::user_defined, 0, 3643, ','},
    {3615, "tsquery", category::user_defined, 0, 3645, ','},
    {3642, "gtsvector", category::user_defined, 0, 3644, ','},
    {3643, "_tsvector", category::array, 3614, 0, ','},
    {3644, "_gtsvector", category::array, 3642, 0, ','},
    {3645, "_tsquery", category::array, 3615, 0, ','},
    {3734, "regconfig", category::numeric, 0, 3735, ','},
    {3735, "_regconfig", category::array, 3734, 0, ','},
    {3769, "regdictionary", category::numeric, 0, 3770, ','},
    {3770, "_regdictionary", category::array, 3769, 0, ','},
    {3802, "jsonb", category::user_defined, 0, 3807, ','},
    {3807, "_jsonb", category::array, 3802, 0, ','},
    {3904, "int4range", category::range, 0, 3905, ','},
    {3905, "_int4range", category::array, 3904, 0, ','},
    {3906, "numrange", category::range, 0, 3907, ','},
    {3907, "_numrange", category::array, 3906, 0, ','},
    {3908, "tsrange", category::range, 0, 3909, ','},
    {3909, "_tsrange", category::array, 3908, 0, ','},
    {3910, "tstzrange", category::range, 0, 3911, ','},
    {3911, "_tstzrange", category::array, 3910, 0, ','},
    {3912, "daterange", category::range, 0, 3913, ','},
    {3913, "_daterange", category::array, 3912, 0, ','},
    {3926, "int8range", category::range, 0, 3927, ','},
    {3927, "_int8range", category::array, 3926, 0, ','},
    {4072, "jsonpath", category::user_defined, 0, 4073, ','},
    {4073, "_jsonpath", category::array, 4072, 0, ','},
    {4089, "regnamespace", category::numeric, 0, 4090, ','},
    {4090, "_regnamespace", category::array, 4089, 0, ','},
    {4096, "regrole", category::numeric, 0, 4097, ','},
    {4097, "_regrole", category::array, 4096, 0, ','},
    {4191, "regcollation", category::numeric, 0, 4192, ','},
    {4192, "_regcollation", category::array, 4191, 0, ','},
    {4451, "int4multirange", category::range, 0, 6150, ','},
    {4532, "nummultirange", category::range, 0, 6151, ','},
    {4533, "tsmultirange", category::range, 0, 6152, ','},
    {4534, "tstzmultirange", category::range, 0, 6153, ','},
    {4535, "datemultirange", category::range, 0, 6155, ','},
    {4536, "int8multirange", category::range, 0, 6157, ','},
    {4600, "pg_brin_bloom_summary", category::internal, 0, 0, ','},
    {4601, "pg_brin_minmax_multi_summary", category::internal, 0, 0, ','},
    {5017, "pg_mcv_list", category::internal, 0, 0, ','},
    {5038, "pg_snapshot", category::user_defined, 0, 5039, ','},
    {5039, "_pg_snapshot", category::array, 5038, 0, ','},
    {5069, "xid8", category::user_defined, 0, 271, ','},
    {6150, "_int4multirange", category::array, 4451, 0, ','},
    {6151, "_nummultirange", category::array, 4532, 0, ','},
    {6152, "_tsmultirange", category::array, 4533, 0, ','},
    {6153, "_tstzmultirange", category::array, 4534, 0, ','},
    {6155, "_datemultirange", category::array, 4535, 0, ','},
    {6157, "_int8multirange", category::array, 4536, 0, ','},
};

constexpr bool ordered_by_oid() {
  for (std::size_t i = 1; i < std::size(builtin_table); ++i) {
    if (builtin_table[i - 1].oid >= builtin_table[i].oid) return false;
  }
  return true;
}
static_assert(ordered_by_oid(), "builtin_table must be sorted by oid");

}  // namespace

std::span<const type_info> builtin_types() { return builtin_table; }

const type_info* find_type(oid_t oid) {
  const auto* end = std::end(builtin_table);
  const auto* it = std::lower_bound(std::begin(builtin_table), end, oid,
                                    [](const type_info& t, oid_t o) { return t.oid < o; });
  return it != end && it->oid == oid ? it : nullptr;
}

const type_info* find_type(std::string_view name) {
  for (const auto& t : builtin_table) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

oid_t element_of(oid_t array_oid) {
  const type_info* t = find_type(array_oid);
  return t != nullptr && t->is_array() ? t->element_oid : 0;
}

namespace {

text_kind kind_of_builtin(const type_info& t) {
  switch (t.oid) {
    case bool_oid: return text_kind::boolean;
    case int2_oid: return text_kind::int2;
    case int4_oid: return text_kind::int4;
    case int8_oid: return text_kind::int8;
    case oid_oid: return text_kind::oid;
    case float4_oid: return text_kind::float4;
    case float8_oid: return text_kind::float8;
    case numeric_oid: return text_kind::numeric;
    case money_oid: return text_kind::money;
    case date_oid: return text_kind::date;
    case time_oid: return text_kind::time;
    case timetz_oid: return text_kind::timetz;
    case timestamp_oid: return text_kind::timestamp;
    case timestamptz_oid: return text_kind::timestamptz;
    case interval_oid: return text_kind::interval;
    case uuid_oid: return text_kind::uuid;
    case bytea_oid: return text_kind::bytea;
    case json_oid: return text_kind::json;
    case jsonb_oid: return text_kind::jsonb;
    default: break;
  }
  // int2vector and oidvector are category 'A' too, but print space-separated lists, not
  // array literals: only the '_'-named types are true arrays.
  if (t.is_array() && t.name.starts_with('_')) return text_kind::array;
  return text_kind::text;
}

}  // namespace

text_kind kind_of(oid_t oid, std::string_view type_name) {
  if (const type_info* t = find_type(oid)) return kind_of_builtin(*t);
  if (oid < first_normal_oid) return text_kind::text;
  // Run-time types: arrays of enums, domains, composites and extension types are named
  // "_<element>" by PostgreSQL.
  if (type_name.starts_with('_')) return text_kind::array;
  if (type_name == "hstore") return text_kind::hstore;
  return text_kind::text;
}

std::string_view to_string(text_kind kind) {
  switch (kind) {
    case text_kind::text: return "text";
    case text_kind::boolean: return "boolean";
    case text_kind::int2: return "int2";
    case text_kind::int4: return "int4";
    case text_kind::int8: return "int8";
    case text_kind::oid: return "oid";
    case text_kind::float4: return "float4";
    case text_kind::float8: return "float8";
    case text_kind::numeric: return "numeric";
    case text_kind::money: return "money";
    case text_kind::date: return "date";
    case text_kind::time: return "time";
    case text_kind::timetz: return "timetz";
    case text_kind::timestamp: return "timestamp";
    case text_kind::timestamptz: return "timestamptz";
    case text_kind::interval: return "interval";
    case text_kind::uuid: return "uuid";
    case text_kind::bytea: return "bytea";
    case text_kind::json: return "json";
    case text_kind::jsonb: return "jsonb";
    case text_kind::array: return "array";
    case text_kind::hstore: return "hstore";
  }
  return "?";
}

}  // namespace pg2sr::codecs::pg_types
