// Stream Load bodies in the StarRocks emulator: format headers, decompression, CSV/JSON
// parsing with StarRocks' filtering rules, and the discard-mode row counter.
#include "tests/emulator/load_body.hpp"

#include <lz4frame.h>
#include <nlohmann/json.hpp>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "tests/emulator/text.hpp"

namespace pg2sr::test::starrocks {

namespace {


std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// StarRocks accepts separators in hex: "\x01" or "\x0102".
std::string decode_separator(const std::string& value, const std::string& fallback) {
  if (value.empty()) return fallback;
  if (value.size() > 2 && value[0] == '\\' && (value[1] == 'x' || value[1] == 'X') && value.size() % 2 == 0) {
    std::string hex = value.substr(2), out;
    if (std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
      for (std::size_t i = 0; i < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      return out;
    }
  }
  return value;
}

// Splits the `columns` header at commas outside quotes, backquoted names and parentheses.
std::vector<std::string> split_columns(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      std::string_view part = trim(text.substr(start, i - start));
      if (!part.empty()) out.emplace_back(part);
      start = i + 1;
    }
  }
  return out;
}

// A column name as StarRocks' parser reads it: a backquoted one without its backquotes, a
// doubled backquote inside standing for one.
std::string strip_backquotes(std::string_view name) {
  name = trim(name);
  if (name.size() < 2 || name.front() != '`' || name.back() != '`') return std::string(name);
  std::string out;
  for (std::size_t i = 1; i + 1 < name.size(); ++i) {
    out.push_back(name[i]);
    if (name[i] == '`') ++i;
  }
  return out;
}

std::optional<std::string> compression_name(const std::string& value) {
  std::string v = upper(trim(value));
  if (v.empty() || v == "NONE" || v == "NO_COMPRESSION") return std::string();
  if (v == "GZIP" || v == "DEFLATE" || v == "LZ4_FRAME" || v == "ZSTD" || v == "BZIP2") return v;
  return std::nullopt;
}

}  // namespace

std::variant<load_options, std::string> parse_load_options(
    const std::function<std::string(const std::string&)>& header) {
  load_options o;
  const std::string format = header("format");
  if (!format.empty()) {
    if (iequals(format, "csv")) o.format = body_format::csv;
    else if (iequals(format, "json")) o.format = body_format::json;
    else if (iequals(format, "gzip")) o.compression = "GZIP";
    else if (iequals(format, "lz4")) o.compression = "LZ4_FRAME";
    else if (iequals(format, "deflate")) o.compression = "DEFLATE";
    else if (iequals(format, "zstd")) o.compression = "ZSTD";
    else if (iequals(format, "bzip2")) o.compression = "BZIP2";
    else return "unknown data format, format=" + format;
  }
  const std::string timeout = header("timeout");
  if (!timeout.empty() && (timeout.size() > 9 || !std::all_of(timeout.begin(), timeout.end(), ::isdigit)))
    return std::string("Invalid timeout format");
  o.column_separator = decode_separator(header("column_separator"), "\t");
  o.row_delimiter = decode_separator(header("row_delimiter"), "\n");
  // StarRocks takes the first byte of each, whatever follows.
  if (const std::string escape = header("escape"); !escape.empty()) o.escape = escape[0];
  if (const std::string enclose = header("enclose"); !enclose.empty()) o.enclose = enclose[0];
  if (const std::string columns = header("columns"); !columns.empty()) o.columns = split_columns(columns);
  o.strip_outer_array = iequals(header("strip_outer_array"), "true");
  o.json_root = header("json_root");
  o.jsonpaths = header("jsonpaths");
  auto parse_bool = [&](const char* name, bool& out, const char* error) -> std::optional<std::string> {
    const std::string v = header(name);
    if (v.empty()) return std::nullopt;
    if (iequals(v, "true")) out = true;
    else if (iequals(v, "false")) out = false;
    else return std::string(error);
    return std::nullopt;
  };
  if (auto e = parse_bool("strict_mode", o.strict_mode, "Invalid strict mode format. Must be bool type")) return *e;
  if (auto e = parse_bool("partial_update", o.partial_update, "Invalid partial update flag format. Must be bool type"))
    return *e;
  if (const std::string ratio = header("max_filter_ratio"); !ratio.empty())
    o.max_filter_ratio = std::strtod(ratio.c_str(), nullptr);
  const std::string content_encoding = header("Content-Encoding");
  const std::string compression = header("compression");
  if (!content_encoding.empty() && !compression.empty())
    return std::string("Only one of http header content-encoding and compression can be set");
  const std::string& requested = content_encoding.empty() ? compression : content_encoding;
  if (!requested.empty()) {
    auto name = compression_name(requested);
    if (!name) return "Unsupported compression type: " + requested;
    o.compression = *name;
    // cpp-httplib inflates bodies sent with exactly "Content-Encoding: gzip" or "deflate"
    // before our handler sees them.
    o.already_decoded = content_encoding == "gzip" || content_encoding == "deflate";
  }
  return o;
}

