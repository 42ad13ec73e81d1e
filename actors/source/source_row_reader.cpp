// A source row read again by key, in a snapshot that sees the change that sent it partial.
#include "actors/source/source_row_reader.hpp"

#include <thread>

#include "codecs/values/pg_snapshot.hpp"

namespace pg2sr::actors {

source_row_reader::outcome source_row_reader::read(const codecs::pgoutput::relation_schema& rel,
                                                   const std::vector<std::string>& key, std::uint32_t xid,
                                                   std::chrono::steady_clock::time_point deadline,
                                                   std::vector<std::optional<std::string>>& row, std::string& why) {
  std::string select, where;
  for (const auto& c : rel.columns) select += (select.empty() ? "" : ", ") + quote_ident(c.name);
  for (std::size_t i = 0; i < rel.key_columns.size() && i < key.size(); ++i)
    where += (where.empty() ? "" : " AND ") + quote_ident(rel.columns[rel.key_columns[i]].name) + " = $" +
             std::to_string(i + 1);
  if (where.empty() || key.size() != rel.key_columns.size()) {
    why = "no key to read it by";
    return outcome::unreadable;
  }
  const std::string sql = "SELECT " + select + " FROM " + quote_qualified(rel.nspname, rel.relname) + " WHERE " + where;
  for (;;) {
    if (!conn_) conn_ = std::make_unique<pg_connection>(conninfo_);
    try {
      conn_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      auto snapshot = codecs::parse_pg_snapshot(conn_->query("SELECT pg_current_snapshot()::text").at(0).at(0).value_or(""));
      if (xid != 0 && snapshot && snapshot->in_progress(xid)) {
        conn_->exec("ROLLBACK");
        if (std::chrono::steady_clock::now() > deadline) {
          why = "its transaction " + std::to_string(xid) + " is still not visible on the source";
          return outcome::unreadable;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      auto rows = conn_->query(sql, key);
      conn_->exec("COMMIT");
      if (rows.empty()) return outcome::gone;
      row = std::move(rows[0]);
      return outcome::found;
    } catch (const pg_error& e) {
      bool lost = PQstatus(conn_->get()) != CONNECTION_OK;
      conn_.reset();
      if (lost) throw;
      why = e.what();
      return outcome::unreadable;
    }
  }
}

}  // namespace pg2sr::actors
