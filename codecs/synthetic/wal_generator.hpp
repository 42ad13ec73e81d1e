// Synthetic WAL generator: the CopyData payloads a pgoutput walsender would send for a
// made-up workload, to load-test the pipeline without a database.
//
// The stream is a pure function of (seed, parameters). Transactions come in order; each
// one's plan (row count, tables, operations, WAL positions) is drawn from a generator
// seeded by (seed, transaction index), and its effect on the rows from a second one, so a
// restart at any LSN replays the earlier transactions without encoding them and then
// produces the same bytes an uninterrupted run produces from there. The generator keeps
// the live rows of every table (key plus two write stamps), so updates and deletes always
// hit existing keys and the final state is known.
//
// Values: keys are unique; the other columns of a row written at stamp s come from row
// variant hash(s) of a per-table pool (up to 4096 variants, about 8 MiB across all tables,
// encoded once), so writing a row is mostly one memcpy. Text and jsonb columns may keep
// an older variant (unchanged TOAST); columns added by ALTER are NULL in older rows.
//
// What it writes, as PostgreSQL 15+ does (proto.c, pgoutput.c, walsender.c):
// - 'w' XLogData, one pgoutput message each. dataStart = walEnd = the LSN of the change
//   record; Begin and Stream Start carry the LSN of their first change (they are sent from
//   the change callback), Commit/Stream Commit the commit's end LSN, Relation and Type 0.
//   So positions never decrease, and every change record's LSN is strictly above the one
//   before.
// - Begin.final_lsn == Commit.commit_lsn, Commit.end_lsn > commit_lsn, end_lsn is where
//   the next WAL starts (records are 8-byte aligned, each a 24-byte header plus a body
//   sized like the tuple it logs).
// - Relation (after a Type per enum column) precedes a table's first change in a session,
//   again after each simulated ALTER TABLE ADD COLUMN, and once per streamed transaction.
// - REPLICA IDENTITY DEFAULT: updates carry 'K' only when the key changes, deletes 'K'
//   with the key and nulls; FULL: 'O' with the whole old row on every update and delete.
// - 'u' (unchanged TOAST) only for text/jsonb columns in an update's new tuple.
// - 'k' keepalives and non-transactional 'M' messages between transactions, optionally.
// - Transactions with more than `stream_above_rows` rows are streamed: S(xid) ... E
//   segments whose messages carry the xid, then 'c'.
#pragma once

#include "codecs/pgoutput/pgoutput.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pg2sr::codecs::wal_gen {

using pgoutput::lsn_t;
using pgoutput::pg_time_t;

enum class column_type : std::uint8_t {
  int4,         ///< integer
  int8,         ///< bigint
  float8,       ///< double precision
  numeric,      ///< numeric(12,2)
  boolean,      ///< boolean
  text,         ///< text (TOAST-able: may be sent as 'u' in updates)
  timestamptz,  ///< timestamp with time zone, text form in UTC ("+00")
  uuid,         ///< uuid
  jsonb,        ///< jsonb (TOAST-able)
  enumeration,  ///< a user enum (oid >= 10000, so a Type message precedes the Relation)
};

/// Relative weights of the non-key column types (the key is always `id bigint`).
struct column_type_weights {
  std::uint32_t int4 = 2;
  std::uint32_t int8 = 2;
  std::uint32_t float8 = 1;
  std::uint32_t numeric = 1;
  std::uint32_t boolean = 1;
  std::uint32_t text = 3;
  std::uint32_t timestamptz = 1;
  std::uint32_t uuid = 1;
  std::uint32_t jsonb = 1;
  std::uint32_t enumeration = 0;
};

/// Relative weights of the row operations. An update or delete drawn for an empty table
/// becomes an insert.
struct operation_weights {
  std::uint32_t inserts = 50;
  std::uint32_t updates = 35;
  std::uint32_t deletes = 10;
  std::uint32_t truncates = 0;
};

enum class identity_mode : std::uint8_t { default_key, full };
enum class value_format : std::uint8_t { text, binary };

/// How a stream that starts in the middle (seek) treats Relation messages.
enum class resume_mode : std::uint8_t {
  new_session,   ///< a new walsender session: Relation/Type re-sent before each table's first change
  same_session,  ///< continue as if never interrupted: bytes identical to an uninterrupted run
};

struct generator_params {
  std::uint64_t seed = 1;

  // tables
  std::uint32_t table_count = 4;
  std::string schema = "public";
  std::string table_prefix = "gen_";      ///< tables are <prefix>0, <prefix>1, ...
  std::uint32_t first_relid = 16384;      ///< table i has relid first_relid + i
  std::uint32_t enum_type_oid = 16380;    ///< oid of the enum type (>= 10000)
  std::uint32_t column_count = 4;         ///< per table, including the key column `id`
  column_type_weights column_types;
  std::uint32_t avg_row_bytes = 64;       ///< text width of a row (<= 1 MiB); text/jsonb take what the others leave
  double null_share = 0.02;               ///< share of NULLs among non-key values
  std::uint64_t initial_rows_per_table = 0;  ///< rows present before the stream (keys 1..n)
  identity_mode identity = identity_mode::default_key;
  value_format format = value_format::text;  ///< pgoutput `binary` option