namespace {

class identity_decoder final : public body_decoder {
 public:
  bool feed(std::string_view data, std::string& out, std::string&) override {
    out.append(data);
    return true;
  }
  bool finish(std::string&, std::string&) override { return true; }
};

// zlib with automatic gzip/zlib header detection; concatenated gzip members are read in turn.
class zlib_decoder final : public body_decoder {
 public:
  zlib_decoder() { inflateInit2(&z_, 15 + 32); }
  ~zlib_decoder() override { inflateEnd(&z_); }
  bool feed(std::string_view data, std::string& out, std::string& error) override {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    char buffer[65536];
    while (z_.avail_in > 0) {
      if (ended_) {
        inflateReset(&z_);
        ended_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = sizeof buffer;
      int rc = inflate(&z_, Z_NO_FLUSH);
      out.append(buffer, sizeof buffer - z_.avail_out);
      if (rc == Z_STREAM_END) {
        ended_ = true;
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && z_.avail_in == 0)) {
        error = std::string("decompress failed: ") + (z_.msg ? z_.msg : "corrupt zlib/gzip data");
        return false;
      }
    }
    return true;
  }
  bool finish(std::string& out, std::string& error) override {
    if (!ended_) {
      error = "decompress failed: truncated zlib/gzip data";
      return false;
    }
    return true;
  }

 private:
  z_stream z_{};
  bool ended_ = false;
};

class lz4_frame_decoder final : public body_decoder {
 public:
  lz4_frame_decoder() { LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION); }
  ~lz4_frame_decoder() override { LZ4F_freeDecompressionContext(ctx_); }
  bool feed(std::string_view data, std::string& out, std::string& error) override {
    const char* src = data.data();
    std::size_t left = data.size();
    char buffer[65536];
    for (;;) {
      std::size_t out_size = sizeof buffer, in_size = left;
      std::size_t hint = LZ4F_decompress(ctx_, buffer, &out_size, left ? src : nullptr, &in_size, nullptr);
      if (LZ4F_isError(hint)) {
        error = std::string("decompress failed: ") + LZ4F_getErrorName(hint);
        return false;
      }
      out.append(buffer, out_size);
      src += in_size;
      left -= in_size;
      // 0 = the frame is complete; a call that moved nothing says nothing about it.
      if (in_size > 0 || out_size > 0) frame_done_ = hint == 0;
      if (left == 0 && out_size < sizeof buffer) break;
    }
    return true;
  }
  bool finish(std::string&, std::string& error) override {
    if (!frame_done_) {
      error = "decompress failed: truncated LZ4 frame";
      return false;
    }
    return true;
  }

 private:
  LZ4F_dctx* ctx_ = nullptr;
  bool frame_done_ = true;
};

class zstd_decoder final : public body_decoder {
 public:
  zstd_decoder() : ctx_(ZSTD_createDStream()) { ZSTD_initDStream(ctx_); }
  ~zstd_decoder() override { ZSTD_freeDStream(ctx_); }
  bool feed(std::string_view data, std::string& out, std::string& error) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    char buffer[65536];
    while (in.pos < in.size || more_) {
      ZSTD_outBuffer o{buffer, sizeof buffer, 0};
      std::size_t rc = ZSTD_decompressStream(ctx_, &o, &in);
      if (ZSTD_isError(rc)) {
        error = std::string("decompress failed: ") + ZSTD_getErrorName(rc);
        return false;
      }
      out.append(buffer, o.pos);
      frame_done_ = rc == 0;
      more_ = o.pos == o.size;
      if (o.pos == 0 && in.pos == in.size) break;
    }
    return true;
  }
  bool finish(std::string&, std::string& error) override {
    if (!frame_done_) {
      error = "decompress failed: truncated ZSTD frame";
      return false;
    }
    return true;
  }

 private:
  ZSTD_DStream* ctx_;
  bool frame_done_ = true;
  bool more_ = false;
};

}  // namespace

