// Tables of the StarRocks emulator: the schema, the rows, and how a load's rows change them
// (Primary Key model: upsert, delete, partial update by key; Duplicate Key model: append).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg2sr::test::starrocks {

enum class table_model { primary_key, duplicate_key };

/// One column. `type` is a StarRocks type name (BIGINT, VARCHAR(20), DECIMAL(10,2), DATE,
/// DATETIME, BOOLEAN, STRING, JSON, ...): loaded values are checked and normalised by it.
struct column_def {
  std::string name;
  std::string type = "STRING";
  bool nullable = true;                      ///< key columns are NOT NULL whatever this says
  std::optional<std::string> default_value;  ///< DEFAULT text; none = NULL
};

struct table_schema {
  std::string db;
  std::string table;
  std::vector<column_def> columns;
  std::vector<std::string> key;  ///< primary key (Primary Key model) or sort key (Duplicate Key)
  table_model model = table_model::primary_key;
};

/// A value as StarRocks prints it; nullopt is NULL.
using cell = std::optional<std::string>;
/// One cell per table column, in schema order.
using row_values = std::vector<cell>;

/// One parsed row of a load: the cells of the loaded columns (others are ignored) and
/// whether `__op` asked for a delete.
struct row_change {
  row_values values;
  bool is_delete = false;
};

/// A table's content: the column names and the rows sorted by key.
struct table_dump {
  std::vector<std::string> columns;
  std::vector<row_values> rows;
};

/// Parses {db, table, columns: [{name, type, nullable, default} | "name"], key: [...],
/// model: "primary" | "duplicate"}; throws std::invalid_argument naming the bad field.
table_schema table_schema_from_json(const nlohmann::json& j);
nlohmann::json to_json(const table_dump& dump);

/// Checks a schema (columns, key names, no duplicates); throws std::invalid_argument.
void validate_schema(const table_schema& schema);

enum class value_check {
  ok,
  invalid,   ///< does not parse as the type: NULL in non-strict mode, filtered in strict mode
  too_long,  ///< longer than VARCHAR(n)/CHAR(n): filtered in every mode (the tablet sink's check)
};

/// Converts a loaded text to the column's stored form in `out` (integers canonical, BOOLEAN
/// as 1/0, DECIMAL at its scale, dates checked); otherwise says why in `error`.
value_check normalize_value(const column_def& column, std::string_view text, std::string& out, std::string& error);

/// The rows of one table. Not thread-safe: the emulator locks around it.
class table_data {
 public:
  explicit table_data(table_schema schema);

  const table_schema& schema() const { return schema_; }
  /// Index of a column by name, case-insensitive like StarRocks.
  std::optional<std::size_t> column_index(std::string_view name) const;
  bool is_key_column(std::size_t index) const { return is_key_[index]; }

  /// Applies `changes` in order. `loaded[i]` says whether the load sets column i; a partial
  /// update keeps the other columns of an existing row (a new key gets their defaults).
  /// On a Duplicate Key table every change is appended (`__op` means nothing there).
  /// Each change is also recorded in the key's history under `label`.
  void apply(const std::vector<row_change>& changes, const std::vector<bool>& loaded,
             bool partial_update, const std::string& label = "");

  /// What the loads did to the row of key `key` (key columns' texts in key order), oldest
  /// first: "<label> upsert|partial|delete|append". Explains a row that ends wrong.
  std::vector<std::string> history(const std::vector<std::string>& key) const;

  table_dump dump() const;
  std::size_t row_count() const;

 private:
  struct key_less {
    std::vector<bool> numeric;  ///< per key column: compare as integers
    bool operator()(const row_values& a, const row_values& b) const;
  };
  row_values key_of(const row_values& row) const;
  cell default_of(std::size_t column) const;

  table_schema schema_;
  std::vector<std::size_t> key_columns_;
  std::vector<bool> is_key_;
  key_less less_;
  std::map<row_values, row_values, key_less> by_key_;  ///< Primary Key model
  std::vector<row_values> appended_;                   ///< Duplicate Key model
  std::vector<std::string> labels_;                    ///< of the loads in history_, in order
  std::map<row_values, std::vector<std::pair<std::size_t, char>>, key_less> history_;  ///< (label index, op)
};

}  // namespace pg2sr::test::starrocks
