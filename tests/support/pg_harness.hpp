// Access to the throwaway PostgreSQL 15 cluster that ctest's `postgres` fixture starts
// (scripts/pg-cluster.sh). Tests get its connection parameters from here, never from guesses.
#pragma once

#include <libpq-fe.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace pg2sr::test {

/// Connection parameters of the harness's cluster, or a failed test if it is not running.
struct pg_cluster {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string user = "postgres";
  /// libpq conninfo for database `dbname`.
  std::string conninfo(const std::string& dbname = "postgres") const;
};

/// Reads $PG2SR_TEST_PG_DIR/port; throws std::runtime_error when the cluster is not up.
pg_cluster cluster();

/// Folder with test data (captures, corpora): $PG2SR_TEST_DATA_DIR.
std::filesystem::path data_dir();

struct pg_conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using pg_conn = std::unique_ptr<PGconn, pg_conn_deleter>;

/// Opens a connection (throws with libpq's message on failure).
pg_conn connect(const std::string& conninfo);

/// Runs SQL that returns no rows or rows we ignore; throws on error.
void exec(PGconn* conn, const std::string& sql);

/// Runs a query and returns the rows as text (NULL as the string "\\N").
std::vector<std::vector<std::string>> query(PGconn* conn, const std::string& sql);

/// Creates a fresh database (dropping any old one of that name) and returns its conninfo.
std::string fresh_database(const std::string& name);

}  // namespace pg2sr::test