std::unique_ptr<body_decoder> make_body_decoder(const load_options& options, std::string& error) {
  if (options.compression.empty() || options.already_decoded) return std::make_unique<identity_decoder>();
  if (options.compression == "GZIP" || options.compression == "DEFLATE") return std::make_unique<zlib_decoder>();
  if (options.compression == "LZ4_FRAME") return std::make_unique<lz4_frame_decoder>();
  if (options.compression == "ZSTD") return std::make_unique<zstd_decoder>();
  error = "the StarRocks emulator does not decompress " + options.compression + " bodies";
  return nullptr;
}

namespace {

// StarRocks splits CSV byte by byte, below, only when escape or enclose is set (csv_scanner.cpp
// picks its second parser then); otherwise it cuts at every delimiter.
bool scans_escapes(const load_options& options) { return options.escape != 0 || options.enclose != 0; }

enum class scan_result { row, need_more, end };

struct escaped_row {
  std::vector<std::string> fields;  ///< escapes and enclosing removed
  std::string_view raw;             ///< the row's bytes without its delimiter
};

// The next row of a CSV body with escape or enclose, split as StarRocks' CSVReader::more_rows
// does: the escape byte is dropped and the next byte is data (a whole delimiter when one
// starts there); a field starting with the enclose runs to the next lone enclose, a doubled
// one inside being one literal, and loses its last byte (the closing enclose when
// well-formed); an enclose later in a field is dropped and makes the next byte data. Quirks
// kept: an escape before an ordinary byte inside an enclosed field ends the enclosing.
// Reads from `pos` and moves it past the row; empty lines are skipped. `complete`:
// `data` ends the body, and its end ends the last row (StarRocks adds the missing row
// delimiter); otherwise a row `data` may not hold whole answers need_more and leaves `pos`
// at its start. `row` may be null to only count.
scan_result next_escaped_row(const load_options& options, std::string_view data, std::size_t& pos, bool complete,
                             escaped_row* row) {
  enum class state { start, plain, enclosed, escaped, literal };
  const std::string& row_delimiter = options.row_delimiter;
  const std::string& separator = options.column_separator;
  // Without `complete`, stop short of the bytes one step may read (a doubled enclose at a
  // field's start, then a delimiter): a delimiter cut at the end of `data` must not be misread.
  const std::size_t lookahead = 2 + std::max(row_delimiter.size(), separator.size());
  const auto starts = [&](std::size_t at, const std::string& delimiter) {
    return data.compare(at, delimiter.size(), delimiter) == 0;
  };
  const auto is_enclose = [&](std::size_t at) { return at < data.size() && data[at] == options.enclose; };

  std::size_t i = pos, row_start = pos, field_count = 0;
  state s = state::start, back = state::plain;  // back: where `escaped` returns
  std::string field;
  bool enclosed_field = false;
  if (row) row->fields.clear();
  const auto keep = [&](std::size_t n) {
    if (row) field.append(data.substr(i, n));
    i += n;
  };
  const auto end_field = [&] {
    if (row) {
      if (enclosed_field && !field.empty()) field.pop_back();
      row->fields.push_back(std::move(field));
      field.clear();
    }
    enclosed_field = false;
    ++field_count;
  };
  const auto end_row = [&](std::size_t end, std::size_t next) {
    end_field();
    if (row) row->raw = data.substr(row_start, end - row_start);
    pos = next;
    return scan_result::row;
  };
  for (;;) {
    if (!complete && data.size() - i < lookahead) return scan_result::need_more;
    if (i == data.size()) {
      if (i > row_start) return end_row(i, i);
      pos = i;
      return scan_result::end;
    }
    const char c = data[i];
    switch (s) {
      case state::start:
        if (starts(i, row_delimiter)) {
          if (field_count > 0) return end_row(i, i + row_delimiter.size());
          i += row_delimiter.size();
          row_start = i;
        } else if (starts(i, separator)) {
          i += separator.size();
          end_field();
        } else if (c == options.escape) {
          ++i;
          back = state::plain;
          s = state::escaped;
        } else if (c == options.enclose) {
          ++i;
          if (is_enclose(i)) {
            // "" then a delimiter (or the end) is an empty field, else a literal enclose
            keep(1);
            enclosed_field = i == data.size() || starts(i, row_delimiter) || starts(i, separator);
            s = state::plain;
          } else {
            enclosed_field = true;
            s = state::enclosed;
          }
        } else {
          keep(1);
          s = state::plain;
        }
        break;
      case state::plain:
        if (starts(i, row_delimiter)) return end_row(i, i + row_delimiter.size());
        if (starts(i, separator)) {
          i += separator.size();
          end_field();
          s = state::start;
        } else if (c == options.escape) {
          ++i;
          back = state::plain;
          s = state::escaped;
        } else if (c == options.enclose) {
          ++i;
          s = state::literal;
        } else {
          keep(1);
        }
        break;
      case state::enclosed:
        if (c == options.enclose && is_enclose(i + 1)) {
          ++i;
          keep(1);
        } else if (c == options.enclose) {
          keep(1);  // the closing enclose, dropped at the field's end
          s = state::plain;
        } else if (c == options.escape) {
          ++i;
          back = state::enclosed;
          s = state::escaped;
        } else {
          keep(1);
        }
        break;
      case state::escaped:
        if (c == options.enclose || c == options.escape) {
          keep(1);
          s = back;
        } else if (starts(i, row_delimiter)) {
          keep(row_delimiter.size());
          s = back;
        } else if (starts(i, separator)) {
          keep(separator.size());
          s = back;
        } else {
          keep(1);
          s = state::plain;
        }
        break;
      case state::literal:
        keep(1);
        s = state::plain;
        break;
    }
  }
}

}  // namespace

