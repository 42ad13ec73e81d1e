// Synthetic WAL generator: plans transactions from (seed, index), applies them to a model
// of the live rows, and encodes the walsender's CopyData payloads for them.
#include "codecs/synthetic/wal_generator.hpp"

#include "codecs/values/pg_values.hpp"

#include "codecs/pgoutput/big_endian.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace pg2sr::codecs::wal_gen {

namespace pg = pgoutput;

namespace {

// ---- deterministic randomness ----------------------------------------------------------
// splitmix64 everywhere: fixed arithmetic, so the stream is the same on every platform and
// library version (std::*_distribution is not).

constexpr std::uint64_t golden = 0x9E3779B97F4A7C15ULL;

constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t hash3(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix64(mix64(a) ^ mix64(b * golden + c));
}

struct splitmix64 {
  std::uint64_t state = 0;
  std::uint64_t next() { return mix64(state += golden); }
  /// Uniform in [0, n) (multiply-shift; n > 0).
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  /// True with probability threshold / 2^64 (see threshold_of).
  bool chance(std::uint64_t threshold) { return next() < threshold; }
};

std::uint64_t threshold_of(double share) {
  if (!(share > 0)) return 0;
  if (share >= 1) return UINT64_MAX;
  return static_cast<std::uint64_t>(share * 18446744073709551616.0);
}

/// Draws an index with probability proportional to weights[i]; the total is > 0.
template <std::size_t N>
std::size_t weighted(splitmix64& rng, const std::array<std::uint32_t, N>& weights) {
  std::uint64_t total = 0;
  for (std::uint32_t w : weights) total += w;
  std::uint64_t r = rng.below(total);
  for (std::size_t i = 0; i < N; ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return N - 1;
}

constexpr lsn_t align8(lsn_t v) { return (v + 7) & ~lsn_t{7}; }

// ---- columns -----------------------------------------------------------------------------

constexpr std::size_t max_columns = 1600;  // PostgreSQL's MaxHeapAttributeNumber
constexpr std::int32_t numeric_12_2_typmod = ((12 << 16) | 2) + 4;
constexpr std::array<std::string_view, 3> enum_labels = {"sad", "ok", "happy"};

std::array<std::uint32_t, 10> type_weights(const column_type_weights& w) {
  return {w.int4, w.int8, w.float8, w.numeric, w.boolean, w.text, w.timestamptz, w.uuid, w.jsonb,
          w.enumeration};
}

std::uint32_t type_oid(column_type t, std::uint32_t enum_oid) {
  switch (t) {
    case column_type::int4: return 23;
    case column_type::int8: return 20;
    case column_type::float8: return 701;
    case column_type::numeric: return 1700;
    case column_type::boolean: return 16;
    case column_type::text: return 25;
    case column_type::timestamptz: return 1184;
    case column_type::uuid: return 2950;
    case column_type::jsonb: return 3802;
    case column_type::enumeration: return enum_oid;
  }
  return 0;
}

bool is_toastable(column_type t) { return t == column_type::text || t == column_type::jsonb; }

/// Typical text width of a fixed-size value, to size text/jsonb columns and WAL records.
std::uint32_t fixed_width(column_type t) {
  switch (t) {
    case column_type::int4: return 7;
    case column_type::int8: return 12;
    case column_type::float8: return 10;
    case column_type::numeric: return 11;
    case column_type::boolean: return 1;
    case column_type::timestamptz: return 29;
    case column_type::uuid: return 36;
    case column_type::enumeration: return 3;
    case column_type::text:
    case column_type::jsonb: return 0;
  }
  return 0;
}

constexpr std::uint32_t jsonb_overhead = 17;  // {"n": 12345, "s": ""}

// Random lowercase letters that text and jsonb values are cut from (memcpy, not per byte).
constexpr std::size_t pool_size = 1 << 16;
const char* letter_pool() {
  static const std::array<char, pool_size> pool = [] {
    std::array<char, pool_size> p{};
    splitmix64 rng{0x5EED5EED};
    for (char& c : p) c = static_cast<char>('a' + rng.below(26));
    return p;
  }();
  return pool.data();
}

void append_letters(std::string& out, std::uint64_t h, std::size_t len) {
  const char* pool = letter_pool();
  std::size_t off = static_cast<std::size_t>(h % pool_size);
  while (len > 0) {
    const std::size_t n = std::min(len, pool_size - off);
    out.append(pool + off, n);
    len -= n;
    off = 0;
  }
}

template <class T>
void append_be(std::string& out, T v) {
  static_assert(std::is_unsigned_v<T>);
  char buf[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>(v >> (8 * (sizeof(T) - 1 - i)));
  out.append(buf, sizeof(T));
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_2digits(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

/// PostgreSQL's text output of a timestamptz in UTC, ISO style: fraction without
/// trailing zeros, none when whole seconds (the value codecs' renderer, plus the offset).
void append_timestamptz(std::string& out, pg_time_t pg_us) {
  constexpr std::int64_t unix_offset_us = 946'684'800LL * 1'000'000;
  pg_values::append_timestamp(pg_us + unix_offset_us, out);
  out += "+00";
}

/// numeric(12,2) from a signed number of hundredths: PostgreSQL's numeric_send layout
/// (ndigits, weight, sign, dscale, base-10000 digits without leading/trailing zeros).
void append_numeric_binary(std::string& out, std::int64_t cents) {
  const bool negative = cents < 0;
  std::uint64_t mag = negative ? static_cast<std::uint64_t>(-cents) : static_cast<std::uint64_t>(cents);
  std::uint64_t ip = mag / 100;
  const unsigned frac = static_cast<unsigned>(mag % 100);
  std::uint16_t digits[8];
  int n = 0;
  std::uint16_t rev[6];
  int nint = 0;
  while (ip != 0) {
    rev[nint++] = static_cast<std::uint16_t>(ip % 10000);
    ip /= 10000;
  }
  for (int i = nint - 1; i >= 0; --i) digits[n++] = rev[i];
  digits[n++] = static_cast<std::uint16_t>(frac * 100);
  int weight = nint - 1;
  int first = 0;
  while (first < n && digits[first] == 0) {
    ++first;
    --weight;
  }
  while (n > first && digits[n - 1] == 0) --n;
  const int ndigits = n - first;
  if (ndigits == 0) weight = 0;
  append_be(out, static_cast<std::uint16_t>(ndigits));
  append_be(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
  append_be(out, static_cast<std::uint16_t>(negative && ndigits > 0 ? 0x4000 : 0x0000));
  append_be(out, static_cast<std::uint16_t>(2));
  for (int i = first; i < n; ++i) append_be(out, digits[i]);
}

void append_hex(char* p, std::uint64_t v, int nibbles) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = nibbles - 1; i >= 0; --i) {
    p[i] = hex[v & 15];
    v >>= 4;
  }
}

// ---- model -----------------------------------------------------------------------------------

enum class op : std::uint8_t { insert, update, remove, truncate };

struct column_state {
  std::uint64_t seed = 0;         ///< values of this column are a hash of (seed, row variant)
  std::uint64_t added_stamp = 0;  ///< a row last written before this stamp holds NULL here
  bool toastable = false;
};

/// A live row: its key and the stamps of its last writes (values are derived from them).
struct row_slot {
  std::int64_t key = 0;
  std::uint64_t stamp = 0;        ///< last insert/update: the non-TOAST columns
  std::uint64_t toast_stamp = 0;  ///< last write of the text/jsonb columns
};

/// Value pool of a table. A row written at stamp s takes its non-key values from row
/// variant r(s) = hash(s) mod `count`; the variants of the columns the table was created
/// with are encoded once, as TupleData pieces ('n', or 't'/'b' + Int32 length + bytes),
/// so that writing a row is a memcpy. Columns added later are formatted when written.
struct variant_pool {
  std::uint32_t count = 1;              ///< a power of two
  std::uint32_t columns = 0;            ///< pieces per variant: columns 1 .. columns
  std::string bytes;                    ///< pieces of variant 0, then variant 1, ...
  std::vector<std::uint32_t> offsets;   ///< start of piece (r, c) at r * columns + c - 1; then the end

  std::string_view row(std::uint32_t r) const {
    const std::uint32_t b = offsets[r * columns], e = offsets[(r + 1) * columns];
    return std::string_view(bytes).substr(b, e - b);
  }
  std::string_view piece(std::uint32_t r, std::size_t c) const {
    const std::size_t i = r * columns + c - 1;
    return std::string_view(bytes).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
};

struct table_state {
  std::uint32_t relid = 0;
  std::string name;
  std::vector<column_info> infos;
  std::vector<column_state> cols;
  std::vector<row_slot> rows;
  std::int64_t next_key = 1;
  std::uint64_t variant_seed = 0;
  variant_pool pool;
  bool has_toast = false;            ///< a text/jsonb column among the pooled columns
  std::uint32_t varlen_avg = 16;     ///< mean payload length of text/jsonb values
  std::uint32_t tuple_bytes = 0;     ///< heap tuple size estimate, for WAL record sizes
  std::uint32_t added_columns = 0;
  bool relation_sent = false;        ///< Relation sent in this session (outside streaming)
  std::uint64_t streamed_sent_txn = UINT64_MAX;  ///< streamed txn whose block carried the Relation
};

struct planned_change {
  std::uint32_t table = 0;
  op kind = op::insert;
  lsn_t lsn = 0;
};

struct txn_plan {
  std::uint64_t index = 0;
  std::uint32_t xid = 0;
  bool streamed = false;
  lsn_t commit_lsn = 0;
  lsn_t end_lsn = 0;
  pg_time_t commit_time = 0;
  std::vector<planned_change> changes;
  splitmix64 apply;  ///< decisions that depend on the rows (which key, 'u', key change)
};

enum class phase : std::uint8_t {
  unit_start, changes, commit, keepalive_check, keepalive_emit, message_check, message_emit, finished
};

/// Encoded pool bytes across all tables stay near this (fewer variants for wide rows or
/// many tables), between 4 and 4096 variants per table.
constexpr std::size_t pool_budget_bytes = 8 << 20;

/// The batch being written. The string is sized ahead in 64 KiB steps (zero-filled just
/// before being written, while in cache) and filled through `p`, so the hot path stores
/// bytes without std::string's per-append bookkeeping; close() trims it to what was written.
struct byte_sink {
  static constexpr std::size_t step = 64 << 10;
  std::string* s = nullptr;
  char* p = nullptr;
  char* end = nullptr;

  void open(std::string& str, std::size_t ahead) {
    s = &str;
    const std::size_t used = str.size();
    str.resize(used + ahead);
    p = str.data() + used;
    end = str.data() + str.size();
  }
  std::size_t used() const { return static_cast<std::size_t>(p - s->data()); }
  void close() {
    s->resize(used());
    s = nullptr;
  }
  [[gnu::always_inline]] void reserve(std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) [[unlikely]] grow(n);
  }
  /// Room for n bytes at the returned pointer; commit() says how far they were written.
  [[gnu::always_inline]] char* claim(std::size_t n) {
    reserve(n);
    return p;
  }
  void commit(char* q) { p = q; }
  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t u = used();
    s->resize(u + n + step);  // std::string grows its capacity geometrically
    p = s->data() + u;
    end = s->data() + s->size();
  }
  [[gnu::always_inline]] void put(const char* d, std::size_t n) {
    reserve(n);
    std::memcpy(p, d, n);
    p += n;
  }
  void put(std::string_view v) { put(v.data(), v.size()); }
  [[gnu::always_inline]] void put(char c) {
    reserve(1);
    *p++ = c;
  }
  void fill(char c, std::size_t n) {
    reserve(n);
    std::memset(p, c, n);
    p += n;
  }
};

}  // namespace

// ---- validation ------------------------------------------------------------------------------

std::vector<std::string> validate(const generator_params& p) {
  std::vector<std::string> errors;
  auto fail = [&errors](std::string field, std::string why) {
    errors.push_back(std::move(field) + " " + std::move(why));
  };
  auto share = [&fail](const char* field, double v) {
    if (!(v >= 0.0 && v <= 1.0)) fail(field, "must be between 0 and 1, got " + std::to_string(v));
  };
  if (p.table_count == 0) fail("table_count", "must be greater than 0, got 0");
  if (p.table_count > 100000) fail("table_count", "must be at most 100000, got " + std::to_string(p.table_count));
  if (p.schema.empty() || p.schema.find('\0') != std::string::npos) fail("schema", "must be a non-empty name");
  if (p.table_prefix.empty() || p.table_prefix.find('\0') != std::string::npos)
    fail("table_prefix", "must be a non-empty name");
  if (p.message_prefix.find('\0') != std::string::npos) fail("message_prefix", "must not contain NUL");
  if (p.first_relid == 0 || std::uint64_t{p.first_relid} + p.table_count > UINT32_MAX)
    fail("first_relid", "must leave room for table_count relids above 0, got " + std::to_string(p.first_relid));
  if (p.column_count == 0 || p.column_count > max_columns)
    fail("column_count", "must be between 1 and 1600, got " + std::to_string(p.column_count));
  if (p.avg_row_bytes > (1u << 20))
    fail("avg_row_bytes", "must be at most 1048576, got " + std::to_string(p.avg_row_bytes));
  const auto tw = type_weights(p.column_types);
  std::uint64_t type_total = 0;
  for (auto w : tw) type_total += w;
  if (type_total == 0) fail("column_types", "must give at least one type a weight above 0");
  if (p.column_types.enumeration > 0 && p.enum_type_oid < 10000)
    fail("enum_type_oid", "must be at least 10000 (a user type), got " + std::to_string(p.enum_type_oid));
  share("null_share", p.null_share);
  share("unchanged_toast_share", p.unchanged_toast_share);
  share("key_change_share", p.key_change_share);
  if (p.initial_rows_per_table > (std::uint64_t{1} << 40))
    fail("initial_rows_per_table", "must be at most 2^40, got " + std::to_string(p.initial_rows_per_table));
  const auto& o = p.operations;
  if (std::uint64_t{o.inserts} + o.updates + o.deletes + o.truncates == 0)
    fail("operations", "must give at least one operation a weight above 0");
  if (p.min_rows_per_txn == 0) fail("min_rows_per_txn", "must be greater than 0, got 0");
  if (p.max_rows_per_txn < p.min_rows_per_txn)
    fail("max_rows_per_txn", "must be at least min_rows_per_txn (" + std::to_string(p.min_rows_per_txn) +
                                 "), got " + std::to_string(p.max_rows_per_txn));
  if (p.max_rows_per_txn > 100'000'000)
    fail("max_rows_per_txn", "must be at most 100000000, got " + std::to_string(p.max_rows_per_txn));
  if (p.first_xid < 3) fail("first_xid", "must be at least 3 (a normal xid), got " + std::to_string(p.first_xid));
  if (p.start_lsn == 0) fail("start_lsn", "must be greater than 0, got 0");
  return errors;
}

// ---- the generator's state -------------------------------------------------------------------

struct wal_generator::state {
  generator_params p;
  std::uint64_t null_threshold = 0;
  std::uint64_t toast_threshold = 0;
  std::uint64_t key_change_threshold = 0;
  std::array<std::uint32_t, 4> op_weights{};
  std::uint64_t op_total = 0;
  std::array<std::uint64_t, 3> op_bounds{};  ///< cumulative weights of insert, update, delete
  std::array<std::uint32_t, 10> col_weights{};
  char present_kind = 't';       ///< 't' or 'b': how non-null values are sent

  std::vector<table_state> tables;
  std::uint64_t seq = 0;         ///< last write stamp used
  std::uint64_t index = 0;       ///< current transaction index
  std::uint64_t total_changes = 0;
  lsn_t wal_pos = 0;             ///< end of the WAL planned so far
  lsn_t position = 0;            ///< end of the last complete element
  lsn_t last_commit_end = 0;
  pg_time_t clock = 0;
  phase ph = phase::unit_start;
  txn_plan plan;
  std::size_t next_change = 0;
  lsn_t element_lsn = 0;         ///< keepalive walEnd / message LSN being produced
  lsn_t element_end = 0;
  bool skipping = false;
  lsn_t skip_lsn = 0;

  std::uint64_t events = 0;
  std::uint64_t changes_out = 0;
  std::uint64_t txns_out = 0;
  std::uint64_t txns_all = 0;

  // output and reused scratch
  wal_chunk* out = nullptr;
  byte_sink sink;
  std::string scratch;
  std::vector<pg::relation_column> rel_columns;
  std::string message_content;

  explicit state(generator_params params) : p(std::move(params)) {
    null_threshold = threshold_of(p.null_share);
    toast_threshold = threshold_of(p.unchanged_toast_share);
    key_change_threshold = threshold_of(p.key_change_share);
    op_weights = {p.operations.inserts, p.operations.updates, p.operations.deletes, p.operations.truncates};
    for (std::size_t i = 0; i < op_weights.size(); ++i) {
      op_total += op_weights[i];
      if (i < op_bounds.size()) op_bounds[i] = op_total;
    }
    col_weights = type_weights(p.column_types);
    present_kind = p.format == value_format::binary ? 'b' : 't';
    seq = p.initial_rows_per_table;
    wal_pos = p.start_lsn;
    position = p.start_lsn;
    clock = p.start_time;
    tables.resize(p.table_count);
    for (std::uint32_t i = 0; i < p.table_count; ++i) init_table(i);
  }

  // ---- schema ----

  void add_column(table_state& t, std::uint32_t table, std::string name, bool key, std::uint64_t added) {
    const std::size_t c = t.infos.size();
    column_type type = column_type::int8;
    if (!key) {
      splitmix64 r{hash3(p.seed, table, 0x10000 + c)};
      type = static_cast<column_type>(weighted(r, col_weights));
    }
    column_info info;
    info.name = std::move(name);
    info.type = type;
    info.type_oid = type_oid(type, p.enum_type_oid);
    info.typmod = type == column_type::numeric ? numeric_12_2_typmod : -1;
    info.key = key;
    t.infos.push_back(std::move(info));
    column_state cs;
    cs.seed = hash3(p.seed ^ 0xC01u, table, c);
    cs.added_stamp = added;
    cs.toastable = is_toastable(type);
    t.cols.push_back(cs);
  }

  void update_sizes(table_state& t) {
    std::uint32_t fixed = 0, varlen = 0;
    for (const column_info& c : t.infos) {
      if (is_toastable(c.type)) ++varlen;
      else fixed += fixed_width(c.type);
    }
    t.tuple_bytes = 23 + 2 * static_cast<std::uint32_t>(t.infos.size()) + fixed + varlen * t.varlen_avg;
  }

  void init_table(std::uint32_t i) {
    table_state& t = tables[i];
    t.relid = p.first_relid + i;
    t.name = p.table_prefix + std::to_string(i);
    t.variant_seed = hash3(p.seed ^ 0x7A8u, i, 0);
    add_column(t, i, "id", true, 0);
    for (std::uint32_t c = 1; c < p.column_count; ++c) add_column(t, i, "c" + std::to_string(c), false, 0);
    std::uint32_t fixed = 0, varlen = 0, json_extra = 0;
    for (const column_info& c : t.infos) {
      if (is_toastable(c.type)) {
        ++varlen;
        if (c.type == column_type::jsonb) json_extra += jsonb_overhead;
      } else {
        fixed += fixed_width(c.type);
      }
    }
    if (varlen > 0) {
      const std::uint32_t budget = p.avg_row_bytes > fixed + json_extra ? p.avg_row_bytes - fixed - json_extra : 0;
      t.varlen_avg = std::max<std::uint32_t>(1, budget / varlen);
    }
    t.has_toast = varlen > 0;
    update_sizes(t);
    build_pool(t);
    const std::uint64_t n = p.initial_rows_per_table;
    t.rows.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t k = 1; k <= n; ++k) {
      t.rows.push_back(row_slot{static_cast<std::int64_t>(k), k, k});
    }
    t.next_key = static_cast<std::int64_t>(n) + 1;
  }

  void build_pool(table_state& t) {
    variant_pool& pool = t.pool;
    const std::size_t per_row = std::size_t{t.tuple_bytes} + 5 * t.infos.size();
    const std::size_t fit = pool_budget_bytes / (std::size_t{p.table_count} * per_row + 1);
    pool.count = 4;
    while (pool.count < 4096 && pool.count * 2 <= fit) pool.count *= 2;
    pool.columns = static_cast<std::uint32_t>(t.infos.size() - 1);
    pool.bytes.clear();
    pool.offsets.clear();
    pool.offsets.reserve(std::size_t{pool.count} * pool.columns + 1);
    for (std::uint32_t r = 0; r < pool.count; ++r) {
      for (std::size_t c = 1; c < t.infos.size(); ++c) {
        pool.offsets.push_back(static_cast<std::uint32_t>(pool.bytes.size()));
        append_piece(t, c, column_hash(t, c, r), pool.bytes);
      }
    }
    pool.offsets.push_back(static_cast<std::uint32_t>(pool.bytes.size()));
  }

  /// ALTER TABLE ADD COLUMN before every alter_every_txns-th transaction, one table at a
  /// time: existing rows hold NULL there, and the Relation is re-sent before the next change.
  void maybe_alter(std::uint64_t i) {
    if (p.alter_every_txns == 0 || i == 0 || i % p.alter_every_txns != 0) return;
    const std::uint32_t ti = static_cast<std::uint32_t>((i / p.alter_every_txns - 1) % p.table_count);
    table_state& t = tables[ti];
    if (t.infos.size() >= max_columns) return;
    ++t.added_columns;
    add_column(t, ti, "x" + std::to_string(t.added_columns), false, seq + 1);
    update_sizes(t);
    t.relation_sent = false;
  }

  // ---- planning: everything that fixes WAL positions, drawn from (seed, index) alone ----

  std::uint32_t record_bytes(const table_state& t, op kind) const {
    const bool full = p.identity == identity_mode::full;
    switch (kind) {
      case op::insert: return 24 + 8 + t.tuple_bytes;
      case op::update: return 24 + 14 + t.tuple_bytes + (full ? t.tuple_bytes : 0);
      case op::remove: return 24 + 8 + (full ? t.tuple_bytes : 12);
      case op::truncate: return 24 + 24;
    }
    return 32;
  }

  void make_plan(std::uint64_t i) {
    splitmix64 r{hash3(p.seed, i, 1)};
    plan.index = i;
    plan.xid = static_cast<std::uint32_t>(p.first_xid + i);
    const std::uint32_t n = p.min_rows_per_txn +
                            static_cast<std::uint32_t>(r.below(std::uint64_t{p.max_rows_per_txn} - p.min_rows_per_txn + 1));
    plan.streamed = p.stream_above_rows != 0 && n > p.stream_above_rows;
    lsn_t lsn = wal_pos + 8 * r.below(64);  // other, unpublished WAL in between
    plan.changes.resize(n);
    for (planned_change& c : plan.changes) {
      // one draw: table from the low 32 bits, operation from the next 28, jitter from the top 4
      const std::uint64_t x = r.next();
      c.table = static_cast<std::uint32_t>(((x & 0xFFFFFFFFu) * p.table_count) >> 32);
      c.kind = pick_op(((x >> 32) & 0x0FFFFFFFu) * op_total >> 28);
      c.lsn = lsn;
      lsn += align8(record_bytes(tables[c.table], c.kind) + (x >> 60));
    }
    plan.commit_lsn = lsn;
    plan.end_lsn = lsn + align8(24 + 12 + r.below(16));
    plan.commit_time = clock + 1 + static_cast<pg_time_t>(r.below(2000));
    plan.apply = splitmix64{hash3(p.seed, i, 2)};
    clock = plan.commit_time;
    wal_pos = plan.end_lsn;
  }

  /// The operation whose cumulative weight range holds v (< op_total); branch-free, as
  /// the draws are random and a loop would mispredict.
  op pick_op(std::uint64_t v) const {
    return static_cast<op>(static_cast<int>(v >= op_bounds[0]) + static_cast<int>(v >= op_bounds[1]) +
                           static_cast<int>(v >= op_bounds[2]));
  }

  // ---- values ----

  static std::uint32_t variant_of(const table_state& t, std::uint64_t stamp) {
    return static_cast<std::uint32_t>(mix64(t.variant_seed + stamp * golden) & (t.pool.count - 1));
  }

  /// The hash that decides column c's value in row variant r, or nullopt for NULL.
  std::optional<std::uint64_t> column_hash(const table_state& t, std::size_t c, std::uint32_t r) const {
    const std::uint64_t h = mix64(t.cols[c].seed + (std::uint64_t{r} + 1) * golden);
    if (mix64(h ^ 0xA5A5A5A5A5A5A5A5ULL) < null_threshold) return std::nullopt;
    return h;
  }

  static std::uint64_t stamp_of(const column_state& cs, const row_slot& row) {
    return cs.toastable ? row.toast_stamp : row.stamp;
  }

  /// Column c (not the key) of a row last written at `stamp`, or nullopt for NULL.
  std::optional<std::uint64_t> value_hash(const table_state& t, std::size_t c, std::uint64_t stamp) const {
    if (stamp < t.cols[c].added_stamp) return std::nullopt;
    return column_hash(t, c, variant_of(t, stamp));
  }

  /// Appends the value of column c for hash h in `format` (PostgreSQL's output or send form).
  void format_value(const table_state& t, std::size_t c, std::uint64_t h, value_format format,
                    std::string& out) const {
    const bool bin = format == value_format::binary;
    switch (t.infos[c].type) {
      case column_type::int4: {
        const auto v = static_cast<std::int32_t>(h % 2'000'001) - 1'000'000;
        if (bin) append_be(out, static_cast<std::uint32_t>(v));
        else append_number(out, v);
        break;
      }
      case column_type::int8: {
        auto v = static_cast<std::int64_t>((h >> 8) % 1'000'000'000'000ULL);
        if (h & 1) v = -v;
        if (bin) append_be(out, static_cast<std::uint64_t>(v));
        else append_number(out, v);
        break;
      }
      case column_type::float8: {
        // quarters below 25 million: exact in binary, plain decimals in PostgreSQL's output
        double v = static_cast<double>((h >> 8) % 100'000'000) / 4.0;
        if ((h & 1) && v != 0) v = -v;
        if (bin) {
          append_be(out, std::bit_cast<std::uint64_t>(v));
        } else {
          char buf[48];
          auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
          out.append(buf, r.ptr);
        }
        break;
      }
      case column_type::numeric: {
        auto cents = static_cast<std::int64_t>((h >> 8) % 10'000'000'000ULL);
        if ((h & 1) && cents != 0) cents = -cents;
        if (bin) {
          append_numeric_binary(out, cents);
        } else {
          const std::uint64_t mag = static_cast<std::uint64_t>(cents < 0 ? -cents : cents);
          if (cents < 0) out.push_back('-');
          append_number(out, mag / 100);
          char frac[3] = {'.', 0, 0};
          append_2digits(frac + 1, static_cast<unsigned>(mag % 100));
          out.append(frac, 3);
        }
        break;
      }
      case column_type::boolean: {
        const bool v = (h >> 17) & 1;
        if (bin) out.push_back(v ? 1 : 0);
        else out.push_back(v ? 't' : 'f');
        break;
      }
      case column_type::text: {
        const std::uint32_t avg = t.varlen_avg;
        append_letters(out, h >> 24, avg / 2 + (h >> 8) % (avg + 1));
        break;
      }
      case column_type::timestamptz: {
        const pg_time_t v = 757'382'400'000'000LL + static_cast<pg_time_t>((h >> 8) % (366ULL * 86'400'000'000ULL));
        if (bin) append_be(out, static_cast<std::uint64_t>(v));
        else append_timestamptz(out, v);
        break;
      }
      case column_type::uuid: {
        const std::uint64_t a = h, b = mix64(h);
        if (bin) {
          append_be(out, a);
          append_be(out, b);
        } else {
          char buf[36];
          append_hex(buf, a >> 32, 8);
          buf[8] = '-';
          append_hex(buf + 9, (a >> 16) & 0xFFFF, 4);
          buf[13] = '-';
          append_hex(buf + 14, a & 0xFFFF, 4);
          buf[18] = '-';
          append_hex(buf + 19, b >> 48, 4);
          buf[23] = '-';
          append_hex(buf + 24, b & 0xFFFFFFFFFFFFULL, 12);
          out.append(buf, 36);
        }
        break;
      }
      case column_type::jsonb: {
        // jsonb's text output: keys of equal length in byte order, ": " and ", " spacing
        if (bin) out.push_back(1);  // jsonb_send version byte, then the text
        out.append("{\"n\": ");
        append_number(out, static_cast<std::uint32_t>(h % 100000));
        out.append(", \"s\": \"");
        const std::uint32_t avg = t.varlen_avg;
        append_letters(out, h >> 24, avg / 2 + (h >> 8) % (avg + 1));
        out.append("\"}");
        break;
      }
      case column_type::enumeration:
        out.append(enum_labels[(h >> 8) % enum_labels.size()]);
        break;
    }
  }

  /// Appends one TupleData column: 'n', or the value kind, Int32 length and the bytes.
  void append_piece(const table_state& t, std::size_t c, std::optional<std::uint64_t> h, std::string& out) const {
    if (!h) {
      out.push_back('n');
      return;
    }
    out.push_back(present_kind);
    const std::size_t len_at = out.size();
    out.append(4, '\0');
    format_value(t, c, *h, p.format, out);
    store_be32(out.data() + len_at, static_cast<std::uint32_t>(out.size() - len_at - 4));
  }

  /// The text form of column c of `row` (for expected_rows), nullopt for NULL.
  std::optional<std::string> text_value(const table_state& t, std::size_t c, const row_slot& row) const {
    std::string s;
    if (c == 0) {
      append_number(s, row.key);
      return s;
    }
    const auto h = value_hash(t, c, stamp_of(t.cols[c], row));
    if (!h) return std::nullopt;
    format_value(t, c, *h, value_format::text, s);
    return s;
  }

  // ---- tuples ----
  // TupleData is written here directly rather than through pgoutput::encode, so that the
  // pooled columns of a row are one memcpy; the round-trip and generator tests decode it.

  enum class tuple_shape : std::uint8_t { full, key_only, unchanged_toast };

  void append_tuple(const table_state& t, const row_slot& row, tuple_shape shape) {
    byte_sink& o = sink;
    const std::size_t ncols = t.infos.size();
    be_writer h{o.claim(2 + 1 + 4 + 24)};
    h.u16(static_cast<std::uint16_t>(ncols));
    if (p.format == value_format::binary) {
      h.ch('b');
      h.u32(8);
      h.u64(static_cast<std::uint64_t>(row.key));
    } else {
      h.ch('t');
      char* len_at = h.p;
      const auto r = std::to_chars(len_at + 4, len_at + 4 + 24, row.key);
      h.u32(static_cast<std::uint32_t>(r.ptr - len_at - 4));
      h.p = r.ptr;
    }
    o.commit(h.p);

    const variant_pool& pool = t.pool;
    if (pool.columns > 0) {
      const std::uint32_t r = variant_of(t, row.stamp);
      if (shape == tuple_shape::key_only) {
        o.fill('n', pool.columns);
      } else if (shape == tuple_shape::full && (!t.has_toast || row.toast_stamp == row.stamp)) {
        o.put(pool.row(r));
      } else {
        const std::uint32_t rt = variant_of(t, row.toast_stamp);
        for (std::size_t c = 1; c <= pool.columns; ++c) {
          if (!t.cols[c].toastable) {
            o.put(pool.piece(r, c));
          } else if (shape == tuple_shape::unchanged_toast) {
            // an unchanged on-disk value is 'u'; an unchanged NULL is still sent as 'n'
            o.put(pool.piece(rt, c)[0] == 'n' ? 'n' : 'u');
          } else {
            o.put(pool.piece(rt, c));
          }
        }
      }
    }
    for (std::size_t c = pool.columns + 1; c < ncols; ++c) {  // added by ALTER TABLE
      if (shape == tuple_shape::key_only) {
        o.put('n');
        continue;
      }
      const auto hv = value_hash(t, c, stamp_of(t.cols[c], row));
      if (shape == tuple_shape::unchanged_toast && t.cols[c].toastable) {
        o.put(hv ? 'u' : 'n');
      } else {
        scratch.clear();
        append_piece(t, c, hv, scratch);
        o.put(scratch);
      }
    }
  }

  // ---- output ----

  void end_event() {
    assert(sink.used() <= UINT32_MAX);
    out->ends.push_back(static_cast<std::uint32_t>(sink.used()));
    ++events;
  }

  /// The messages other than I/U/D go through pgoutput::encode.
  void emit_w(lsn_t lsn, pg_time_t send_time, const pg::message& m) {
    scratch.clear();
    pg::encode(pg::envelope{pg::xlog_data{lsn, lsn, send_time, {}}}, scratch);
    pg::encode(m, scratch);
    sink.put(scratch);
    end_event();
  }

  /// 'w' header plus the start of an I/U/D message: type, [xid], relid.
  static void change_header(be_writer& h, lsn_t lsn, pg_time_t send_time, char type,
                            std::optional<std::uint32_t> xid, std::uint32_t relid) {
    h.ch('w');
    h.u64(lsn);
    h.u64(lsn);
    h.u64(static_cast<std::uint64_t>(send_time));
    h.ch(type);
    if (xid) h.u32(*xid);
    h.u32(relid);
  }

  void emit_relation(const table_state& t, std::optional<std::uint32_t> xid, pg_time_t send_time) {
    const bool full = p.identity == identity_mode::full;
    for (const column_info& c : t.infos) {
      if (c.type == column_type::enumeration) {
        emit_w(0, send_time, pg::type_msg{xid, p.enum_type_oid, p.schema, "mood"});
      }
    }
    rel_columns.resize(t.infos.size());
    for (std::size_t c = 0; c < t.infos.size(); ++c) {
      const column_info& ci = t.infos[c];
      rel_columns[c] = pg::relation_column{static_cast<std::uint8_t>(ci.key || full ? 1 : 0), ci.name,
                                           ci.type_oid, ci.typmod};
    }
    emit_w(0, send_time,
           pg::relation_msg{xid, t.relid, p.schema, t.name, full ? 'f' : 'd',
                            std::span<const pg::relation_column>(rel_columns)});
  }

  // ---- one change: model update (always), messages (when emitting) ----

  void do_change(std::size_t j, bool emit) {
    const planned_change& pc = plan.changes[j];
    table_state& t = tables[pc.table];
    op kind = pc.kind;
    if ((kind == op::update || kind == op::remove) && t.rows.empty()) kind = op::insert;

    const bool streamed = plan.streamed;
    bool need_relation;
    if (streamed) {
      need_relation = t.streamed_sent_txn != plan.index;
      t.streamed_sent_txn = plan.index;
    } else {
      need_relation = !t.relation_sent;
      t.relation_sent = true;
    }

    row_slot old_row{}, new_row{};
    bool unchanged_toast = false, key_changed = false;
    switch (kind) {
      case op::insert:
        ++seq;
        new_row = row_slot{t.next_key++, seq, seq};
        t.rows.push_back(new_row);
        break;
      case op::update: {
        const std::size_t idx = static_cast<std::size_t>(plan.apply.below(t.rows.size()));
        key_changed = plan.apply.chance(key_change_threshold);
        unchanged_toast = plan.apply.chance(toast_threshold);
        old_row = t.rows[idx];
        ++seq;
        new_row = row_slot{key_changed ? t.next_key++ : old_row.key, seq, unchanged_toast ? old_row.toast_stamp : seq};
        t.rows[idx] = new_row;
        break;
      }
      case op::remove: {
        const std::size_t idx = static_cast<std::size_t>(plan.apply.below(t.rows.size()));
        old_row = t.rows[idx];
        t.rows[idx] = t.rows.back();
        t.rows.pop_back();
        break;
      }
      case op::truncate:
        t.rows.clear();
        break;
    }
    ++total_changes;
    if (!emit) return;

    const lsn_t lsn = pc.lsn;
    const pg_time_t send_time = plan.commit_time + 100;
    const std::optional<std::uint32_t> xid = streamed ? std::optional<std::uint32_t>(plan.xid) : std::nullopt;
    const std::size_t seg = p.stream_above_rows;
    if (streamed) {
      if (j % seg == 0) emit_w(lsn, send_time, pg::stream_start_msg{plan.xid, static_cast<std::uint8_t>(j == 0)});
    } else if (j == 0) {
      emit_w(lsn, send_time, pg::begin_msg{plan.commit_lsn, plan.commit_time, plan.xid});
    }
    if (need_relation) emit_relation(t, xid, send_time);

    const bool full = p.identity == identity_mode::full;
    byte_sink& o = sink;
    be_writer h{o.claim(64)};
    switch (kind) {
      case op::insert:
        change_header(h, lsn, send_time, 'I', xid, t.relid);
        h.ch('N');
        o.commit(h.p);
        append_tuple(t, new_row, tuple_shape::full);
        break;
      case op::update:
        change_header(h, lsn, send_time, 'U', xid, t.relid);
        if (full || key_changed) {
          h.ch(full ? 'O' : 'K');
          o.commit(h.p);
          append_tuple(t, old_row, full ? tuple_shape::full : tuple_shape::key_only);
        } else {
          o.commit(h.p);
        }
        o.put('N');
        append_tuple(t, new_row, unchanged_toast ? tuple_shape::unchanged_toast : tuple_shape::full);
        break;
      case op::remove:
        change_header(h, lsn, send_time, 'D', xid, t.relid);
        h.ch(full ? 'O' : 'K');
        o.commit(h.p);
        append_tuple(t, old_row, full ? tuple_shape::full : tuple_shape::key_only);
        break;
      case op::truncate:
        emit_w(lsn, send_time, pg::truncate_msg{xid, 0, std::span<const std::uint32_t>(&t.relid, 1)});
        break;
    }
    if (kind != op::truncate) end_event();
    ++changes_out;

    if (streamed && (j % seg == seg - 1 || j + 1 == plan.changes.size())) {
      emit_w(lsn, send_time, pg::stream_stop_msg{});
    }
  }

  void do_commit(bool emit) {
    if (plan.streamed) {
      // pgoutput counts a Relation sent inside a committed streamed txn as sent
      for (table_state& t : tables) {
        if (t.streamed_sent_txn == plan.index) t.relation_sent = true;
      }
    }
    if (emit) {
      const pg_time_t send_time = plan.commit_time + 100;
      if (plan.streamed) {
        emit_w(plan.end_lsn, send_time,
               pg::stream_commit_msg{plan.xid, 0, plan.commit_lsn, plan.end_lsn, plan.commit_time});
      } else {
        emit_w(plan.end_lsn, send_time, pg::commit_msg{0, plan.commit_lsn, plan.end_lsn, plan.commit_time});
      }
      ++txns_out;
    }
    ++txns_all;
    position = plan.end_lsn;
    last_commit_end = plan.end_lsn;
  }

  bool bound_reached() const {
    return (p.max_txns != 0 && index >= p.max_txns) || (p.max_changes != 0 && total_changes >= p.max_changes);
  }

  /// True when the element at `lsn` lies at or below the seek position (already consumed).
  bool skip(lsn_t lsn) {
    if (skipping && lsn <= skip_lsn) return true;
    skipping = false;
    return false;
  }

  /// Moves the state machine one step; produces at most one step's payloads.
  void advance() {
    switch (ph) {
      case phase::unit_start:
        if (bound_reached()) {
          ph = phase::finished;
          return;
        }
        maybe_alter(index);
        make_plan(index);
        if (skip(plan.end_lsn)) {
          for (std::size_t j = 0; j < plan.changes.size(); ++j) do_change(j, false);
          do_commit(false);
          ph = phase::keepalive_check;
        } else {
          next_change = 0;
          ph = phase::changes;
        }
        return;
      case phase::changes:
        do_change(next_change++, true);
        if (next_change == plan.changes.size()) ph = phase::commit;
        return;
      case phase::commit:
        do_commit(true);
        ph = phase::keepalive_check;
        return;
      case phase::keepalive_check:
        ph = phase::message_check;
        if (p.keepalive_every_txns != 0 && (index + 1) % p.keepalive_every_txns == 0) {
          wal_pos += 8 * (1 + hash3(p.seed, index, 3) % 32);
          element_lsn = wal_pos;
          if (skip(element_lsn)) position = element_lsn;
          else ph = phase::keepalive_emit;
        }
        return;
      case phase::keepalive_emit: {
        // every tenth keepalive asks for a reply, as wal_sender_timeout / 2 would
        const bool reply = (index + 1) / p.keepalive_every_txns % 10 == 0;
        scratch.clear();
        pg::encode(pg::envelope{pg::keepalive{element_lsn, clock + 200, reply}}, scratch);
        sink.put(scratch);
        end_event();
        position = element_lsn;
        ph = phase::message_check;
        return;
      }
      case phase::message_check:
        if (p.message_every_txns != 0 && (index + 1) % p.message_every_txns == 0) {
          message_content = "after txn " + std::to_string(index);
          element_lsn = wal_pos + 8 * (1 + hash3(p.seed, index, 4) % 16);
          element_end = element_lsn + align8(24 + 8 + p.message_prefix.size() + 1 + message_content.size());
          wal_pos = element_end;
          if (skip(element_lsn)) {
            position = element_end;
          } else {
            ph = phase::message_emit;
            return;
          }
        }
        ++index;
        ph = phase::unit_start;
        return;
      case phase::message_emit:
        emit_w(element_lsn, clock + 300,
               pg::logical_message_msg{std::nullopt, 0, element_lsn, p.message_prefix, message_content});
        position = element_end;
        ++index;
        ph = phase::unit_start;
        return;
      case phase::finished:
        return;
    }
  }
};

// ---- public API --------------------------------------------------------------------------------

namespace {
generator_params checked(generator_params p) {
  const std::vector<std::string> errors = validate(p);
  if (!errors.empty()) {
    std::string msg = "wal_generator: invalid parameters:";
    for (const std::string& e : errors) msg += "\n  " + e;
    throw std::invalid_argument(msg);
  }
  return p;
}
}  // namespace

wal_generator::wal_generator(generator_params params)
    : s_(std::make_unique<state>(checked(std::move(params)))) {}
wal_generator::~wal_generator() = default;
wal_generator::wal_generator(wal_generator&&) noexcept = default;
wal_generator& wal_generator::operator=(wal_generator&&) noexcept = default;

void wal_generator::seek(lsn_t lsn, resume_mode mode) {
  s_ = std::make_unique<state>(std::move(s_->p));
  s_->skipping = true;
  s_->skip_lsn = lsn;
  while (s_->skipping && s_->ph != phase::finished) s_->advance();
  if (mode == resume_mode::new_session) {
    for (table_state& t : s_->tables) {
      t.relation_sent = false;
      t.streamed_sent_txn = UINT64_MAX;
    }
  }
}

std::size_t wal_generator::next_batch(wal_chunk& out, std::size_t max_bytes, std::size_t max_events) {
  state& s = *s_;
  s.out = &out;
  s.sink.open(out.bytes, std::min(max_bytes, byte_sink::step) + 4096);
  const std::size_t before = out.size();
  while (s.ph != phase::finished) {
    const std::size_t produced = out.size() - before;
    if (produced != 0 && (s.sink.used() >= max_bytes || produced >= max_events)) break;
    s.advance();
  }
  s.sink.close();
  s.out = nullptr;
  return out.size() - before;
}

bool wal_generator::finished() const { return s_->ph == phase::finished; }
bool wal_generator::in_transaction() const {
  return s_->ph == phase::commit || (s_->ph == phase::changes && s_->next_change > 0);
}
lsn_t wal_generator::position() const { return s_->position; }
lsn_t wal_generator::last_commit_end() const { return s_->last_commit_end; }
std::uint64_t wal_generator::events_emitted() const { return s_->events; }
std::uint64_t wal_generator::changes_emitted() const { return s_->changes_out; }
std::uint64_t wal_generator::txns_emitted() const { return s_->txns_out; }
std::uint64_t wal_generator::txns_total() const { return s_->txns_all; }
const generator_params& wal_generator::params() const { return s_->p; }

std::size_t wal_generator::table_count() const { return s_->tables.size(); }
std::uint32_t wal_generator::relid(std::size_t table) const { return s_->tables.at(table).relid; }
const std::string& wal_generator::table_name(std::size_t table) const { return s_->tables.at(table).name; }
std::span<const column_info> wal_generator::columns(std::size_t table) const { return s_->tables.at(table).infos; }
std::uint64_t wal_generator::row_count(std::size_t table) const { return s_->tables.at(table).rows.size(); }

std::map<std::int64_t, row_values> wal_generator::expected_rows(std::size_t table) const {
  const table_state& t = s_->tables.at(table);
  std::map<std::int64_t, row_values> rows;
  for (const row_slot& r : t.rows) {
    row_values vals(t.infos.size());
    for (std::size_t c = 0; c < t.infos.size(); ++c) vals[c] = s_->text_value(t, c, r);
    rows.emplace(r.key, std::move(vals));
  }
  return rows;
}

std::uint64_t wal_generator::checksum(std::size_t table) const {
  const table_state& t = s_->tables.at(table);
  std::uint64_t sum = 0;
  row_values vals(t.infos.size());
  std::vector<std::optional<std::string_view>> views(t.infos.size());
  for (const row_slot& r : t.rows) {
    for (std::size_t c = 0; c < t.infos.size(); ++c) {
      vals[c] = s_->text_value(t, c, r);
      views[c] = vals[c] ? std::optional<std::string_view>(*vals[c]) : std::nullopt;
    }
    sum += row_checksum(views);
  }
  return sum;
}

std::uint64_t wal_generator::row_checksum(std::span<const std::optional<std::string_view>> values) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  auto feed = [&h](unsigned char b) {
    h ^= b;
    h *= 0x100000001B3ULL;
  };
  for (const auto& v : values) {
    if (!v) {
      feed(0);
      continue;
    }
    feed(1);
    const auto len = static_cast<std::uint32_t>(v->size());
    for (int i = 0; i < 4; ++i) feed(static_cast<unsigned char>(len >> (8 * i)));
    for (char ch : *v) feed(static_cast<unsigned char>(ch));
  }
  return mix64(h);
}

}  // namespace pg2sr::codecs::wal_gen
