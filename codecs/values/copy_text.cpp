// COPY text format reader (see copy_text.hpp).
#include "codecs/values/copy_text.hpp"

#include <algorithm>
#include <cstring>

namespace pg2sr::codecs::copy_text {

namespace {

namespace pg = pg2sr::codecs::pgoutput;

/// First `c` in [p, end), or end.
inline const char* find(const char* p, const char* end, char c) {
  const void* hit = std::memchr(p, c, static_cast<std::size_t>(end - p));
  return hit != nullptr ? static_cast<const char*>(hit) : end;
}

inline bool is_octal(char c) { return c >= '0' && c <= '7'; }

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// What went wrong where, relative to the line's start.
struct line_fault {
  copy_text_errc code;
  std::size_t offset;
};

struct line_result {
  std::optional<line_fault> fault;
  std::size_t written = 0;  ///< bytes of dst used by the values
  bool verbatim = false;    ///< no escape: dst holds the line as it is, the values in place
};

// A raw '\r' is corrupt data but a backslash-escaped one is a data CR (as in COPY FROM).
// Only called when the line holds a CR at all, so the byte walk is off the hot path.
std::optional<std::size_t> unescaped_cr(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') ++i;
    else if (line[i] == '\r') return i;
  }
  return std::nullopt;
}

// Splits `line` (no '\n') at tabs and unescapes each column into `dst`, which has room for
// line.size() bytes (unescaping never grows). Calls emit(kind, value, raw_offset) per
// column, where raw_offset is where the column starts in `line`. Lines without a backslash
// (most of them) are copied with one memcpy and split in place; the others copy the runs
// between backslashes in bulk.
template <class Emit>
line_result decode_line(std::string_view line, char* dst, Emit&& emit) {
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  if (std::memchr(begin, '\r', line.size()) != nullptr) {
    if (auto at = unescaped_cr(line)) return {line_fault{copy_text_errc::carriage_return, *at}, 0};
  }
  const char* bs = find(begin, end, '\\');
  if (bs == end) {
    if (!line.empty()) std::memcpy(dst, begin, line.size());
    const char* const dst_end = dst + line.size();
    const char* p = dst;
    for (;;) {
      const char* tab = find(p, dst_end, '\t');
      emit(pg::value_kind::text, std::string_view(p, static_cast<std::size_t>(tab - p)),
           static_cast<std::size_t>(p - dst));
      if (tab == dst_end) break;
      p = tab + 1;
    }
    return {std::nullopt, line.size(), true};
  }

  char* w = dst;
  const char* p = begin;
  for (;;) {
    const std::size_t raw_start = static_cast<std::size_t>(p - begin);
    const char* tab = find(p, end, '\t');
    if (bs == p && tab - p == 2 && p[1] == 'N') {
      emit(pg::value_kind::null, std::string_view(), raw_start);
      bs = find(tab, end, '\\');
    } else {
      char* const value = w;
      while (bs < tab) {
        std::memcpy(w, p, static_cast<std::size_t>(bs - p));
        w += bs - p;
        const auto at = static_cast<std::size_t>(bs - begin);
        if (bs + 1 == end) return {line_fault{copy_text_errc::trailing_backslash, at}, 0};
        const char c = bs[1];
        p = bs + 2;
        switch (c) {
          case 'b': *w++ = '\b'; break;
          case 'f': *w++ = '\f'; break;
          case 'n': *w++ = '\n'; break;
          case 'r': *w++ = '\r'; break;
          case 't': *w++ = '\t'; break;
          case 'v': *w++ = '\v'; break;
          case '.': return {line_fault{copy_text_errc::end_of_data_marker, at}, 0};
          case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = static_cast<unsigned>(c - '0');
            for (int digits = 1; digits < 3 && p < end && is_octal(*p); ++digits)
              v = v * 8 + static_cast<unsigned>(*p++ - '0');
            v &= 0377u;
            if (v == 0) return {line_fault{copy_text_errc::nul_byte, at}, 0};
            *w++ = static_cast<char>(v);
            break;
          }
          case 'x': {
            if (p == end || hex_value(*p) < 0) {
              *w++ = 'x';
              break;
            }
            unsigned v = static_cast<unsigned>(hex_value(*p++));
            if (p < end && hex_value(*p) >= 0) v = v * 16 + static_cast<unsigned>(hex_value(*p++));
            if (v == 0) return {line_fault{copy_text_errc::nul_byte, at}, 0};
            *w++ = static_cast<char>(v);
            break;
          }
          default: *w++ = c; break;  // `\\`, and any other character stands for itself
        }
        if (p > tab) tab = find(p, end, '\t');  // the tab found was escaped data
        bs = find(p, end, '\\');
      }
      std::memcpy(w, p, static_cast<std::size_t>(tab - p));
      w += tab - p;
      emit(pg::value_kind::text, std::string_view(value, static_cast<std::size_t>(w - value)), raw_start);
    }
    if (tab == end) break;
    p = tab + 1;
  }
  return {std::nullopt, static_cast<std::size_t>(w - dst)};
}

}  // namespace