row_counter::row_counter(const load_options& options) : options_(options) {}

void row_counter::feed(std::string_view data) {
  if (options_.format == body_format::json) {
    const int row_depth = options_.strip_outer_array ? 1 : 0;
    for (char c : data) {
      if (in_string_) {
        if (escape_) escape_ = false;
        else if (c == '\\') escape_ = true;
        else if (c == '"') in_string_ = false;
      } else if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        if (c == '{' && depth_ == row_depth) ++rows_;
        ++depth_;
      } else if (c == '}' || c == ']') {
        --depth_;
      }
    }
    return;
  }
  if (scans_escapes(options_)) {
    tail_.append(data);
    std::size_t pos = 0;
    while (next_escaped_row(options_, tail_, pos, false, nullptr) == scan_result::row) ++rows_;
    tail_.erase(0, pos);
    return;
  }
  const std::string& delimiter = options_.row_delimiter;
  if (delimiter.size() == 1) {
    const char* p = data.data();
    const char* end = p + data.size();
    while (p < end) {
      const void* hit = std::memchr(p, delimiter[0], static_cast<std::size_t>(end - p));
      if (hit == nullptr) {
        record_open_ = true;
        break;
      }
      const char* at = static_cast<const char*>(hit);
      if (at > p || record_open_) ++rows_;
      record_open_ = false;
      p = at + 1;
    }
    return;
  }
  // Multi-byte delimiter: keep the last delimiter-size - 1 bytes unclassified across chunks.
  std::string buffer = tail_ + std::string(data);
  std::size_t pos = 0;
  for (std::size_t hit; (hit = buffer.find(delimiter, pos)) != std::string::npos; pos = hit + delimiter.size()) {
    if (hit > pos || record_open_) ++rows_;
    record_open_ = false;
  }
  std::size_t keep = std::min(delimiter.size() - 1, buffer.size() - pos);
  if (buffer.size() - pos > keep) record_open_ = true;
  tail_ = buffer.substr(buffer.size() - keep);
}

std::uint64_t row_counter::finish() {
  if (options_.format == body_format::csv && scans_escapes(options_)) {
    std::size_t pos = 0;
    while (next_escaped_row(options_, tail_, pos, true, nullptr) == scan_result::row) ++rows_;
  } else if (options_.format == body_format::csv && (record_open_ || !tail_.empty())) {
    ++rows_;
  }
  record_open_ = false;
  tail_.clear();
  return rows_;
}

