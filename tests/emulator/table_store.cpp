// Tables of the StarRocks emulator: schema checks, value normalisation by type, and row
// application for the Primary Key and Duplicate Key models.
#include "tests/emulator/table_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "tests/emulator/text.hpp"

namespace pg2sr::test::starrocks {

namespace {


bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

enum class type_class { integer, floating, decimal, boolean, date, datetime, text };

/// The type's class, and its parameters: integer bit width, (precision, scale), text length.
struct type_info {
  type_class kind = type_class::text;
  int bits = 0;
  int precision = 38;
  int scale = 0;
  std::size_t max_length = 0;  ///< 0 = unbounded
};

// Reads "NAME(a,b)" into NAME and its numeric arguments.
type_info parse_type(std::string_view type_name) {
  std::string t = upper(type_name);
  std::vector<int> args;
  if (auto open = t.find('('); open != std::string::npos) {
    std::string inside = t.substr(open + 1, t.find(')', open) - open - 1);
    t = t.substr(0, open);
    std::size_t pos = 0;
    while (pos <= inside.size()) {
      std::size_t comma = inside.find(',', pos);
      std::string part = inside.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      part.erase(std::remove_if(part.begin(), part.end(), ::isspace), part.end());
      if (all_digits(part)) args.push_back(std::stoi(part));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  type_info info;
  if (t == "TINYINT") info = {type_class::integer, 8};
  else if (t == "SMALLINT") info = {type_class::integer, 16};
  else if (t == "INT" || t == "INTEGER") info = {type_class::integer, 32};
  else if (t == "BIGINT") info = {type_class::integer, 64};
  else if (t == "LARGEINT") info = {type_class::integer, 128};
  else if (t == "FLOAT" || t == "DOUBLE") info.kind = type_class::floating;
  else if (t.rfind("DECIMAL", 0) == 0 || t == "NUMERIC") {
    info.kind = type_class::decimal;
    info.precision = args.size() > 0 ? args[0] : 38;
    info.scale = args.size() > 1 ? args[1] : 0;
  } else if (t == "BOOLEAN" || t == "BOOL") info.kind = type_class::boolean;
  else if (t == "DATE") info.kind = type_class::date;
  else if (t == "DATETIME") info.kind = type_class::datetime;
  else if ((t == "VARCHAR" || t == "CHAR") && !args.empty()) info.max_length = static_cast<std::size_t>(args[0]);
  return info;
}

std::optional<std::string> normalize_integer(std::string_view s, int bits) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (!all_digits(s)) return std::nullopt;
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s == "0") negative = false;
  // Range check against 2^(bits-1) by digit count and comparison of equal-length digits.
  static const std::map<int, std::pair<std::string, std::string>> limits = {
      {8, {"127", "128"}},
      {16, {"32767", "32768"}},
      {32, {"2147483647", "2147483648"}},
      {64, {"9223372036854775807", "9223372036854775808"}},
      {128, {"170141183460469231731687303715884105727", "170141183460469231731687303715884105728"}}};
  const std::string& limit = negative ? limits.at(bits).second : limits.at(bits).first;
  if (s.size() > limit.size() || (s.size() == limit.size() && s > std::string_view(limit))) return std::nullopt;
  return (negative ? "-" : "") + std::string(s);
}

// Rounds half up to `scale` digits and checks the integer digits against precision - scale.
std::optional<std::string> normalize_decimal(std::string_view s, int precision, int scale) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string_view int_part = s, frac_part;
  if (auto dot = s.find('.'); dot != std::string_view::npos) {
    int_part = s.substr(0, dot);
    frac_part = s.substr(dot + 1);
  }
  if ((int_part.empty() && frac_part.empty()) || (!int_part.empty() && !all_digits(int_part)) ||
      (!frac_part.empty() && !all_digits(frac_part)))
    return std::nullopt;
  std::string digits = std::string(int_part.empty() ? "0" : int_part);
  std::string frac(frac_part);
  bool round_up = frac.size() > static_cast<std::size_t>(scale) && frac[static_cast<std::size_t>(scale)] >= '5';
  frac.resize(static_cast<std::size_t>(scale), '0');
  std::string all = digits + frac;
  if (round_up) {
    int i = static_cast<int>(all.size()) - 1;
    while (i >= 0 && all[static_cast<std::size_t>(i)] == '9') all[static_cast<std::size_t>(i--)] = '0';
    if (i < 0) all.insert(all.begin(), '1');
    else all[static_cast<std::size_t>(i)]++;
  }
  std::string ipart = all.substr(0, all.size() - static_cast<std::size_t>(scale));
  std::string fpart = all.substr(all.size() - static_cast<std::size_t>(scale));
  while (ipart.size() > 1 && ipart[0] == '0') ipart.erase(0, 1);
  if (ipart.empty()) ipart = "0";
  if (ipart != "0" && static_cast<int>(ipart.size()) > precision - scale) return std::nullopt;
  bool zero = ipart == "0" && fpart.find_first_not_of('0') == std::string::npos;
  return std::string(negative && !zero ? "-" : "") + ipart + (scale > 0 ? "." + fpart : "");
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2))) return false;
  int year = std::stoi(std::string(s.substr(0, 4)));
  int month = std::stoi(std::string(s.substr(5, 2)));
  int day = std::stoi(std::string(s.substr(8, 2)));
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= days[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::optional<std::string> normalize_datetime(std::string_view s) {
  if (s.size() == 10) return valid_date(s) ? std::optional(std::string(s) + " 00:00:00") : std::nullopt;
  if (s.size() < 19 || !valid_date(s.substr(0, 10)) || (s[10] != ' ' && s[10] != 'T')) return std::nullopt;
  std::string_view t = s.substr(11, 8);
  if (t[2] != ':' || t[5] != ':' || !all_digits(t.substr(0, 2)) || !all_digits(t.substr(3, 2)) ||
      !all_digits(t.substr(6, 2)))
    return std::nullopt;
  if (std::stoi(std::string(t.substr(0, 2))) > 23 || std::stoi(std::string(t.substr(3, 2))) > 59 ||
      std::stoi(std::string(t.substr(6, 2))) > 59)
    return std::nullopt;
  std::string out = std::string(s.substr(0, 10)) + " " + std::string(t);
  std::string_view rest = s.substr(19);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() > 7 || !all_digits(rest.substr(1))) return std::nullopt;
    std::string frac(rest.substr(1));
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) out += "." + frac;
  }
  return out;
}