std::string_view to_string(copy_text_errc code) {
  switch (code) {
    case copy_text_errc::column_count: return "wrong number of columns";
    case copy_text_errc::trailing_backslash: return "line ends in a backslash";
    case copy_text_errc::end_of_data_marker: return "end-of-data marker \\. in the data";
    case copy_text_errc::carriage_return: return "raw carriage return in the data";
    case copy_text_errc::nul_byte: return "escape of a NUL byte";
    case copy_text_errc::incomplete_line: return "data ends inside a line";
    case copy_text_errc::newline_in_line: return "newline inside a line";
  }
  return "unknown error";
}

std::string to_string(const copy_text_error& err) {
  std::string out = "COPY text line " + std::to_string(err.line) + ", byte " + std::to_string(err.offset) + ": ";
  if (err.code == copy_text_errc::column_count) {
    out += "expected " + std::to_string(err.expected_columns) + " columns, got " +
           std::to_string(err.actual_columns);
  } else {
    out += to_string(err.code);
  }
  return out;
}

std::optional<std::string> parse_copy_text_line(std::string_view line,
                                                std::vector<std::optional<std::string>>& out) {
  out.clear();
  if (const void* nl = std::memchr(line.data(), '\n', line.size())) {
    const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - line.data());
    return to_string(copy_text_error{copy_text_errc::newline_in_line, 1, at});
  }
  std::string scratch(line.size(), '\0');
  const line_result r = decode_line(line, scratch.data(), [&](pg::value_kind kind, std::string_view v, std::size_t) {
    if (kind == pg::value_kind::null) out.emplace_back(std::nullopt);
    else out.emplace_back(std::string(v));
  });
  if (r.fault) {
    out.clear();
    return to_string(copy_text_error{r.fault->code, 1, r.fault->offset});
  }
  return std::nullopt;
}

// ---- copy_text_parser ----------------------------------------------------------------

copy_text_parser::copy_text_parser(std::shared_ptr<const pgoutput::relation_schema> relation)
    : relid_(relation->relid), column_count_(relation->columns.size()), relation_(std::move(relation)) {}

copy_text_parser::copy_text_parser(std::uint32_t relid, std::size_t column_count,
                                   std::shared_ptr<const pgoutput::relation_schema> relation)
    : relid_(relid), column_count_(column_count), relation_(std::move(relation)) {}

void copy_text_parser::reset() {
  partial_.clear();
  rows_ = 0;
  bytes_ = 0;
  error_.reset();
}

void copy_text_parser::reset(std::uint32_t relid, std::size_t column_count,
                             std::shared_ptr<const pgoutput::relation_schema> relation) {
  reset();
  relid_ = relid;
  column_count_ = column_count;
  relation_ = std::move(relation);
}

std::optional<copy_text_error> copy_text_parser::finish() const {
  if (error_) return error_;
  if (!partial_.empty())
    return copy_text_error{copy_text_errc::incomplete_line, rows_ + 1, bytes_ + partial_.size()};
  return std::nullopt;
}

