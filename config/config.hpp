// pg2sr configuration: the validated structs a TOML file becomes. Loaded and checked once at
// start (loader.cpp); everything downstream trusts these values.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/secret.hpp"

namespace pg2sr::config {

using duration = std::chrono::microseconds;

enum class source_kind { postgres, synthetic };
enum class publication_mode { all_tables, filtered, disabled };
/// What a start does when the slot's WAL is gone (lost, or the slot dropped under a checkpoint).
enum class lost_slot_action { fail, resync };
enum class snapshot_mode { initial, never, snapshot_only };
enum class sink_kind { starrocks, postgres, jsonl, null };
enum class replica_identity { default_key, full };
enum class row_format { json, csv };
enum class compression { none, lz4, gzip };
/// numeric without precision in StarRocks: DECIMAL(38, numeric_scale) or STRING.
enum class unconstrained_numeric { decimal, string };
/// numeric NaN / Infinity, which StarRocks' DECIMAL cannot hold: stop with an error, or load NULL.
enum class numeric_special { reject, null };
enum class copy_format { text, binary };

/// Where and how to reach one PostgreSQL database (source or postgres sink).
struct postgres_connection {
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string dbname;
  std::string user;
  secret password;             ///< empty: libpq falls back to ~/.pgpass
  std::string sslmode = "prefer";
  std::string sslrootcert;     ///< CA file for verify-ca / verify-full; empty: libpq's default
  std::string sslcert;         ///< client certificate; empty: libpq's default
  std::string sslkey;          ///< its private key
  duration connect_timeout = std::chrono::seconds(10);
};

/// [pipeline]
struct pipeline_section {
  std::string name;
  std::filesystem::path state_dir;
  duration status_interval = std::chrono::seconds(10);
  std::uint64_t max_in_flight_bytes = 64ull << 20;  ///< back-pressure capacity
};

/// [source.synthetic]: the built-in WAL generator, for load tests without a database.
struct synthetic_source {
  std::uint64_t seed = 1;
  int tables = 4;
  int columns = 4;
  int row_bytes = 64;
  int txn_rows_min = 1;
  int txn_rows_max = 10;
  double insert_weight = 0.5;
  double update_weight = 0.4;
  double delete_weight = 0.1;
  double truncate_weight = 0.0;
  double unchanged_toast_share = 0.0;
  replica_identity identity = replica_identity::default_key;
  std::uint64_t max_events = 1'000'000;  ///< 0 = unbounded (then max_duration bounds it)
  duration max_duration{0};             ///< 0 = unbounded
  std::uint64_t events_per_sec = 0;      ///< 0 = as fast as the pipeline takes them
};

/// [source]
struct source_section {
  source_kind kind = source_kind::postgres;
  postgres_connection postgres;
  std::string slot;
  std::string publication;
  config::publication_mode publication_mode = config::publication_mode::filtered;
  bool binary = false;
  /// pgoutput `streaming`: transactions in progress are sent before their commit and held in
  /// memory until it (memory grows with the largest transaction). Off (default): PostgreSQL
  /// spills a large transaction to disk and sends it after its commit, and pg2sr loads it
  /// within max_in_flight_bytes.
  bool streaming = false;
  /// A start that finds the slot lost (or gone while the checkpoint says it streamed):
  /// "fail" stops with the cause and the remedy; "resync" drops and recreates the slot and
  /// takes every table's snapshot again, deleting target rows the source no longer has.
  lost_slot_action on_lost_slot = lost_slot_action::fail;
  duration status_interval = std::chrono::seconds(10);  ///< standby status update period
  synthetic_source synthetic;
};

/// [snapshot]
struct snapshot_section {
  snapshot_mode mode = snapshot_mode::initial;
  std::uint64_t chunk_rows = 50'000;
  int parallelism = 2;
  std::uint64_t max_rows_per_sec = 0;  ///< 0 = unthrottled
  duration chunk_pause{0};
  copy_format format = copy_format::text;
};

/// Per-table settings under [tables.override."schema.table"].
struct table_override {
  std::string key_column;
};

/// [tables]
struct tables_section {
  std::vector<std::string> include{"public\\..*"};  ///< ECMAScript regexes on schema.table
  std::vector<std::string> exclude;
  std::map<std::string, table_override> overrides;  ///< by "schema.table"
};

/// [batch]
struct batch_section {
  std::uint64_t max_bytes = 16ull << 20;
  std::uint64_t max_rows = 100'000;
  duration flush_interval = std::chrono::seconds(1);
};

struct starrocks_sink {
  std::string fe_url = "http://127.0.0.1:8030";
  std::string database;
  std::string user = "root";
  secret password;
  row_format format = row_format::json;
  config::compression compression = config::compression::none;
  int max_concurrent_loads = 4;
  duration load_timeout = std::chrono::seconds(600);
  unconstrained_numeric numeric_without_precision = unconstrained_numeric::decimal;
  int numeric_scale = 9;  ///< scale of DECIMAL(38, s) for numeric without precision
  numeric_special numeric_nan = numeric_special::reject;
  /// PEM file of the CAs that sign the FE's and BEs' https certificates (CURLOPT_CAINFO);
  /// empty: the system's CAs.
  std::string ca_file;
  /// An https FE may redirect the load (and the credentials with it) to a clear-text http
  /// BE: off, such a redirect is refused.
  bool allow_https_to_http_redirect = false;
  /// Duplicate Key tables (no primary key): load through the transaction interface, prepared
  /// labels recorded in the checkpoint, so a restart neither loses nor repeats a batch.
  bool exactly_once = false;
};

/// [sink] kind = "postgres": the connection keys of [source] plus these.
struct postgres_sink {
  postgres_connection connection;
  /// Create missing target tables (and the enums, domains, composites and extensions their
  /// columns use) from the source before the snapshot; other indexes and constraints after it.
  bool create_tables = false;
  /// A table created for a snapshot gets its primary key once the snapshot rows are in
  /// (or at the first change the stream brings for it): the COPY is about twice as fast.
  bool key_after_snapshot = true;
  /// A column the source gains while streaming is added to the target (else the load stops
  /// with the ALTER TABLE to run).
  bool add_columns = false;
  int max_concurrent_loads = 4;  ///< tables loading at once, one connection each
};

struct jsonl_sink {
  std::filesystem::path path;
  bool fsync = true;
};

/// [sink]
struct sink_section {
  sink_kind kind = sink_kind::null;
  starrocks_sink starrocks;
  postgres_sink postgres;
  jsonl_sink jsonl;
  std::uint64_t null_rows_per_sec = 0;  ///< null sink: pretend to be a target this fast (0 = instant)
};

/// The whole validated configuration.
struct pipeline_config {
  std::filesystem::path file;  ///< where it was read from
  pipeline_section pipeline;
  source_section source;
  snapshot_section snapshot;
  tables_section tables;
  batch_section batch;
  sink_section sink;
};

/// One thing wrong with a configuration file, located as precisely as TOML allows.
struct problem {
  std::string file;
  int line = 0;    ///< 1-based; 0 when the whole file is concerned
  int column = 0;  ///< 1-based
  std::string key; ///< dotted path, e.g. "batch.max_bytes"
  std::string message;
  /// `file:line:col: key: message`
  std::string to_string() const;
};

/// Thrown by the loader with every problem found, not only the first.
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<problem> problems);
  const std::vector<problem>& problems() const { return problems_; }

 private:
  std::vector<problem> problems_;
};

/// Reads and validates a TOML file. Throws config_error listing every problem.
pipeline_config load_file(const std::filesystem::path& file);

/// Same, from text; `source_name` stands for the file name in messages.
pipeline_config load_string(std::string_view toml_text, const std::string& source_name);

/// A libpq connection string for `conn` (the password is added only by `with_password`).
std::string conninfo(const postgres_connection& conn, bool with_password);

const char* to_string(source_kind);
const char* to_string(publication_mode);
const char* to_string(lost_slot_action);
const char* to_string(snapshot_mode);
const char* to_string(sink_kind);

}  // namespace pg2sr::config