// Canonical integers: a shorter magnitude is smaller; equal lengths compare as text.
int compare_integers(const std::string& a, const std::string& b) {
  bool na = !a.empty() && a[0] == '-', nb = !b.empty() && b[0] == '-';
  if (na != nb) return na ? -1 : 1;
  std::string_view ma = std::string_view(a).substr(na ? 1 : 0), mb = std::string_view(b).substr(nb ? 1 : 0);
  int c = ma.size() != mb.size() ? (ma.size() < mb.size() ? -1 : 1) : ma.compare(mb) < 0 ? -1 : ma.compare(mb) > 0;
  return na ? -c : c;
}

}  // namespace

value_check normalize_value(const column_def& column, std::string_view text, std::string& out, std::string& error) {
  type_info type = parse_type(column.type);
  std::optional<std::string> value;
  switch (type.kind) {
    case type_class::integer: value = normalize_integer(text, type.bits); break;
    case type_class::floating: {
      std::string s(text);
      char* end = nullptr;
      std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size()) value = s;
      break;
    }
    case type_class::decimal: value = normalize_decimal(text, type.precision, type.scale); break;
    case type_class::boolean:
      if (iequals(text, "true") || text == "1") value = "1";
      else if (iequals(text, "false") || text == "0") value = "0";
      break;
    case type_class::date:
      if (valid_date(text)) value = std::string(text);
      else if (text.size() >= 19 && normalize_datetime(text)) value = std::string(text.substr(0, 10));
      break;
    case type_class::datetime: value = normalize_datetime(text); break;
    case type_class::text:
      if (type.max_length != 0 && text.size() > type.max_length) {
        std::string shown(text.substr(0, 100));
        if (text.size() > 100) shown += "...";
        error = "String '" + shown + "'(length=" + std::to_string(text.size()) + ") is too long. The max length of '" +
                column.name + "' is " + std::to_string(type.max_length);
        return value_check::too_long;
      }
      value = std::string(text);
      break;
  }
  if (!value) {
    error = "Value '" + std::string(text) + "' is out of range or has an invalid format for column '" + column.name +
            "' of type " + column.type;
    return value_check::invalid;
  }
  out = std::move(*value);
  return value_check::ok;
}

