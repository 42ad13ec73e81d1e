// COPY text format reader: turns the bytes of `COPY (SELECT ...) TO STDOUT` (text format)
// into insert events whose values equal what pgoutput carries as 't' values for the same
// data, so snapshot chunk rows and stream rows compare equal.
//
// Format (PostgreSQL docs, "COPY: Text Format"): one row per line ended by '\n', columns
// separated by '\t', `\N` alone is NULL; backslash escapes `\\ \b \f \n \r \t \v`,
// `\<1-3 octal digits>` and `\x<1-2 hex digits>` (COPY TO emits only the letter escapes);
// any other escaped character stands for itself. Both COPY and pgoutput run the types'
// output functions, so the values are equal when both sessions have the same
// client_encoding (= server encoding), DateStyle, IntervalStyle, TimeZone,
// extra_float_digits and bytea_output.
//
// Stricter than COPY FROM where only corrupt input could differ: a line ending in a lone
// backslash (COPY FROM would read backslash-newline as a data newline, which COPY TO never
// writes), a raw carriage return, the end-of-data marker `\.` and escapes that make a NUL
// byte are errors.
#pragma once

#include "codecs/pgoutput/change_event.hpp"
#include "codecs/pgoutput/relation_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg2sr::codecs::copy_text {

enum class copy_text_errc : std::uint8_t {
  column_count,        ///< a line has more or fewer columns than expected
  trailing_backslash,  ///< a line ends in an unescaped backslash
  end_of_data_marker,  ///< `\.`: COPY FROM's end marker, never in COPY TO STDOUT data
  carriage_return,     ///< a raw '\r' (COPY TO writes `\r`)
  nul_byte,            ///< an octal or hex escape of 0 (text cannot hold NUL)
  incomplete_line,     ///< the data ended inside a line (finish() only)
  newline_in_line,     ///< parse_copy_text_line() was given more than one line
};

std::string_view to_string(copy_text_errc code);

/// A parse failure: what and where. `line` counts from 1; `offset` is the byte offset of
/// the fault from the start of the COPY data (for parse_copy_text_line: of the line).
struct copy_text_error {
  copy_text_errc code = copy_text_errc::column_count;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::size_t expected_columns = 0;  ///< column_count only
  std::size_t actual_columns = 0;    ///< column_count only
};

/// "line 3, byte 117: expected 4 columns, got 5" and the like.
std::string to_string(const copy_text_error& err);

/// Parses one line (without its '\n') into `out` (cleared first): nullopt for `\N`, else the
/// unescaped text. Returns the error text for a malformed line. A line always has at least
/// one column (an empty line is one empty string). For tests and simple callers; the
/// parser below is the fast path.
std::optional<std::string> parse_copy_text_line(std::string_view line,
                                                std::vector<std::optional<std::string>>& out);

/// Stateful reader of one COPY TO STDOUT text stream; reusable with reset().
///
/// feed() takes the data in any split (PQgetCopyData returns one row per call, but lines
/// may also span calls or share one) and appends one change_op::insert event per complete
/// line to the batch: relid and relation as given, new_begin/new_count into batch.values,
/// lsn/xid 0. Values are views into arena blocks the parser allocates and the batch keeps
/// alive (change_batch::keep); a block is never resized or reallocated once views point
/// into it, so batches may be moved to other threads while the parser fills the rest of
/// the block. payload_bytes grows by the bytes of the lines consumed (with the '\n').
///
/// feed() appends all rows of `data`'s complete lines or, on error, none of them. Errors
/// are sticky: after one, feed() and finish() return it until reset().
class copy_text_parser {
 public:
  /// Rows of `relation` (relid and column count from it; must not be null).
  explicit copy_text_parser(std::shared_ptr<const pgoutput::relation_schema> relation);
  /// Rows of `column_count` columns for `relid`; `relation` may be null.
  copy_text_parser(std::uint32_t relid, std::size_t column_count,
                   std::shared_ptr<const pgoutput::relation_schema> relation = nullptr);

  /// Parses `data`, appending a row per complete line to `out`.
  std::optional<copy_text_error> feed(std::string_view data, pgoutput::change_batch& out);
  /// The COPY has ended: an error if a partial line is left (or an earlier error).
  std::optional<copy_text_error> finish() const;

  /// Forgets the stream (partial line, counters, error) to read a new COPY of the same shape.
  void reset();
  /// reset() and read rows of another shape from now on.
  void reset(std::uint32_t relid, std::size_t column_count,
             std::shared_ptr<const pgoutput::relation_schema> relation = nullptr);

  std::uint64_t rows() const { return rows_; }
  /// Bytes consumed in complete lines (with their '\n').
  std::uint64_t bytes() const { return bytes_; }
  /// Bytes of a line whose '\n' has not come yet.
  std::size_t partial_bytes() const { return partial_.size(); }
  std::size_t column_count() const { return column_count_; }

  /// Size of a fresh arena block (a line longer than this gets a block of its own size).
  static constexpr std::size_t arena_block_bytes = 256 * 1024;

 private:
  std::optional<copy_text_error> parse_line(std::string_view line, pgoutput::change_batch& out);
  char* arena_room(std::size_t bytes, pgoutput::change_batch& out);

  std::uint32_t relid_ = 0;
  std::size_t column_count_ = 0;
  std::shared_ptr<const pgoutput::relation_schema> relation_;

  std::string partial_;  ///< start of a line whose '\n' has not come yet
  std::shared_ptr<const std::string> arena_;  ///< current block; bytes before arena_used_ are viewed
  char* arena_data_ = nullptr;                ///< arena_'s bytes, written through this
  std::size_t arena_used_ = 0;
  std::uint64_t rows_ = 0;
  std::uint64_t bytes_ = 0;  ///< stream offset of the next line's start
  std::optional<copy_text_error> error_;
};

}  // namespace pg2sr::codecs::copy_text