  // transactions
  operation_weights operations;
  std::uint32_t min_rows_per_txn = 1;
  std::uint32_t max_rows_per_txn = 10;
  double unchanged_toast_share = 0.0;     ///< share of updates that send text/jsonb columns as 'u'
  double key_change_share = 0.0;          ///< share of updates that give the row a new key
  std::uint32_t keepalive_every_txns = 0; ///< a 'k' after every n-th transaction; 0 = none
  std::uint32_t alter_every_txns = 0;     ///< ADD COLUMN to one table before every n-th txn; 0 = none
  std::uint32_t message_every_txns = 0;   ///< a non-transactional 'M' after every n-th txn; 0 = none
  std::string message_prefix = "pg2sr_gen";
  std::uint32_t stream_above_rows = 0;    ///< stream transactions with more rows, in segments of this many; 0 = never

  // positions
  lsn_t start_lsn = 0x1000028;            ///< where the first transaction's WAL begins
  pg_time_t start_time = 757'382'400'000'000;  ///< 2024-01-01 00:00:00 UTC, PostgreSQL epoch
  std::uint32_t first_xid = 750;          ///< transaction i has xid first_xid + i

  // bounds: the stream ends after the transaction that reaches one of them (0 = no bound)
  std::uint64_t max_txns = 0;
  std::uint64_t max_changes = 0;          ///< row changes (I/U/D/T), counted from the stream's start
};

/// Every problem with `params`, one sentence each naming the field and the bad value;
/// empty when the parameters are usable.
std::vector<std::string> validate(const generator_params& params);

/// A batch of CopyData payloads stored back to back: payload i is
/// bytes[ends[i-1], ends[i]) (from 0 for i = 0). Clearing keeps the capacity.
struct wal_chunk {
  std::string bytes;
  std::vector<std::uint32_t> ends;

  std::size_t size() const { return ends.size(); }
  bool empty() const { return ends.empty(); }
  std::string_view operator[](std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
  void clear() {
    bytes.clear();
    ends.clear();
  }
};

/// A column of a generated table as its Relation message describes it.
struct column_info {
  std::string name;
  column_type type = column_type::int4;
  std::uint32_t type_oid = 0;
  std::int32_t typmod = -1;
  bool key = false;
};

/// One row in PostgreSQL's text output form, NULL as nullopt, in the table's current
/// column order (a column added after the row was last written is NULL).
using row_values = std::vector<std::optional<std::string>>;

class wal_generator {
 public:
  /// Throws std::invalid_argument listing validate()'s messages if `params` are unusable.
  explicit wal_generator(generator_params params);
  ~wal_generator();
  wal_generator(wal_generator&&) noexcept;
  wal_generator& operator=(wal_generator&&) noexcept;

  /// Restarts the stream as START_REPLICATION at `lsn` would: from the beginning, it
  /// replays (without producing bytes) every transaction whose commit end LSN is <= `lsn`
  /// and every keepalive and message at or below `lsn`; the next batch then starts with
  /// the first element after it. Costs a replay of the earlier transactions' plans and
  /// row changes without encoding (about 30-60 ns per change), plus the value pools.
  void seek(lsn_t lsn, resume_mode mode = resume_mode::new_session);

  /// Appends whole CopyData payloads to `out` until it holds at least `max_bytes` bytes or
  /// `max_events` more payloads (a step may overshoot by its Begin/Relation/Stream
  /// messages), or the stream ends. Returns the number of payloads appended; 0 = finished.
  std::size_t next_batch(wal_chunk& out, std::size_t max_bytes, std::size_t max_events = SIZE_MAX);

  /// True once a bound was reached and the last transaction's commit was produced.
  bool finished() const;
  /// True between a transaction's first change and its commit.
  bool in_transaction() const;
  /// WAL position after the last complete element produced or skipped (commit end LSN,
  /// keepalive walEnd or the end of a message's record).
  lsn_t position() const;
  /// End LSN of the last commit produced or skipped: what a client would acknowledge.
  lsn_t last_commit_end() const;
  std::uint64_t events_emitted() const;   ///< CopyData payloads produced
  std::uint64_t changes_emitted() const;  ///< I/U/D/T messages produced
  std::uint64_t txns_emitted() const;     ///< commits produced
  std::uint64_t txns_total() const;       ///< transactions produced or skipped
  const generator_params& params() const;

  // ---- the model: the tables' schemas and rows after everything produced or skipped ----
  // Meaningful when !in_transaction() (the rows include the open transaction's changes).

  std::size_t table_count() const;
  std::uint32_t relid(std::size_t table) const;
  const std::string& table_name(std::size_t table) const;
  std::span<const column_info> columns(std::size_t table) const;
  std::uint64_t row_count(std::size_t table) const;
  /// Every live row of `table`, by key (for tests; checksum() suits big tables).
  std::map<std::int64_t, row_values> expected_rows(std::size_t table) const;
  /// Order-independent checksum of expected_rows(table): the wrapping sum of
  /// row_checksum() over its rows.
  std::uint64_t checksum(std::size_t table) const;
  /// Hash of one row (key column first, text form, current column order): FNV-1a 64 over,
  /// per column, 0x00 for NULL or 0x01 + 4-byte little-endian length + bytes, then
  /// finalised with the splitmix64 mixer. Lets a test checksum the rows it reads back.
  static std::uint64_t row_checksum(std::span<const std::optional<std::string_view>> values);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace pg2sr::codecs::wal_gen
