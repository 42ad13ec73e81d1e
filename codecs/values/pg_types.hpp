// Built-in PostgreSQL types: OID -> name, category, array element, and which pg_values parser
// reads the type's text output.
//
// The table holds every base, range and multirange type of pg_catalog in PostgreSQL 15
// (pg_type.dat). Types created at run time (enums, domains, composites, extension types such
// as hstore) have OIDs above 16384 that differ per database: the pgoutput Relation and Type
// messages name them, and `kind_of` falls back to the type name for the extension types it
// knows. A type nobody knows is kept as text, never lost.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace pg2sr::codecs::pg_types {

using oid_t = std::uint32_t;

// ---- OIDs the engine refers to by name (PostgreSQL's FOOOID macros) ---------------------

inline constexpr oid_t bool_oid = 16;
inline constexpr oid_t bytea_oid = 17;
inline constexpr oid_t char_oid = 18;
inline constexpr oid_t name_oid = 19;
inline constexpr oid_t int8_oid = 20;
inline constexpr oid_t int2_oid = 21;
inline constexpr oid_t int4_oid = 23;
inline constexpr oid_t text_oid = 25;
inline constexpr oid_t oid_oid = 26;
inline constexpr oid_t json_oid = 114;
inline constexpr oid_t xml_oid = 142;
inline constexpr oid_t point_oid = 600;
inline constexpr oid_t cidr_oid = 650;
inline constexpr oid_t float4_oid = 700;
inline constexpr oid_t float8_oid = 701;
inline constexpr oid_t money_oid = 790;
inline constexpr oid_t macaddr_oid = 829;
inline constexpr oid_t inet_oid = 869;
inline constexpr oid_t bpchar_oid = 1042;
inline constexpr oid_t varchar_oid = 1043;
inline constexpr oid_t date_oid = 1082;
inline constexpr oid_t time_oid = 1083;
inline constexpr oid_t timestamp_oid = 1114;
inline constexpr oid_t timestamptz_oid = 1184;
inline constexpr oid_t interval_oid = 1186;
inline constexpr oid_t timetz_oid = 1266;
inline constexpr oid_t bit_oid = 1560;
inline constexpr oid_t varbit_oid = 1562;
inline constexpr oid_t numeric_oid = 1700;
inline constexpr oid_t uuid_oid = 2950;
inline constexpr oid_t tsvector_oid = 3614;
inline constexpr oid_t jsonb_oid = 3802;

inline constexpr oid_t bool_array_oid = 1000;
inline constexpr oid_t bytea_array_oid = 1001;
inline constexpr oid_t int2_array_oid = 1005;
inline constexpr oid_t int4_array_oid = 1007;
inline constexpr oid_t text_array_oid = 1009;
inline constexpr oid_t bpchar_array_oid = 1014;
inline constexpr oid_t varchar_array_oid = 1015;
inline constexpr oid_t int8_array_oid = 1016;
inline constexpr oid_t float4_array_oid = 1021;
inline constexpr oid_t float8_array_oid = 1022;
inline constexpr oid_t timestamp_array_oid = 1115;
inline constexpr oid_t date_array_oid = 1182;
inline constexpr oid_t timestamptz_array_oid = 1185;
inline constexpr oid_t numeric_array_oid = 1231;
inline constexpr oid_t json_array_oid = 199;
inline constexpr oid_t uuid_array_oid = 2951;
inline constexpr oid_t jsonb_array_oid = 3807;

/// The first OID a database assigns at run time (FirstNormalObjectId): every OID below it
/// that is a type is built in.
inline constexpr oid_t first_normal_oid = 16384;

// ---- the table ---------------------------------------------------------------------------

/// pg_type.typcategory; the enumerator's value is PostgreSQL's letter.
enum class category : char {
  array = 'A',
  boolean = 'B',
  composite = 'C',
  datetime = 'D',
  enumeration = 'E',
  geometric = 'G',
  network = 'I',
  numeric = 'N',
  pseudo = 'P',
  range = 'R',
  string = 'S',
  timespan = 'T',
  user_defined = 'U',
  bit_string = 'V',
  unknown = 'X',
  internal = 'Z',
};

/// One row of pg_type, as far as the engine needs it.
struct type_info {
  oid_t oid = 0;
  std::string_view name;   ///< typname: "int4", "_int4", "timestamptz"
  category cat = category::user_defined;
  oid_t element_oid = 0;   ///< typelem; set for arrays (and for a few fixed-size types like point)
  oid_t array_oid = 0;     ///< typarray: the type of an array of this type, 0 if none
  char delimiter = ',';    ///< typdelim: separates this type's elements in an array literal
  bool is_array() const { return cat == category::array; }
};

/// Every built-in base, range and multirange type, ordered by OID.
std::span<const type_info> builtin_types();

/// The built-in type with this OID, or nullptr.
const type_info* find_type(oid_t oid);

/// The built-in type with this typname ("int4", "_text"), or nullptr.
const type_info* find_type(std::string_view name);

/// The element type of a built-in array type, or 0 when `oid` is not a built-in array.
oid_t element_of(oid_t array_oid);

// ---- which parser reads the text output -----------------------------------------------

/// How a type's text output is read: which pg_values parser applies. `text` means the value
/// is carried verbatim (strings, and every type without a dedicated parser).
enum class text_kind : std::uint8_t {
  text,
  boolean,
  int2,
  int4,
  int8,
  oid,
  float4,
  float8,
  numeric,
  money,
  date,
  time,
  timetz,
  timestamp,
  timestamptz,
  interval,
  uuid,
  bytea,
  json,
  jsonb,
  array,   ///< any array type: pg_values::parse_array, elements by the element type's kind
  hstore,  ///< extension type, recognised by name
};

/// The parser for a type's text output. Built-in types are known by OID; other OIDs by
/// `type_name` (from the pgoutput Type message or the catalog) for the extension types this
/// knows (hstore; citext is text). Anything else is `text_kind::text`.
text_kind kind_of(oid_t oid, std::string_view type_name = {});

std::string_view to_string(text_kind kind);

}  // namespace pg2sr::codecs::pg_types
