// libpq wrapper: connect, exec, query with parameters, quoting.
#include "actors/source/pg_connection.hpp"

namespace pg2sr::actors {

std::string last_error(PGconn* conn) {
  std::string m = conn ? PQerrorMessage(conn) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

pg_connection::pg_connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (PQstatus(conn_.get()) != CONNECTION_OK) throw pg_error(last_error(conn_.get()), "");
}

namespace {

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

result_ptr checked(PGconn* conn, PGresult* raw) {
  result_ptr r(raw);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string message = r ? PQresultErrorMessage(r.get()) : last_error(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw pg_error(message.empty() ? last_error(conn) : message, state ? state : "");
  }
  return r;
}

}  // namespace

void pg_connection::check_result(PGconn* conn, PGresult* res) { checked(conn, res); }

std::vector<pg_row> pg_connection::rows(PGconn* conn, PGresult* res) {
  auto r = checked(conn, res);
  std::vector<pg_row> rows(static_cast<std::size_t>(PQntuples(r.get())));
  for (int i = 0; i < PQntuples(r.get()); ++i)
    for (int c = 0; c < PQnfields(r.get()); ++c)
      rows[static_cast<std::size_t>(i)].push_back(PQgetisnull(r.get(), i, c) ? std::nullopt
                                                     : std::optional<std::string>(PQgetvalue(r.get(), i, c)));
  return rows;
}

void pg_connection::exec(const std::string& sql) { checked(conn_.get(), PQexec(conn_.get(), sql.c_str())); }

std::vector<pg_row> pg_connection::query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return rows(conn_.get(), PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                        values.data(), nullptr, nullptr, 0));
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_qualified(std::string_view schema, std::string_view table) {
  return quote_ident(schema) + "." + quote_ident(table);
}

std::string quote_literal(PGconn* conn, std::string_view text) {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(PQescapeLiteral(conn, text.data(), text.size()), &PQfreemem);
  if (!quoted) throw pg_error("cannot quote a literal: " + last_error(conn), "");
  return quoted.get();
}

std::string quote_replication_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace pg2sr::actors
