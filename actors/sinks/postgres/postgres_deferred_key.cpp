// Primary keys built after the snapshot: the state table, the lock, the build.
#include "actors/sinks/postgres/postgres_deferred_key.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace pg2sr::actors {

void defer_key(pg_connection& target, const std::string& pipeline, const std::string& table_sql,
               const std::string& key_columns) {
  target.query("INSERT INTO pg2sr.deferred_keys (pipeline, table_name, key_columns) VALUES ($1, $2, $3) "
               "ON CONFLICT (pipeline, table_name) DO UPDATE SET key_columns = EXCLUDED.key_columns",
               {pipeline, table_sql, key_columns});
}

std::optional<std::string> deferred_key(pg_connection& target, const std::string& pipeline,
                                        const std::string& table_sql, row_lock lock) {
  auto rows = target.query(std::string("SELECT key_columns FROM pg2sr.deferred_keys WHERE pipeline = $1 AND "
                                       "table_name = $2") +
                               (lock == row_lock::share ? " FOR SHARE" : lock == row_lock::update ? " FOR UPDATE" : ""),
                           {pipeline, table_sql});
  if (rows.empty()) return std::nullopt;
  return *rows[0][0];
}

namespace {

void forget_deferred_key(pg_connection& target, const std::string& pipeline, const std::string& table_sql) {
  target.query("DELETE FROM pg2sr.deferred_keys WHERE pipeline = $1 AND table_name = $2", {pipeline, table_sql});
}

}  // namespace

bool build_deferred_key(pg_connection& target, const std::string& pipeline, const std::string& table_name,
                        const std::string& table_sql) {
  auto started = std::chrono::steady_clock::now();
  target.exec("BEGIN");
  try {
    auto deferred = deferred_key(target, pipeline, table_sql, row_lock::update);
    if (!deferred) {
      target.exec("COMMIT");
      return false;
    }
    const std::string& key = *deferred;
    if (!target.query("SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'", {table_sql})
             .empty()) {  // somebody added one meanwhile
      forget_deferred_key(target, pipeline, table_sql);
      target.exec("COMMIT");
      return false;
    }
    std::string add = "ALTER TABLE " + table_sql + " ADD PRIMARY KEY (" + key + "), RESET (autovacuum_enabled)";
    spdlog::info("target: {} (the snapshot rows are in)", add);
    target.exec("SAVEPOINT pg2sr_key");
    std::string removed;
    try {
      target.exec(add);
    } catch (const pg_error& e) {
      if (e.sqlstate() != "23505") throw;
      // Rows of a chunk read again after a restart: the copies are alike (see the header).
      target.exec("ROLLBACK TO SAVEPOINT pg2sr_key");
      auto deleted = target.query("WITH extra AS (DELETE FROM " + table_sql +
                                  " WHERE ctid = ANY (ARRAY(SELECT ctid FROM (SELECT ctid, row_number() OVER "
                                  "(PARTITION BY " + key + " ORDER BY ctid DESC) AS n FROM " + table_sql +
                                  ") copies WHERE n > 1)) RETURNING 1) SELECT count(*)::text FROM extra");
      removed = ", " + *deleted[0][0] + " extra copies of rows of chunks read again removed";
      target.exec(add);
    }
    forget_deferred_key(target, pipeline, table_sql);
    target.exec("COMMIT");
    spdlog::info("target: primary key of {} built in {:.2f} s{}", table_name,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), removed);
  } catch (...) {
    if (PQstatus(target.get()) == CONNECTION_OK) PQclear(PQexec(target.get(), "ROLLBACK"));
    throw;
  }
  try {
    target.exec("ANALYZE " + table_sql);  // plans for the new table now, not at autovacuum's turn
  } catch (const pg_error& e) {
    spdlog::warn("target: ANALYZE {}: {}; autovacuum will do it", table_name, e.what());
  }
  return true;
}

}  // namespace pg2sr::actors