// The arena only ever grows by whole lines into blocks that are never resized, so values
// already handed out stay valid; the batch keeps each block it has values in.
char* copy_text_parser::arena_room(std::size_t bytes, pgoutput::change_batch& out) {
  if (!arena_ || arena_->size() - arena_used_ < bytes) {
    auto block = std::make_shared<std::string>(std::max(arena_block_bytes, bytes), '\0');
    arena_data_ = block->data();
    arena_ = std::move(block);
    arena_used_ = 0;
    out.keep(arena_);
  }
  return arena_data_ + arena_used_;
}

std::optional<copy_text_error> copy_text_parser::parse_line(std::string_view line, pgoutput::change_batch& out) {
  const auto first = static_cast<std::uint32_t>(out.values.size());
  if (line.empty() && column_count_ == 0) {  // COPY (SELECT) writes an empty line per row
    pgoutput::change_event e;
    e.op = pgoutput::change_op::insert;
    e.relid = relid_;
    e.relation = relation_.get();
    e.new_begin = first;
    out.events.push_back(e);
    return std::nullopt;
  }
  char* dst = arena_room(line.size(), out);
  std::size_t columns = 0;
  std::size_t extra_at = 0;  // the tab before the first column too many
  const line_result r = decode_line(line, dst, [&](pg::value_kind kind, std::string_view v, std::size_t raw) {
    if (columns == column_count_) extra_at = raw - 1;
    ++columns;
    out.values.push_back(pg::column_value{kind, v});
  });
  if (r.fault) return copy_text_error{r.fault->code, rows_ + 1, bytes_ + r.fault->offset};
  if (columns != column_count_) {
    const std::size_t at = columns > column_count_ ? extra_at : line.size();
    return copy_text_error{copy_text_errc::column_count, rows_ + 1, bytes_ + at, column_count_, columns};
  }
  arena_used_ += r.written;
  pgoutput::change_event e;
  e.op = pgoutput::change_op::insert;
  e.relid = relid_;
  e.relation = relation_.get();
  e.new_begin = first;
  e.new_count = static_cast<std::uint32_t>(columns);
  if (r.verbatim) e.flags = pgoutput::insert_copy_line;
  out.events.push_back(e);
  return std::nullopt;
}

std::optional<copy_text_error> copy_text_parser::feed(std::string_view data, pgoutput::change_batch& out) {
  if (error_) return error_;
  const std::size_t events_before = out.events.size();
  const std::size_t values_before = out.values.size();
  const std::size_t payload_before = out.payload_bytes;
  const std::uint64_t rows_before = rows_, bytes_before = bytes_;
  out.keep(relation_);
  if (arena_) out.keep(arena_);

  auto consume = [&](std::string_view line) {
    if (auto err = parse_line(line, out)) {
      error_ = err;
      return false;
    }
    ++rows_;
    bytes_ += line.size() + 1;
    out.payload_bytes += line.size() + 1;
    return true;
  };
  auto fail = [&]() {
    out.events.resize(events_before);
    out.values.resize(values_before);
    out.payload_bytes = payload_before;
    rows_ = rows_before;
    bytes_ = bytes_before;
    return error_;
  };

  const char* p = data.data();
  const char* const end = p + data.size();
  if (!partial_.empty()) {
    const char* nl = find(p, end, '\n');
    partial_.append(p, static_cast<std::size_t>(nl - p));
    if (nl == end) return std::nullopt;
    if (!consume(partial_)) return fail();
    partial_.clear();
    p = nl + 1;
  }
  while (p != end) {
    const char* nl = find(p, end, '\n');
    if (nl == end) {
      partial_.assign(p, static_cast<std::size_t>(end - p));
      break;
    }
    if (!consume(std::string_view(p, static_cast<std::size_t>(nl - p)))) return fail();
    p = nl + 1;
  }
  return std::nullopt;
}

}  // namespace pg2sr::codecs::copy_text