namespace {

/// How the fields of a row reach the table's columns.
struct source_field {
  std::string name;
  std::optional<std::size_t> column;  ///< none: a field StarRocks reads and does not store
  bool is_op = false;
};

struct column_plan {
  std::vector<source_field> sources;
  std::vector<std::pair<std::size_t, std::string>> constants;  ///< `columns: c='x'`
  std::optional<bool> op_constant;                            ///< `columns: __op='delete'`
  bool implicit_json_op = false;                              ///< JSON "__op" key read anyway
  std::vector<bool> loaded;
};

std::optional<std::string> literal_value(std::string_view expr) {
  expr = trim(expr);
  if (expr.size() >= 2 && (expr.front() == '\'' || expr.front() == '"') && expr.back() == expr.front())
    return std::string(expr.substr(1, expr.size() - 2));
  std::string_view digits = expr;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::string(expr);
  return std::nullopt;
}

std::optional<bool> op_is_delete(std::string_view v) {
  if (v == "0" || iequals(v, "upsert")) return false;
  if (v == "1" || iequals(v, "delete")) return true;
  return std::nullopt;
}

std::variant<column_plan, std::string> make_plan(const table_data& table, const load_options& options) {
  const table_schema& schema = table.schema();
  const bool primary = schema.model == table_model::primary_key;
  column_plan plan;
  plan.loaded.assign(schema.columns.size(), false);
  if (options.partial_update && !primary) return std::string("Only primary key table support partial update");
  if (!options.columns) {
    for (std::size_t i = 0; i < schema.columns.size(); ++i) {
      plan.sources.push_back({schema.columns[i].name, i, false});
      plan.loaded[i] = true;
    }
    plan.implicit_json_op = primary;
  } else {
    for (const std::string& entry : *options.columns) {
      std::size_t eq = std::string::npos;
      char quote = 0;
      for (std::size_t i = 0; i < entry.size() && eq == std::string::npos; ++i) {
        if (quote) quote = entry[i] == quote ? 0 : quote;
        else if (entry[i] == '\'' || entry[i] == '"' || entry[i] == '`') quote = entry[i];
        else if (entry[i] == '=') eq = i;
      }
      if (eq == std::string::npos) {
        std::string name = strip_backquotes(entry);
        if (iequals(name, "__op")) plan.sources.push_back({name, std::nullopt, primary});
        else {
          auto column = table.column_index(name);
          plan.sources.push_back({name, column, false});
          if (column) plan.loaded[*column] = true;
        }
        continue;
      }
      std::string name = strip_backquotes(std::string_view(entry).substr(0, eq));
      auto value = literal_value(std::string_view(entry).substr(eq + 1));
      if (!value) return "the StarRocks emulator supports only constants in `columns` expressions, got: " + entry;
      if (iequals(name, "__op")) {
        auto is_delete = op_is_delete(*value);
        if (!is_delete) return "invalid __op value in columns: " + entry;
        if (primary) plan.op_constant = *is_delete;
      } else if (auto column = table.column_index(name)) {
        plan.constants.emplace_back(*column, *value);
        plan.loaded[*column] = true;
      }
    }
  }
  if (options.partial_update) {
    for (std::size_t i = 0; i < schema.columns.size(); ++i)
      if (table.is_key_column(i) && !plan.loaded[i])
        return "partial update must include all primary key columns, missing: " + schema.columns[i].name;
  }
  return plan;
}

/// Raw cells of one row before type checks, indexed by table column.
struct raw_row {
  std::vector<cell> values;
  std::optional<std::string> op;  ///< the row's __op field, if it has one
  bool op_null = false;
};

std::variant<row_change, std::string> finish_row(const table_data& table, const load_options& options,
                                                 const column_plan& plan, raw_row raw) {
  const table_schema& schema = table.schema();
  row_change change;
  change.values = std::move(raw.values);
  for (const auto& [column, value] : plan.constants) change.values[column] = value;
  if (plan.op_constant) change.is_delete = *plan.op_constant;
  if (raw.op_null) return std::string("__op must not be NULL");
  if (raw.op) {
    auto is_delete = op_is_delete(*raw.op);
    if (!is_delete) return "invalid __op value '" + *raw.op + "', expected 0 (upsert) or 1 (delete)";
    change.is_delete = *is_delete;
  }
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    if (!plan.loaded[i]) continue;
    const column_def& column = schema.columns[i];
    const bool key = table.is_key_column(i) && schema.model == table_model::primary_key;
    if (change.is_delete && !key) continue;
    cell& value = change.values[i];
    std::string error, normalized;
    if (value) {
      value_check check = normalize_value(column, *value, normalized, error);
      if (check == value_check::too_long || (check == value_check::invalid && options.strict_mode)) return error;
      if (check == value_check::ok) value = std::move(normalized);
      else value.reset();
    }
    if (!value && (key || !column.nullable)) {
      return error.empty() ? "NULL value in non-nullable column '" + column.name + "'"
                           : error + "; NULL value in non-nullable column '" + column.name + "'";
    }
  }
  return change;
}

