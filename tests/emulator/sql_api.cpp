// The FE's HTTP SQL API (StarRocks 3.2+): POST /api/v1/catalogs/<catalog>/databases/<db>/sql
// with {"query": "..."}, answered as newline-delimited JSON (connectionId, meta, a data
// line per row, statistics), or {"status": "FAILED", "msg": ...}. The emulator runs only
// what pg2sr asks: SELECT <columns> | count(*) FROM <table>, names plain or in backquotes.
#include "tests/emulator/emulator_impl.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <stdexcept>

namespace pg2sr::test::starrocks {

namespace {

struct select_query {
  bool count = false;
  std::vector<std::string> columns;
  std::string db;  ///< "" unless the table is qualified
  std::string table;
};

// A tokenizer for the little SQL above: identifiers (`a``b` unquoted), commas, dots, count(*).
class sql_reader {
 public:
  explicit sql_reader(std::string text) : s_(std::move(text)) {
    while (!s_.empty() && (std::isspace(static_cast<unsigned char>(s_.back())) || s_.back() == ';')) s_.pop_back();
  }
  void skip_space() {
    while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  }
  bool done() {
    skip_space();
    return at_ >= s_.size();
  }
  bool accept(const std::string& word) {  // case-insensitive keyword or symbol
    skip_space();
    if (s_.size() - at_ < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s_[at_ + i])) != std::tolower(static_cast<unsigned char>(word[i])))
        return false;
    bool letters = std::isalpha(static_cast<unsigned char>(word.back()));
    if (letters && at_ + word.size() < s_.size() &&
        (std::isalnum(static_cast<unsigned char>(s_[at_ + word.size()])) || s_[at_ + word.size()] == '_'))
      return false;
    at_ += word.size();
    return true;
  }
  std::string identifier() {
    skip_space();
    std::string out;
    if (at_ < s_.size() && s_[at_] == '`') {
      for (++at_; at_ < s_.size(); ++at_) {
        if (s_[at_] != '`') {
          out += s_[at_];
        } else if (at_ + 1 < s_.size() && s_[at_ + 1] == '`') {
          out += '`';
          ++at_;
        } else {
          ++at_;
          return out;
        }
      }
      throw std::invalid_argument("an unterminated `identifier`");
    }
    while (at_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[at_])) || s_[at_] == '_')) out += s_[at_++];
    if (out.empty()) throw std::invalid_argument("an identifier expected at " + s_.substr(at_, 20));
    return out;
  }

 private:
  std::string s_;
  std::size_t at_ = 0;
};

select_query parse_select(const std::string& sql) {
  sql_reader r(sql);
  select_query q;
  if (!r.accept("SELECT")) throw std::invalid_argument("only SELECT is emulated");
  if (r.accept("count")) {
    if (!r.accept("(") || !r.accept("*") || !r.accept(")")) throw std::invalid_argument("count(*) expected");
    q.count = true;
  } else {
    do q.columns.push_back(r.identifier());
    while (r.accept(","));
  }
  if (!r.accept("FROM")) throw std::invalid_argument("FROM expected");
  q.table = r.identifier();
  if (r.accept(".")) {
    q.db = q.table;
    q.table = r.identifier();
  }
  if (!r.done()) throw std::invalid_argument("only SELECT <columns> | count(*) FROM <table> is emulated");
  return q;
}

// How the BE's JSON result writer prints a value of `type`: TINYINT to BIGINT, FLOAT and
// DOUBLE as numbers, BOOLEAN as 0/1, the rest (LARGEINT, DECIMAL, dates, strings) as strings.
nlohmann::json json_value(const cell& value, const std::string& type) {
  if (!value) return nullptr;
  std::string t;
  for (char c : type) t += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (t == "BOOLEAN") return *value == "true" || *value == "1" ? 1 : 0;
  for (const char* numeric : {"TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE"})
    if (t == numeric || t.starts_with(std::string(numeric) + "(")) {
      auto j = nlohmann::json::parse(*value, nullptr, false);
      if (j.is_number()) return j;
    }
  return *value;
}

}  // namespace

void starrocks_emulator::impl::fe_sql(const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
  auto failed = [&](int status, const std::string& msg) {
    res.status = status;
    res.set_content(nlohmann::json{{"status", "FAILED"}, {"msg", msg}}.dump(), "application/json");
  };
  auto auth = basic_auth(req);
  if (!auth || !credentials_ok(*auth)) return failed(401, "Access denied");
  if (req.matches[1].str() != "default_catalog") return failed(400, "emulator: only default_catalog");
  std::string db = req.matches[2].str();
  select_query q;
  try {
    q = parse_select(nlohmann::json::parse(read_text(req, reader)).at("query").get<std::string>());
  } catch (const std::exception& e) {
    return failed(400, std::string("emulator: ") + e.what());
  }
  if (!q.db.empty()) db = q.db;
  std::string out = nlohmann::json{{"connectionId", 1}}.dump() + "\n";
  std::size_t rows = 0;
  {
    std::lock_guard lock(mu);
    auto table = find_table(db, q.table);
    if (!table) return failed(400, "Getting analyzing error. Detail message: Unknown table '" + db + "." + q.table + "'.");
    const auto& schema = table->schema();
    auto dump = table->dump();
    if (q.count) {
      out += nlohmann::json{{"meta", {{{"name", "count(*)"}, {"type", "bigint(20)"}}}}}.dump() + "\n";
      out += nlohmann::json{{"data", {dump.rows.size()}}}.dump() + "\n";
      rows = 1;
    } else {
      std::vector<std::size_t> at;
      nlohmann::json meta = nlohmann::json::array();
      for (const auto& c : q.columns) {
        auto i = table->column_index(c);
        if (!i) return failed(400, "Getting analyzing error. Detail message: Column '" + c + "' cannot be resolved.");
        at.push_back(*i);
        meta.push_back({{"name", schema.columns[*i].name}, {"type", schema.columns[*i].type}});
      }
      out += nlohmann::json{{"meta", meta}}.dump() + "\n";
      for (const auto& row : dump.rows) {
        nlohmann::json data = nlohmann::json::array();
        for (auto i : at) data.push_back(json_value(row[i], schema.columns[i].type));
        out += nlohmann::json{{"data", data}}.dump() + "\n";
        ++rows;
      }
    }
  }
  out += nlohmann::json{{"statistics", {{"scanRows", rows}, {"scanBytes", 0}, {"returnRows", rows}}}}.dump() + "\n";
  res.status = 200;
  res.set_content(out, "application/x-ndjson charset=UTF-8");
}

}  // namespace pg2sr::test::starrocks