void validate_schema(const table_schema& schema) {
  if (schema.db.empty()) throw std::invalid_argument("table schema: db is empty");
  if (schema.table.empty()) throw std::invalid_argument("table schema: table is empty");
  if (schema.columns.empty()) throw std::invalid_argument("table schema: no columns");
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    const auto& c = schema.columns[i];
    if (c.name.empty()) throw std::invalid_argument("table schema: column " + std::to_string(i) + " has no name");
    if (c.name == "__op") throw std::invalid_argument("table schema: __op is a load-time field, not a column");
    for (std::size_t j = 0; j < i; ++j)
      if (iequals(schema.columns[j].name, c.name))
        throw std::invalid_argument("table schema: duplicate column " + c.name);
  }
  if (schema.model == table_model::primary_key && schema.key.empty())
    throw std::invalid_argument("table schema: a Primary Key table needs key columns");
  for (const auto& k : schema.key) {
    bool found = std::any_of(schema.columns.begin(), schema.columns.end(),
                             [&](const column_def& c) { return iequals(c.name, k); });
    if (!found) throw std::invalid_argument("table schema: key column " + k + " is not a column");
  }
}

table_schema table_schema_from_json(const nlohmann::json& j) {
  auto need_string = [&](const char* field) {
    if (!j.contains(field) || !j[field].is_string())
      throw std::invalid_argument(std::string("table schema: '") + field + "' must be a string");
    return j[field].get<std::string>();
  };
  if (!j.is_object()) throw std::invalid_argument("table schema: expected a JSON object");
  table_schema schema;
  schema.db = need_string("db");
  schema.table = need_string("table");
  if (!j.contains("columns") || !j["columns"].is_array())
    throw std::invalid_argument("table schema: 'columns' must be an array");
  for (const auto& c : j["columns"]) {
    column_def col;
    if (c.is_string()) {
      col.name = c.get<std::string>();
    } else if (c.is_object() && c.contains("name") && c["name"].is_string()) {
      col.name = c["name"].get<std::string>();
      if (c.contains("type")) col.type = c["type"].get<std::string>();
      if (c.contains("nullable")) col.nullable = c["nullable"].get<bool>();
      if (c.contains("default") && !c["default"].is_null())
        col.default_value = c["default"].is_string() ? c["default"].get<std::string>() : c["default"].dump();
    } else {
      throw std::invalid_argument("table schema: a column is a name or {name, type, nullable, default}");
    }
    schema.columns.push_back(std::move(col));
  }
  if (j.contains("key")) {
    if (!j["key"].is_array()) throw std::invalid_argument("table schema: 'key' must be an array of names");
    for (const auto& k : j["key"]) schema.key.push_back(k.get<std::string>());
  }
  std::string model = j.value("model", "primary");
  if (model == "primary" || model == "primary_key") schema.model = table_model::primary_key;
  else if (model == "duplicate" || model == "duplicate_key") schema.model = table_model::duplicate_key;
  else throw std::invalid_argument("table schema: model must be \"primary\" or \"duplicate\", got " + model);
  validate_schema(schema);
  return schema;
}

