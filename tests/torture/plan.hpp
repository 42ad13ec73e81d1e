// The torture run's plan, drawn from one seed: schema, initial rows, snapshot settings,
// each session's transactions and the faults with their times. Pure: same seed and options
// -> same plan (the interleaving of the sessions and faults in real time is the only thing
// a replay does not repeat exactly).
//
// Generated names and literals use [a-z0-9_-] only, so the SQL built here needs no quoting.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace pg2sr::torture {

struct plan_options {
  double minutes = 1;          ///< how long the workload and the faults run
  int max_tables = 8;          ///< 1..max_tables tables
  int big_rows = 1000000;      ///< rows of the one big transaction
  bool keyless = true;         ///< keyless tables (REPLICA IDENTITY FULL) in the draw
  bool toast = true;           ///< TOAST columns (drawn either way: a seed's other draws stay the same)
  double faults_per_minute = 3;
  // What the StarRocks sink cannot mirror; the schema a seed draws stays the same.
  bool special_values = true;        ///< numeric NaN/Infinity, timestamptz +/-infinity
  bool append_only_keyless = false;  ///< keyless tables only get inserts (Duplicate Key)
  bool truncate = true;              ///< sometimes a TRUNCATE
  bool partitions = true;            ///< partitioned tables, partitions swapped (detach + attach) mid-run
  bool resync = true;                ///< sometimes a lost slot and a resync (fault_kind::lost_slot)
  bool starrocks = false;            ///< emulator faults, load format and compression drawn
};

enum class key_kind { int4, int8, text, uuid, composite, none };
const char* key_kind_name(key_kind k);

struct column_plan {
  std::string name;
  std::string type;
  bool toast = false;  ///< large values: shown as length + md5 in difference reports
};

/// One partition of a partitioned table; `sub` partitions it again (by hash of the key).
struct partition_plan {
  std::string name;
  std::string bound;  ///< FOR VALUES ... of ATTACH / PARTITION OF
  int sub = 0;        ///< hash partitions under it; 0: a leaf
};

struct table_plan {
  std::string name;  ///< unqualified, in schema public
  key_kind key = key_kind::int4;
  std::string partition_by;               ///< "" or RANGE (..) / LIST (..) / HASH (..)
  std::vector<partition_plan> partitions;
  std::vector<column_plan> columns;  ///< every column, key columns first
  std::vector<std::string> key_columns;  ///< for key_kind::none: k, an address, not a key
  bool has_note = false, has_amount = false, has_at = false, has_big = false, has_blob = false;
  int initial_rows = 0;
  long key_space = 0;  ///< workload keys are drawn from 1..key_space
  std::uint64_t salt = 0;
  bool special_values = true;  ///< from plan_options

  std::string qualified() const { return "public." + name; }
  std::string create_sql() const;
  /// One transaction's statements: partition `index`, now named `current`, detached and
  /// moved to schema retired (as `retired`), and a new table `replacement` with every other
  /// of its rows attached in its place (new names: index names stay unique).
  std::vector<std::string> swap_partition_sql(std::size_t index, const std::string& current,
                                              const std::string& replacement, const std::string& retired) const;
  /// SQL expressions of the key columns for integer key number `k_sql` (an SQL expression).
  std::vector<std::string> key_exprs(const std::string& k_sql) const;
  /// `(cols) IN (...)` for the key numbers.
  std::string key_in(const std::vector<long>& ks) const;
  /// INSERT ... SELECT of key numbers from..to; every `toast_every`-th row gets TOAST values.
  std::string insert_range_sql(long from, long to, int toast_every) const;
};

/// lost_slot: pg2sr killed, its slot dropped while the workload writes on (the gap), then
/// `pg2sr resync` and a start: the resync must leave no row of the gap behind.
enum class fault_kind { kill9, walsender, pg_restart, emulator, lost_slot };
const char* fault_kind_name(fault_kind k);

struct fault_event {
  double at_s = 0;     ///< seconds after the workload started
  fault_kind kind = fault_kind::kill9;
  double pause_s = 0;  ///< kill9, lost_slot: how long pg2sr stays down
  std::string emulator_fault;  ///< emulator: fail, http_500, drop_connection, publish_timeout, ...
  int count = 1;               ///< emulator: loads it hits
  int delay_ms = 0;            ///< emulator: slow_response, label_running, publish_timeout
};

struct run_plan {
  std::uint64_t seed = 0;
  plan_options options;
  std::vector<table_plan> tables;
  int chunk_rows = 100;
  int parallelism = 1;
  int max_rows_per_sec = 2000;
  std::string flush_interval = "100ms";
  int batch_max_rows = 100000;
  std::vector<fault_event> faults;
  double big_txn_at_s = 0;
  int big_txn_table = 0;
  double truncate_at_s = -1;  ///< < 0: no TRUNCATE in this run
  int truncate_table = 0;
  struct partition_swap {
    double at_s = 0;
    int table = 0;
    std::size_t partition = 0;
  };
  std::vector<partition_swap> swaps;  ///< by time
  bool streaming = false;             ///< pg2sr's [source] streaming (transactions in progress)
  std::string load_format = "json";  ///< starrocks
  std::string compression = "none";  ///< starrocks

  /// Human-readable summary (also written to the run folder).
  std::string describe() const;
};

run_plan make_plan(std::uint64_t seed, const plan_options& options);

/// One transaction of a session: statements between BEGIN and COMMIT (or ROLLBACK).
struct txn_plan {
  std::vector<std::string> statements;
  bool commit = true;
  std::string kind;  ///< plain, savepoint, aborted
  int pause_ms = 0;  ///< sleep after it
};

/// A session's endless stream of transactions, from its own generator (seed, session).
class session_plan {
 public:
  session_plan(const run_plan& plan, int session);
  txn_plan next();

 private:
  std::string random_op();
  long key(const table_plan& t);
  std::vector<long> keys(const table_plan& t, int max_count);
  std::string row_values(const table_plan& t, long k);
  std::string small_set(const table_plan& t);

  const run_plan& plan_;
  std::mt19937_64 rng_;
};

}  // namespace pg2sr::torture
