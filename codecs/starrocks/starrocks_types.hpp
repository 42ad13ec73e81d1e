// PostgreSQL -> StarRocks: the column type a PostgreSQL column gets in StarRocks and the
// form its values take in a Stream Load body. Pure: what the catalog says of a type comes
// in as a pg_column_type, filled by the engine (domains resolved to their base type,
// composite fields, array elements).
//
// Every value arrives as PostgreSQL's text output (pgoutput text mode, COPY text): a form
// says how that text is written into a load. Where StarRocks has no exact type, the column
// is a VARCHAR holding exactly the text SELECT shows (form `string`), which is lossless.
// StarRocks VARCHAR lengths count bytes, PostgreSQL's count characters: UTF-8 takes up to 4
// bytes a character, so varchar(n) becomes VARCHAR(4n). bytea too is a VARCHAR of its
// '\x0a0b' text: StarRocks does not document decoding hex when text is loaded into
// VARBINARY, and a VARBINARY column cannot be a key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "codecs/values/pg_types.hpp"

namespace pg2sr::codecs::starrocks {

using pg_types::oid_t;

/// The longest StarRocks VARCHAR, in bytes (StarRocks 2.1+); also what unbounded text gets.
inline constexpr int max_varchar_bytes = 1048576;

/// How PostgreSQL's text output of a value is written into a load (JSON or CSV). NULL is
/// always NULL (JSON null, CSV \N), whatever the form.
enum class value_form : std::uint8_t {
  string,       ///< the text exactly as SELECT shows it, a JSON string: text, varchar, bpchar with
                ///< its padding, uuid, time, interval, inet, enum labels, bytea as '\x0a0b', xml,
                ///< ranges, numeric above 38 digits (and its 'NaN'), key columns of other forms...
  integer,      ///< int2/4/8, oid: the digits, unquoted in JSON
  decimal,      ///< numeric within DECIMAL(p,s): the digits, unquoted in JSON; NaN/Infinity/-Infinity
                ///< are NULL when `nan_to_null`, else the row is refused naming table and column
  floating,     ///< float4/8: the digits unquoted in JSON ('1.5e+300' as is); NaN/Infinity/-Infinity
                ///< are not JSON numbers: written as StarRocks reads them, or refused
  boolean,      ///< 't'/'f' -> true/false
  date,         ///< date: 'YYYY-MM-DD' as is; BC dates, years above 9999 and infinity are refused
  timestamp,    ///< timestamp: 'YYYY-MM-DD HH:MM:SS[.ffffff]' as is (DateStyle ISO); BC, years
                ///< above 9999 and infinity are refused
  timestamptz,  ///< timestamptz: '2024-01-02 03:04:05.5+02' converted to UTC and written without
                ///< offset, '2024-01-02 01:04:05.5'; out of DATETIME's range refused as above
  money,        ///< money text ('$1,234.56', '-$0.50') -> plain decimal '1234.56', '-0.50'
                ///< (lc_monetary with 2 fraction digits, as DECIMAL(19,2) assumes)
  json,         ///< json/jsonb: the document itself, embedded (not quoted) in JSON loads
  array,        ///< one-dimensional array '{1,NULL,"a b"}' -> JSON array [1,null,"a b"], elements in
                ///< `element`'s form; a value with more dimensions is refused (the catalog does not
                ///< know a column's dimensions, so the column is ARRAY<element>)
  hstore,       ///< hstore '"a"=>"1", "b"=>NULL' -> JSON object {"a":"1","b":null}
  composite,    ///< row '(1,"a b",)' -> JSON object {"f1":1,"f2":"a b","f3":null} keyed by `fields`
};

/// What the catalog says of a column's type (the engine fills it; domains already
/// replaced by their base type, typmod kept from the column or the domain).
struct pg_column_type {
  oid_t oid = 0;
  std::int32_t typmod = -1;  ///< atttypmod: varchar(n) n+4, numeric ((p << 16) | s) + 4, bit(n) n, else -1
  std::string name;          ///< format_type(), e.g. "character varying(20)", "mood", "integer[]",
                             ///< "ext.hstore" (schema-qualified when not on the search_path)
  char typtype = 'b';        ///< pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange
  std::shared_ptr<const pg_column_type> element;  ///< arrays: the element type (built-in arrays may leave it out)
  std::vector<std::pair<std::string, pg_column_type>> fields;  ///< composites: attribute name and type
};

/// The StarRocks column and the value form for one PostgreSQL column.
struct column_mapping {
  std::string starrocks_type;  ///< "BIGINT", "DECIMAL(10,2)", "VARCHAR(1048576)", "ARRAY<INT>", "JSON"...
  value_form form = value_form::string;
  std::shared_ptr<const column_mapping> element;  ///< array: its elements' mapping
  std::vector<std::pair<std::string, column_mapping>> fields;  ///< composite: its fields' mappings
  bool nan_to_null = false;  ///< decimal: NaN/Infinity load as NULL instead of failing
};

struct mapping_options {
  bool unconstrained_numeric_as_string = false;  ///< numeric without (p,s): VARCHAR text, else DECIMAL(38, scale)
  int unconstrained_numeric_scale = 9;
  bool numeric_nan_to_null = false;
};

/// Why a type has no mapping, e.g. "type cube has no StarRocks mapping".
struct mapping_error {
  std::string message;
};

/// The mapping of one PostgreSQL type, or why there is none.
std::variant<column_mapping, mapping_error> map_type(const pg_column_type& type, const mapping_options& options);

/// True when StarRocks accepts the column in a PRIMARY KEY: BOOLEAN, integers, DATE,
/// DATETIME and VARCHAR (not DECIMAL, FLOAT, DOUBLE, JSON nor ARRAY).
bool usable_in_primary_key(const column_mapping& mapping);

/// True when it can be a Duplicate Key table's sort key and bucketing column: what a
/// primary key takes, and DECIMAL.
bool usable_in_sort_key(const column_mapping& mapping);

/// The mapping a primary key column gets: `mapping` itself when StarRocks takes it in a
/// key, else a VARCHAR holding PostgreSQL's text (form string). The text of a numeric,
/// float, jsonb, array or row value is canonical, so equal keys stay equal.
column_mapping primary_key_mapping(const column_mapping& mapping);

}  // namespace pg2sr::codecs::starrocks
