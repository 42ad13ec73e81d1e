// PostgreSQL -> StarRocks: the column type a PostgreSQL column gets in StarRocks and the
// form its values take in a Stream Load body. Pure: what the catalog says of a type comes
// in as a pg_column_type, filled by the engine (domains resolved to their base type, enum
// labels, composite fields, array elements).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "codecs/pg_types.hpp"

namespace pg2sr::codecs::starrocks {

using pg_types::oid_t;

/// How PostgreSQL's text output of a value is written into a load (JSON or CSV).
enum class value_form : std::uint8_t {
  string,       ///< the text as is (text, varchar, char, uuid, interval, inet, enum, time...)
  integer,      ///< int2/4/8, oid: the digits, unquoted in JSON
  decimal,      ///< numeric/decimal: digits, unquoted; NaN/Infinity per numeric_nan
  floating,     ///< float4/8: digits unquoted; NaN/Infinity/-Infinity as StarRocks reads them
  boolean,      ///< 't'/'f' -> true/false
  date,         ///< date: 'YYYY-MM-DD' (infinity/BC cannot be held: error)
  timestamp,    ///< timestamp without time zone: 'YYYY-MM-DD HH:MM:SS[.ffffff]'
  timestamptz,  ///< timestamptz: converted to UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]'
  money,        ///< the server's money text ('$1,234.56') -> plain decimal
  bytea,        ///< '\x0a0b' -> the bytes as a hex string '0a0b' (StarRocks VARBINARY reads hex)
  json,         ///< json/jsonb: the document itself (an embedded value in JSON loads)
  array,        ///< PostgreSQL array -> JSON array; elements in `element`'s form
  hstore,       ///< hstore -> JSON object of string (or null) values
  composite,    ///< row type '(a,b)' -> JSON object keyed by `fields`
};

/// What the catalog says of a column's type (the engine fills it; domains already
/// replaced by their base type, typmod kept from the column).
struct pg_column_type {
  oid_t oid = 0;
  std::int32_t typmod = -1;  ///< atttypmod: varchar(n) n+4, numeric ((p << 16) | s) + 4, else -1
  std::string name;          ///< format_type(), e.g. "character varying(20)", "mood", "integer[]"
  char typtype = 'b';        ///< pg_type.typtype: b base, c composite, d domain, e enum, r range, m multirange
  std::shared_ptr<const pg_column_type> element;  ///< arrays: the element type
  std::vector<std::pair<std::string, pg_column_type>> fields;  ///< composites: attribute name and type
};

/// The StarRocks column and the value form for one PostgreSQL column.
struct column_mapping {
  std::string starrocks_type;  ///< "BIGINT", "DECIMAL(10,2)", "VARCHAR(65533)", "ARRAY<INT>", "JSON"...
  value_form form = value_form::string;
  std::shared_ptr<const column_mapping> element;  ///< array: its elements' mapping
  std::vector<std::pair<std::string, column_mapping>> fields;  ///< composite: its fields' mappings
  bool nan_to_null = false;  ///< decimal: NaN/Infinity load as NULL instead of failing
};

struct mapping_options {
  bool unconstrained_numeric_as_string = false;  ///< numeric without (p,s): STRING, else DECIMAL(38, scale)
  int unconstrained_numeric_scale = 9;
  bool numeric_nan_to_null = false;
};

/// Why a type has no mapping, e.g. "type point has no StarRocks mapping".
struct mapping_error {
  std::string message;
};

/// The mapping of one PostgreSQL type, or why there is none.
std::variant<column_mapping, mapping_error> map_type(const pg_column_type& type, const mapping_options& options);

}  // namespace pg2sr::codecs::starrocks