void add_row(parsed_rows& out, const table_data& table, const load_options& options, const column_plan& plan,
             raw_row raw, std::string_view raw_text) {
  ++out.total_rows;
  auto result = finish_row(table, options, plan, std::move(raw));
  if (auto* change = std::get_if<row_change>(&result)) out.changes.push_back(std::move(*change));
  else out.errors.push_back({std::get<std::string>(result), std::string(raw_text)});
}

// One CSV row's fields, as StarRocks reads them: NULL is a field that is \N (after unescaping).
void add_csv_row(parsed_rows& out, const table_data& table, const load_options& options, const column_plan& plan,
                 const std::vector<std::string_view>& fields, std::string_view record) {
  if (fields.size() != plan.sources.size()) {
    ++out.total_rows;
    out.errors.push_back({"Value count does not match column count. Expect " + std::to_string(plan.sources.size()) +
                              ", but got " + std::to_string(fields.size()) + ".",
                          std::string(record)});
    return;
  }
  raw_row raw;
  raw.values.assign(table.schema().columns.size(), std::nullopt);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const source_field& source = plan.sources[i];
    const bool is_null = fields[i] == "\\N";
    if (source.is_op) {
      if (is_null) raw.op_null = true;
      else raw.op = std::string(fields[i]);
    } else if (source.column && !is_null) {
      raw.values[*source.column] = std::string(fields[i]);
    }
  }
  add_row(out, table, options, plan, std::move(raw), record);
}

void parse_csv(parsed_rows& out, const table_data& table, const load_options& options, const column_plan& plan,
               std::string_view body) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  if (scans_escapes(options)) {
    escaped_row row;
    while (next_escaped_row(options, body, pos, true, &row) == scan_result::row) {
      fields.assign(row.fields.begin(), row.fields.end());
      add_csv_row(out, table, options, plan, fields, row.raw);
    }
    return;
  }
  const std::string& row_delimiter = options.row_delimiter;
  const std::string& separator = options.column_separator;
  while (pos < body.size()) {
    std::size_t end = body.find(row_delimiter, pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view record = body.substr(pos, end - pos);
    pos = end + row_delimiter.size();
    if (record.empty()) continue;
    fields.clear();
    for (std::size_t start = 0;;) {
      std::size_t hit = record.find(separator, start);
      fields.push_back(record.substr(start, hit == std::string_view::npos ? std::string_view::npos : hit - start));
      if (hit == std::string_view::npos) break;
      start = hit + separator.size();
    }
    add_csv_row(out, table, options, plan, fields, record);
  }
}

// The text StarRocks loads for a JSON value.
cell json_text(const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  return v.dump();
}

const nlohmann::json* json_path(const nlohmann::json& doc, std::string_view path) {
  path = trim(path);
  if (path.rfind("$", 0) == 0) path.remove_prefix(1);
  const nlohmann::json* at = &doc;
  while (!path.empty()) {
    if (path[0] == '.') path.remove_prefix(1);
    std::size_t next = path.find('.');
    std::string key(path.substr(0, next));
    if (key.empty()) break;
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
    path = next == std::string_view::npos ? std::string_view() : path.substr(next);
  }
  return at;
}

const nlohmann::json* json_field(const nlohmann::json& object, const std::string& name) {
  if (auto it = object.find(name); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it)
    if (iequals(it.key(), name)) return &it.value();
  return nullptr;
}

