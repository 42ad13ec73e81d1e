// Bodies of Stream Load requests in the StarRocks emulator: the format headers, streaming
// decompression (GZIP, DEFLATE, LZ4_FRAME, ZSTD), CSV and JSON parsing into row changes with
// the rows StarRocks would filter, and a cheap row counter for discard mode.
#pragma once

#include "tests/emulator/table_store.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pg2sr::test::starrocks {

enum class body_format { csv, json };

/// What the request headers say about the body.
struct load_options {
  body_format format = body_format::csv;
  std::string column_separator = "\t";
  std::string row_delimiter = "\n";
  /// `escape` and `enclose` (StarRocks >= 3.0): the first byte of the header; 0 = unset, as in
  /// StarRocks, whose CSV scanner compares bytes with both once either is set (a NUL byte in
  /// the body then acts as the unset one).
  char escape = 0;
  char enclose = 0;
  std::optional<std::vector<std::string>> columns;  ///< the `columns` header, split
  bool strip_outer_array = false;
  std::string json_root;  ///< "$.a.b"; empty = the document
  std::string jsonpaths;  ///< JSON array of "$.a" paths; empty = match keys by name
  bool partial_update = false;
  bool strict_mode = false;
  double max_filter_ratio = 0;
  std::string compression;  ///< GZIP | DEFLATE | LZ4_FRAME | ZSTD, empty = none
  bool already_decoded = false;  ///< the HTTP layer already undid Content-Encoding (gzip)
};

/// Reads the format headers; the error is the message StarRocks answers with.
/// `header(name)` returns the header's value or "" (names as StarRocks spells them).
std::variant<load_options, std::string> parse_load_options(
    const std::function<std::string(const std::string&)>& header);

/// Streaming decompression of a body.
class body_decoder {
 public:
  virtual ~body_decoder() = default;
  /// Appends the decoded bytes of `data` to `out`; false with `error` on corrupt input.
  virtual bool feed(std::string_view data, std::string& out, std::string& error) = 0;
  /// Ends the stream; false when it was truncated.
  virtual bool finish(std::string& out, std::string& error) = 0;
};

/// A decoder for options.compression (identity when none); nullptr with `error` for a
/// compression the emulator does not speak.
std::unique_ptr<body_decoder> make_body_decoder(const load_options& options, std::string& error);

/// Counts rows without parsing them (discard mode): CSV row delimiters (with escape or
/// enclose, only those that end a row), JSON objects at the row level. Fed in chunks.
class row_counter {
 public:
  explicit row_counter(const load_options& options);
  void feed(std::string_view data);
  std::uint64_t finish();

 private:
  load_options options_;
  std::uint64_t rows_ = 0;
  /// CSV: the last delimiter-size - 1 bytes; with escape or enclose, the rows not yet counted
  /// (a row is counted once its end is in)
  std::string tail_;
  bool record_open_ = false;
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
};

/// A row StarRocks would filter, with the reason it gives.
struct error_row {
  std::string reason;
  std::string raw;
};

/// The rows of one body.
struct parsed_rows {
  std::vector<row_change> changes;
  std::vector<bool> loaded;  ///< per table column: set by this load
  std::vector<error_row> errors;
  std::uint64_t total_rows = 0;  ///< changes + errors
};

/// Parses a decoded body against the table. A string result is a failure of the whole
/// load (a plan error such as an unsupported `columns` expression), not of one row.
std::variant<parsed_rows, std::string> parse_rows(const table_data& table, const load_options& options,
                                                  std::string_view body);

}  // namespace pg2sr::test::starrocks
