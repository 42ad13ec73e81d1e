// Connection helpers for the harness's PostgreSQL cluster.
#include "tests/support/pg_harness.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace pg2sr::test {

namespace {
std::string env_or_throw(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    throw std::runtime_error(std::string(name) + " is not set: run the tests through ctest, which starts PostgreSQL");
  return v;
}
}  // namespace

std::string pg_cluster::conninfo(const std::string& dbname) const {
  return "host=" + host + " port=" + std::to_string(port) + " user=" + user + " dbname=" + dbname;
}

pg_cluster cluster() {
  std::filesystem::path dir = env_or_throw("PG2SR_TEST_PG_DIR");
  std::ifstream in(dir / "port");
  pg_cluster c;
  if (!(in >> c.port) || c.port <= 0)
    throw std::runtime_error("no PostgreSQL running for the tests: " + (dir / "port").string() + " missing");
  return c;
}

std::filesystem::path data_dir() { return env_or_throw("PG2SR_TEST_DATA_DIR"); }

pg_conn connect(const std::string& conninfo) {
  pg_conn conn(PQconnectdb(conninfo.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("connect failed: ") + PQerrorMessage(conn.get()));
  return conn;
}

void exec(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  auto status = PQresultStatus(res);
  std::string err = PQresultErrorMessage(res);
  PQclear(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("SQL failed: " + err + " in: " + sql.substr(0, 200));
}

std::vector<std::vector<std::string>> query(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    std::string err = PQresultErrorMessage(res);
    PQclear(res);
    throw std::runtime_error("query failed: " + err + " in: " + sql.substr(0, 200));
  }
  std::vector<std::vector<std::string>> rows(PQntuples(res));
  for (int r = 0; r < PQntuples(res); ++r)
    for (int c = 0; c < PQnfields(res); ++c)
      rows[r].push_back(PQgetisnull(res, r, c) ? std::string("\\N") : std::string(PQgetvalue(res, r, c)));
  PQclear(res);
  return rows;
}

std::string fresh_database(const std::string& name) {
  auto c = cluster();
  auto admin = connect(c.conninfo());
  // Slots pin a database: a left-over one (a killed test) must not block the drop.
  exec(admin.get(), "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '" + name +
                        "' AND active_pid IS NOT NULL");
  exec(admin.get(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
                        name + "' AND NOT active");
  exec(admin.get(), "DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
  exec(admin.get(), "CREATE DATABASE \"" + name + "\"");
  return c.conninfo(name);
}

}  // namespace pg2sr::test
