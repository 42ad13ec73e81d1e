// Source vs target, row for row: keyed tables by key (missing, extra, different rows),
// keyless tables as multisets of whole rows. Rows are compared by md5 of their row text;
// a difference is shown with TOAST columns as length + md5 prefix.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "tests/emulator/starrocks_emulator.hpp"
#include "tests/torture/plan.hpp"

namespace pg2sr::torture {

struct table_comparison {
  std::string table;
  std::size_t source_rows = 0;
  std::size_t target_rows = 0;
  std::size_t differences = 0;      ///< rows missing, extra or different
  std::vector<std::string> shown;   ///< the first differences, one line each
  /// Compared as sets (a keyless table in a target that keeps identical rows as one): the
  /// row counts may differ, the differences alone decide.
  bool as_sets = false;
  bool equal() const { return differences == 0 && (as_sets || source_rows == target_rows); }
};

/// Target: a PostgreSQL table of the same name (the postgres sink).
table_comparison compare_table(PGconn* source, PGconn* target, const table_plan& table, std::size_t show = 5);

/// Target: the emulator's table `db`.`name` (the starrocks sink); source values are read as
/// StarRocks shows them (DECIMAL(38,9), DATETIME in UTC).
table_comparison compare_table_starrocks(PGconn* source, const test::starrocks::starrocks_emulator& emulator,
                                         const std::string& db, const table_plan& table, std::size_t show = 5);

}  // namespace pg2sr::torture
