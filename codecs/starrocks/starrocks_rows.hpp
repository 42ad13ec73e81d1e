// Stream Load bodies: rows of PostgreSQL text values (as pgoutput or COPY carry them) written
// as StarRocks reads them, in JSON or CSV, each value in its column's value_form. Pure and
// total: a value StarRocks could not hold exactly is an encode_error, never a silent NULL.
//
// JSON: one array of objects, {"c1":1,"c2":"x","__op":0} (`__op` for Primary Key tables); sent with `format: json` and
// `strip_outer_array: true`.
//
// CSV: one line per row, the fields (then `__op`), a single-byte column separator (default
// '\t'), '\n' after each row, NULL as \N. StarRocks splits CSV on the separator and the row
// delimiter with no quoting unless the `escape` / `enclose` headers (StarRocks >= 3.0) say
// otherwise, so these bodies are sent with `escape: ^` (csv_headers()): '^' before a
// separator, a '\n' or a '^' makes it data, and StarRocks drops the '^'. Why '^' and not
// '\': StarRocks compares a field with \N only after removing escapes, so with '\' as the
// escape NULL would have to be written \\N. With an escape byte that \N does not contain,
// \N means NULL however it is read, and backslashes (JSON, paths) pass as they are. What
// CSV cannot carry, JSON can; the encoder says so instead of loading something else:
//   - the text \N itself (StarRocks reads it as NULL after unescaping, whatever is sent);
//   - ARRAY elements with a '"', '\' or control character (StarRocks' CSV array reader
//     does not unescape them).
//
// Value forms (value_form): integers and finite floats are bare JSON numbers; DECIMAL
// columns and money are JSON strings (a JSON number may be read as a double and lose
// digits; StarRocks parses a string by the column's type), array elements bare numbers;
// decimal NaN/Infinity load as NULL when the mapping says nan_to_null, else fail; decimals
// with more fraction digits than DECIMAL(p,s)'s scale (numeric without precision) are
// rounded half away from zero as PostgreSQL rounds, too many integer digits fail; float
// NaN/Infinity/-Infinity are written as PostgreSQL prints them (quoted in JSON), which
// StarRocks' float parser reads; booleans true/false (1/0 in CSV); dates and timestamps as
// they are (infinity, BC and years past 9999 fail: DATE/DATETIME cannot hold them);
// timestamptz converted to UTC; money as a plain decimal with 2 fraction digits (the C /
// en_US lc_monetary); json/jsonb embedded as a JSON value; one-dimensional arrays, hstore
// and composites as JSON arrays / objects, elements and fields in their own form. In CSV
// the nested forms are their JSON text.
//
// Binary-format values (binary pgoutput) are loaded only for string forms, as their bytes:
// right for text, varchar, bpchar, name and enums, whose binary form is their text, wrong
// for others (bytea, uuid...), so such tables need text pgoutput. Other forms fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codecs/pgoutput/pgoutput.hpp"
#include "codecs/starrocks/starrocks_types.hpp"

namespace pg2sr::codecs::starrocks {

/// The target table: column names and mappings in the relation's column order.
struct table_encoding {
  std::vector<std::string> names;
  std::vector<column_mapping> columns;
};

/// One row to load: the relation's values in column order, and whether it is a delete.
struct encoded_row {
  const pgoutput::column_value* values = nullptr;
  std::uint32_t count = 0;
  bool is_delete = false;
};

/// Why a row cannot be loaded.
struct encode_error {
  std::size_t row = 0;  ///< index into the rows passed
  std::string column;
  /// The column, the value (cut to about 64 bytes) and why: 'column price, value "NaN": NaN
  /// cannot be loaded into DECIMAL(10,2); set sink.numeric_nan = "null" to load NULL'.
  std::string message;
};

/// Appends `rows` as one JSON array of objects keyed by the names of `columns` (indexes into
/// the table, written in this order), plus "__op" (0 upsert, 1 delete) when `with_op` (Primary
/// Key tables). The columns must not hold unchanged-TOAST values in any row. On error `out`
/// is left as it was.
std::optional<encode_error> append_json_rows(const table_encoding& table, std::span<const std::size_t> columns,
                                             std::span<const encoded_row> rows, bool with_op, std::string& out);

/// The escape byte of CSV bodies (see the file comment).
inline constexpr char csv_escape = '^';

/// Appends `rows` as CSV lines: the fields of `columns`, then __op when `with_op`.
/// `column_separator` must not be '\n', '\\', 'N', '\0' or csv_escape (each has a meaning in
/// the body). On error `out` is left as it was.
std::optional<encode_error> append_csv_rows(const table_encoding& table, std::span<const std::size_t> columns,
                                            std::span<const encoded_row> rows, bool with_op, std::string& out,
                                            char column_separator = '\t');

/// The `columns` header for a load of `columns`, JSON or CSV: "`c1`,`c2`,__op" (no __op
/// without `with_op`).
std::string columns_header(const table_encoding& table, std::span<const std::size_t> columns, bool with_op);

/// The headers a CSV body of append_csv_rows needs besides `format: csv` and `columns`:
/// column_separator ("\x09" notation when not printable) and escape.
std::vector<std::pair<std::string, std::string>> csv_headers(char column_separator = '\t');

}  // namespace pg2sr::codecs::starrocks