nlohmann::json to_json(const table_dump& dump) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : dump.rows) {
    nlohmann::json r = nlohmann::json::array();
    for (const auto& c : row) r.push_back(c ? nlohmann::json(*c) : nlohmann::json(nullptr));
    rows.push_back(std::move(r));
  }
  return {{"columns", dump.columns}, {"rows", std::move(rows)}};
}

bool table_data::key_less::operator()(const row_values& a, const row_values& b) const {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (!a[i]) return true;
    if (!b[i]) return false;
    int c = numeric[i] ? compare_integers(*a[i], *b[i]) : a[i]->compare(*b[i]);
    if (c != 0) return c < 0;
  }
  return a.size() < b.size();
}

table_data::table_data(table_schema schema) : schema_(std::move(schema)), is_key_(schema_.columns.size(), false) {
  validate_schema(schema_);
  for (const auto& k : schema_.key) {
    std::size_t index = *column_index(k);
    key_columns_.push_back(index);
    is_key_[index] = true;
    less_.numeric.push_back(parse_type(schema_.columns[index].type).kind == type_class::integer);
    if (schema_.model == table_model::primary_key) schema_.columns[index].nullable = false;
  }
  by_key_ = std::map<row_values, row_values, key_less>(less_);
  history_ = decltype(history_)(less_);
}

std::optional<std::size_t> table_data::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < schema_.columns.size(); ++i)
    if (iequals(schema_.columns[i].name, name)) return i;
  return std::nullopt;
}

row_values table_data::key_of(const row_values& row) const {
  row_values key;
  key.reserve(key_columns_.size());
  for (std::size_t i : key_columns_) key.push_back(row[i]);
  return key;
}

cell table_data::default_of(std::size_t column) const { return schema_.columns[column].default_value; }

void table_data::apply(const std::vector<row_change>& changes, const std::vector<bool>& loaded, bool partial_update,
                       const std::string& label) {
  const std::size_t width = schema_.columns.size();
  labels_.push_back(label);
  for (const auto& change : changes) {
    row_values full(width);
    for (std::size_t i = 0; i < width; ++i) full[i] = loaded[i] ? change.values[i] : default_of(i);
    char op = schema_.model == table_model::duplicate_key ? 'a' : change.is_delete ? 'd' : partial_update ? 'p' : 'u';
    history_[key_of(full)].emplace_back(labels_.size() - 1, op);
    if (schema_.model == table_model::duplicate_key) {
      appended_.push_back(std::move(full));
      continue;
    }
    row_values key = key_of(full);
    if (change.is_delete) {
      by_key_.erase(key);
      continue;
    }
    auto it = by_key_.find(key);
    if (partial_update && it != by_key_.end()) {
      for (std::size_t i = 0; i < width; ++i)
        if (loaded[i]) it->second[i] = change.values[i];
    } else if (it != by_key_.end()) {
      it->second = std::move(full);
    } else {
      by_key_.emplace(std::move(key), std::move(full));
    }
  }
}

std::vector<std::string> table_data::history(const std::vector<std::string>& key) const {
  row_values k(key.begin(), key.end());
  std::vector<std::string> out;
  if (auto it = history_.find(k); it != history_.end())
    for (const auto& [label, op] : it->second)
      out.push_back(labels_[label] + " " +
                    (op == 'a' ? "append" : op == 'd' ? "delete" : op == 'p' ? "partial" : "upsert"));
  return out;
}

table_dump table_data::dump() const {
  table_dump out;
  for (const auto& c : schema_.columns) out.columns.push_back(c.name);
  if (schema_.model == table_model::primary_key) {
    for (const auto& [key, row] : by_key_) out.rows.push_back(row);
    return out;
  }
  out.rows = appended_;
  std::stable_sort(out.rows.begin(), out.rows.end(),
                   [this](const row_values& a, const row_values& b) { return less_(key_of(a), key_of(b)); });
  return out;
}

std::size_t table_data::row_count() const {
  return schema_.model == table_model::primary_key ? by_key_.size() : appended_.size();
}

}  // namespace pg2sr::test::starrocks