void add_json_row(parsed_rows& out, const table_data& table, const load_options& options, const column_plan& plan,
                  const std::vector<std::string>& paths, const nlohmann::json& row) {
  if (!row.is_object()) {
    ++out.total_rows;
    out.errors.push_back({"JSON data is not an object", row.dump()});
    return;
  }
  raw_row raw;
  raw.values.assign(table.schema().columns.size(), std::nullopt);
  for (std::size_t i = 0; i < plan.sources.size(); ++i) {
    const source_field& source = plan.sources[i];
    const nlohmann::json* value = nullptr;
    if (!paths.empty()) value = i < paths.size() ? json_path(row, paths[i]) : nullptr;
    else value = json_field(row, source.name);
    if (value == nullptr) continue;
    if (source.is_op) {
      if (value->is_null()) raw.op_null = true;
      else raw.op = value->is_string() ? value->get<std::string>() : value->dump();
    } else if (source.column) {
      raw.values[*source.column] = json_text(*value);
    }
  }
  if (plan.implicit_json_op) {
    if (const nlohmann::json* op = json_field(row, "__op"); op != nullptr && !op->is_null())
      raw.op = op->is_string() ? op->get<std::string>() : op->dump();
  }
  add_row(out, table, options, plan, std::move(raw), row.dump());
}

// Splits a body into its top-level JSON documents (StarRocks reads a stream of them).
std::vector<std::string_view> json_documents(std::string_view body) {
  std::vector<std::string_view> docs;
  std::size_t pos = 0;
  while (pos < body.size()) {
    while (pos < body.size() && std::isspace(static_cast<unsigned char>(body[pos]))) ++pos;
    if (pos >= body.size()) break;
    std::size_t start = pos;
    if (body[pos] != '{' && body[pos] != '[') {
      while (pos < body.size() && !std::isspace(static_cast<unsigned char>(body[pos]))) ++pos;
      docs.push_back(body.substr(start, pos - start));
      continue;
    }
    int depth = 0;
    bool in_string = false, escape = false;
    for (; pos < body.size(); ++pos) {
      char c = body[pos];
      if (in_string) {
        if (escape) escape = false;
        else if (c == '\\') escape = true;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        ++pos;
        break;
      }
    }
    docs.push_back(body.substr(start, pos - start));
  }
  return docs;
}

std::optional<std::string> parse_json(parsed_rows& out, const table_data& table, const load_options& options,
                                      const column_plan& plan, std::string_view body) {
  std::vector<std::string> paths;
  if (!options.jsonpaths.empty()) {
    try {
      for (const auto& p : nlohmann::json::parse(options.jsonpaths)) paths.push_back(p.get<std::string>());
    } catch (const std::exception& e) {
      return "Invalid expression of jsonpaths: " + options.jsonpaths;
    }
  }
  for (std::string_view text : json_documents(body)) {
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      ++out.total_rows;
      out.errors.push_back({std::string("Failed to parse json data: ") + e.what(), std::string(text)});
      continue;
    }
    const nlohmann::json* root = &doc;
    if (!options.json_root.empty()) {
      root = json_path(doc, options.json_root);
      if (root == nullptr) {
        ++out.total_rows;
        out.errors.push_back({"JSON Root not found.", std::string(text)});
        continue;
      }
    }
    if (options.strip_outer_array) {
      if (!root->is_array()) {
        ++out.total_rows;
        out.errors.push_back({"JSON data is an object, strip_outer_array must be set false", root->dump()});
        continue;
      }
      for (const auto& row : *root) add_json_row(out, table, options, plan, paths, row);
    } else if (root->is_array()) {
      ++out.total_rows;
      out.errors.push_back({"JSON data is an array, strip_outer_array must be set true", root->dump()});
    } else {
      add_json_row(out, table, options, plan, paths, *root);
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<parsed_rows, std::string> parse_rows(const table_data& table, const load_options& options,
                                                  std::string_view body) {
  auto plan = make_plan(table, options);
  if (auto* error = std::get_if<std::string>(&plan)) return *error;
  const column_plan& p = std::get<column_plan>(plan);
  parsed_rows out;
  out.loaded = p.loaded;
  if (options.format == body_format::csv) {
    parse_csv(out, table, options, p, body);
  } else if (auto error = parse_json(out, table, options, p, body)) {
    return *error;
  }
  return out;
}

}  // namespace pg2sr::test::starrocks
