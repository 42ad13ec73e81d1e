#include "actors/snapshot/listed_rows.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "actors/core/durable_file.hpp"
#include "actors/snapshot/chunk_files.hpp"

namespace pg2sr::actors {

namespace {

// The text of an oid[], tid[] or int8[] literal: what PostgreSQL printed, nothing else.
bool array_literal(const std::string& text) {
  return text.size() >= 2 && text.front() == '{' && text.back() == '}' &&
         text.find_first_not_of("0123456789,\"(){}") == std::string::npos;
}

}  // namespace

std::filesystem::path listed_rows_file(const std::filesystem::path& dir, std::uint32_t relid, std::uint32_t chunk) {
  return dir / chunk_file_name(relid, chunk, "rows");
}

void write_listed_rows(const std::filesystem::path& file, const listed_rows& rows) {
  for (const auto* field : {&rows.tableoids, &rows.ctids, &rows.xmins, &rows.leaves, &rows.filenodes})
    if (!array_literal(*field)) throw std::invalid_argument("not an array literal: " + field->substr(0, 40));
  std::filesystem::create_directories(file.parent_path());
  replace_file_durably(file, rows.tableoids + "\n" + rows.ctids + "\n" + rows.xmins + "\n" + rows.leaves + "\n" +
                                 rows.filenodes + "\n" + std::to_string(rows.count) + "\n");
}

listed_rows read_listed_rows(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("cannot read " + file.string() + ", the rows of a keyless table's chunk that the " +
                             "slot's snapshot saw (is this the state_dir of the run that created the slot?)");
  listed_rows rows;
  std::string count;
  for (auto* field : {&rows.tableoids, &rows.ctids, &rows.xmins, &rows.leaves, &rows.filenodes})
    if (!std::getline(in, *field) || !array_literal(*field))
      throw std::runtime_error(file.string() + " is not a list of rows written by pg2sr");
  if (!std::getline(in, count) || count.empty() || count.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(file.string() + " is not a list of rows written by pg2sr");
  rows.count = std::stoull(count);
  return rows;
}

bool listed_rows_in_place(pg_connection& conn, const std::string& table_sql, const listed_rows& rows) {
  conn.exec("SELECT FROM " + table_sql + " LIMIT 0");  // the lock stays until the transaction ends
  auto moved = conn.query("SELECT count(*) FROM unnest(" + quote_literal(conn.get(), rows.leaves) + "::oid[], " +
                          quote_literal(conn.get(), rows.filenodes) +
                          "::oid[]) AS leaf(o, n) WHERE coalesce(pg_relation_filenode(leaf.o), 0) <> leaf.n");
  return moved.at(0).at(0).value_or("1") == "0";
}

std::string listed_rows_condition(pg_connection& conn, const listed_rows& rows) {
  return "((tableoid, ctid, xmin::text::int8) IN (SELECT * FROM unnest(" + quote_literal(conn.get(), rows.tableoids) +
         "::oid[], " + quote_literal(conn.get(), rows.ctids) + "::tid[], " + quote_literal(conn.get(), rows.xmins) +
         "::int8[])))";
}

std::size_t remove_unneeded_listed_rows(const std::filesystem::path& dir, const snapshot_state& snapshot) {
  return remove_chunk_files(dir, "rows", [&](std::uint32_t relid, std::uint32_t chunk, const std::string&) {
    const auto* table = snapshot.find(relid);
    return table && table->rows_listed && std::any_of(table->chunks.begin(), table->chunks.end(), [&](const auto& c) {
             return c.index == chunk && !c.done;
           });
  });
}

}  // namespace pg2sr::actors
