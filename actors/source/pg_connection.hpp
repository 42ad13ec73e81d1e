// A libpq connection with RAII, errors that keep the SQLSTATE, and identifier quoting.
// Connection strings may hold a password: they are never put into messages.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pg2sr::actors {

/// A failed libpq call: the server's (or libpq's) message and SQLSTATE ("" when none).
class pg_error : public std::runtime_error {
 public:
  pg_error(std::string message, std::string sqlstate) : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

using pg_row = std::vector<std::optional<std::string>>;

class pg_connection {
 public:
  /// Connects; throws pg_error with libpq's message (which never contains the password).
  explicit pg_connection(const std::string& conninfo);
  PGconn* get() const { return conn_.get(); }

  /// Runs SQL that returns nothing of interest; throws pg_error.
  void exec(const std::string& sql);
  /// Runs a query with text parameters ($1, $2...); rows as text, NULL as nullopt.
  std::vector<pg_row> query(const std::string& sql, const std::vector<std::string>& params = {});
  /// The server's version as a number, e.g. 150018.
  int server_version() const { return PQserverVersion(conn_.get()); }

  /// For raw libpq calls (the replication connection): throws pg_error unless `res`
  /// succeeded; always frees it.
  static void check_result(PGconn* conn, PGresult* res);
  /// Same, returning the rows as text.
  static std::vector<pg_row> rows(PGconn* conn, PGresult* res);

 private:
  struct closer {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, closer> conn_;
};

/// "my table" -> "\"my table\"" (always quoted: names are used exactly as catalogued).
std::string quote_ident(std::string_view name);
/// schema.table, each part quoted.
std::string quote_qualified(std::string_view schema, std::string_view table);
/// `text` as an SQL literal, written by libpq for `conn` (PQescapeLiteral): a backslash makes
/// it E'...' with the backslash doubled, so the literal stays one whatever
/// standard_conforming_strings says. Throws pg_error.
std::string quote_literal(PGconn* conn, std::string_view text);
/// 'it''s' for replication commands (START_REPLICATION's options), whose lexer knows no
/// backslash escapes and no E'...'; SQL takes quote_literal(conn, text).
std::string quote_replication_literal(std::string_view text);

/// libpq's message for `conn` without the trailing newline.
std::string last_error(PGconn* conn);

}  // namespace pg2sr::actors
