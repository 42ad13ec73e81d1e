// Tests of the StarRocks Stream Load emulator, driven over HTTP with libcurl (and once with
// the curl CLI) the way a real client talks to StarRocks: FE redirect with 100-continue and
// auth, loads in CSV/JSON with __op, partial updates, labels, faults, transactions and
// compressed bodies. Expected messages and fields follow StarRocks' FE/BE sources.
#include "tests/emulator/starrocks_emulator.hpp"

#include <boost/test/unit_test.hpp>
#include <curl/curl.h>
#include <lz4frame.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace sr = pg2sr::test::starrocks;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct curl_global {
  curl_global() { curl_global_init(CURL_GLOBAL_ALL); }
  ~curl_global() { curl_global_cleanup(); }
} const curl_global_instance;

struct http_request {
  std::string method = "PUT";
  std::string url;
  std::vector<std::string> headers;  ///< "name: value"
  std::string body;
  bool auth = true;
  std::string user = "root";
  std::string password;
  bool follow = true;  ///< follow redirects and resend credentials (curl --location-trusted)
  bool expect = true;  ///< send "Expect: 100-continue"
  bool framed = true;  ///< false: no body and no Content-Length (curl -XPOST without data)
  long timeout_ms = 15000;
};

struct http_response {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< of the last response, names lower-case
  json parsed() const { return json::parse(body); }
};

std::size_t collect_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* out) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(out);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) headers->clear();  // a new response (100, 307, then 200)
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*headers)[name] = value;
  }
  return size * n;
}

http_response send(const http_request& rq) {
  http_response out;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const auto& h : rq.headers) headers = curl_slist_append(headers, h.c_str());
  headers = curl_slist_append(headers, rq.expect ? "Expect: 100-continue" : "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, rq.url.c_str());
  if (rq.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (!rq.framed) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq.method.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(rq.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (rq.auth) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, rq.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, rq.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, rq.follow ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, rq.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out.headers);
  out.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return out;
}

sr::table_schema orders_schema() {
  sr::table_schema s;
  s.db = "shop";
  s.table = "orders";
  s.columns = {{"id", "BIGINT", false, std::nullopt},
               {"name", "VARCHAR(16)", true, std::nullopt},
               {"qty", "INT", true, "0"},
               {"note", "STRING", true, std::nullopt}};
  s.key = {"id"};
  s.model = sr::table_model::primary_key;
  return s;
}

sr::table_schema events_schema() {
  sr::table_schema s;
  s.db = "shop";
  s.table = "events";
  s.columns = {{"id", "BIGINT", false, std::nullopt}, {"kind", "STRING", true, std::nullopt}};
  s.key = {"id"};
  s.model = sr::table_model::duplicate_key;
  return s;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  BOOST_REQUIRE_EQUAL(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string lz4_frame(const std::string& data) {
  std::string out(LZ4F_compressFrameBound(data.size(), nullptr), '\0');
  std::size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), nullptr);
  BOOST_REQUIRE(!LZ4F_isError(n));
  out.resize(n);
  return out;
}

/// Table rows as "v1|v2|..." lines, printable in Boost.Test messages.
struct lines : std::vector<std::string> {
  using std::vector<std::string>::vector;
};

std::ostream& operator<<(std::ostream& os, const lines& rows) {
  os << "[";
  for (std::size_t i = 0; i < rows.size(); ++i) os << (i ? ", " : "") << '"' << rows[i] << '"';
  return os << "]";
}

struct emulator_fixture {
  sr::starrocks_emulator emulator;

  emulator_fixture() {
    emulator.start();
    emulator.create_table(orders_schema());
    emulator.create_table(events_schema());
  }

  /// A stream load through the FE, following the redirect like curl --location-trusted.
  http_response load(const std::string& table, const std::string& body, std::vector<std::string> headers) {
    http_request rq;
    rq.url = emulator.fe_url() + "/api/shop/" + table + "/_stream_load";
    rq.body = body;
    rq.headers = std::move(headers);
    return send(rq);
  }

  json load_json(const std::string& table, const std::string& body, std::vector<std::string> headers) {
    http_response r = load(table, body, std::move(headers));
    BOOST_REQUIRE_MESSAGE(r.code == CURLE_OK, "curl: " << curl_easy_strerror(r.code));
    BOOST_REQUIRE_EQUAL(r.status, 200);
    return r.parsed();
  }

  http_response get(const std::string& url) {
    http_request rq;
    rq.method = "GET";
    rq.url = url;
    rq.expect = false;
    return send(rq);
  }

  std::string load_state(const std::string& label) {
    http_response r = get(emulator.fe_url() + "/api/shop/get_load_state?label=" + label);
    BOOST_REQUIRE_EQUAL(r.status, 200);
    json j = r.parsed();
    BOOST_CHECK_EQUAL(j.at("status"), "OK");
    return j.at("state").get<std::string>();
  }

  /// A transaction request through the FE (redirects followed).
  json transaction(const std::string& op, const std::string& label, const std::string& body = "",
                   std::vector<std::string> extra = {}) {
    http_request rq;
    rq.method = op == "load" ? "PUT" : "POST";
    rq.url = emulator.fe_url() + "/api/transaction/" + op;
    rq.headers = {"label: " + label, "db: shop", "table: orders"};
    rq.headers.insert(rq.headers.end(), extra.begin(), extra.end());
    rq.body = body;
    rq.expect = op == "load";
    rq.framed = op == "load";  // begin/prepare/commit/rollback carry no body, not even a Content-Length
    rq.timeout_ms = 5000;
    http_response r = send(rq);
    BOOST_REQUIRE_MESSAGE(r.code == CURLE_OK, "curl: " << curl_easy_strerror(r.code));
    BOOST_REQUIRE_EQUAL(r.status, 200);
    return r.parsed();
  }

  /// The table as "v1|v2|..." lines in key order, NULL for NULL.
  lines rows(const std::string& table) {
    lines out;
    for (const auto& row : emulator.dump("shop", table).rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "|" : "") + row[i].value_or("NULL");
      out.push_back(line);
    }
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(starrocks_emulator)

BOOST_FIXTURE_TEST_CASE(fe_redirects_to_be_with_307_and_closes_the_connection, emulator_fixture) {
  http_request rq;
  rq.url = emulator.fe_url() + "/api/shop/orders/_stream_load?x=1";
  rq.body = "1\tann\t2\tn\n";
  rq.headers = {"label: r1"};
  rq.follow = false;
  http_response r = send(rq);
  BOOST_CHECK_EQUAL(r.status, 307);
  BOOST_CHECK_EQUAL(r.headers["location"], emulator.be_url() + "/api/shop/orders/_stream_load?x=1");
  BOOST_CHECK_EQUAL(r.headers["connection"], "close");
  BOOST_CHECK_EQUAL(emulator.stats().loads, 0u);  // the body never reached the BE

  rq.follow = true;
  r = send(rq);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  json j = r.parsed();
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("Message"), "OK");
  BOOST_CHECK_EQUAL(j.at("Label"), "r1");
  BOOST_CHECK_EQUAL(j.at("NumberTotalRows"), 1);
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 1);
  BOOST_CHECK_EQUAL(j.at("LoadBytes"), rq.body.size());
  BOOST_CHECK(j.at("TxnId").get<long>() > 0);
  for (const char* field : {"NumberFilteredRows", "NumberUnselectedRows", "LoadTimeMs", "BeginTxnTimeMs",
                            "StreamLoadPlanTimeMs", "ReadDataTimeMs", "WriteDataTimeMs", "CommitAndPublishTimeMs"})
    BOOST_CHECK_MESSAGE(j.contains(field), "missing " << field);
  BOOST_CHECK(!j.contains("ErrorURL"));
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  BOOST_CHECK_EQUAL(emulator.stats().redirects, 2u);
  BOOST_CHECK_EQUAL(emulator.stats().by_status.at("Success"), 1u);
}

BOOST_FIXTURE_TEST_CASE(fe_answers_401_to_a_bad_password_or_no_credentials, emulator_fixture) {
  http_request rq;
  rq.url = emulator.fe_url() + "/api/shop/orders/_stream_load";
  rq.body = "1\tann\t2\tn\n";
  rq.password = "wrong";
  http_response r = send(rq);
  BOOST_CHECK_EQUAL(r.status, 401);
  BOOST_CHECK(r.headers.count("www-authenticate"));
  rq.auth = false;
  BOOST_CHECK_EQUAL(send(rq).status, 401);
  rq.expect = false;  // without Expect the password is checked first too
  BOOST_CHECK_EQUAL(send(rq).status, 401);
  BOOST_CHECK_EQUAL(emulator.stats().loads, 0u);
  BOOST_CHECK(rows("orders").empty());
}

BOOST_FIXTURE_TEST_CASE(fe_refuses_a_load_without_expect_100_continue, emulator_fixture) {
  http_request rq;
  rq.url = emulator.fe_url() + "/api/shop/orders/_stream_load";
  rq.body = "1\tann\t2\tn\n";
  rq.expect = false;
  http_response r = send(rq);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  json j = r.parsed();
  BOOST_CHECK_EQUAL(j.at("Status"), "FAILED");
  BOOST_CHECK(j.at("Message").get<std::string>().find("There is no 100-continue header") != std::string::npos);
  BOOST_CHECK_EQUAL(r.headers["connection"], "close");
  BOOST_CHECK(rows("orders").empty());
}

BOOST_FIXTURE_TEST_CASE(be_checks_the_credentials_again, emulator_fixture) {
  http_request rq;
  rq.url = emulator.be_url() + "/api/shop/orders/_stream_load";
  rq.body = "1\tann\t2\tn\n";
  rq.password = "wrong";
  json j = send(rq).parsed();
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
  BOOST_CHECK(j.at("Message").get<std::string>().find("Access denied for root@") == 0);
  rq.auth = false;
  j = send(rq).parsed();
  BOOST_CHECK_EQUAL(j.at("Message"), "no valid Basic authorization");
  BOOST_CHECK(rows("orders").empty());
}

BOOST_FIXTURE_TEST_CASE(json_rows_upsert_and_delete_by_op, emulator_fixture) {
  json j = load_json("orders",
                     R"([{"id":1,"name":"ann","qty":2},{"id":2,"name":"bob","qty":5,"note":"x"},
                         {"id":3,"name":"cy","qty":1}])",
                     {"label: j1", "format: json", "strip_outer_array: true"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 3);
  j = load_json("orders", R"([{"id":1,"name":"ann2","qty":7,"__op":0},{"id":2,"__op":1},{"id":9,"__op":1}])",
                {"label: j2", "format: json", "strip_outer_array: true"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  // An upsert replaces the whole row: note of id 1 becomes NULL. Deleting a missing key is fine.
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann2|7|NULL", "3|cy|1|NULL"}));
  // Without strip_outer_array the body is a stream of objects.
  j = load_json("orders", "{\"id\":4,\"name\":\"dee\",\"qty\":3}\n{\"id\":3,\"__op\":1}",
                {"label: j3", "format: json"});
  BOOST_CHECK_EQUAL(j.at("NumberTotalRows"), 2);
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann2|7|NULL", "4|dee|3|NULL"}));
  // Keys that are no column are ignored; json_root and jsonpaths pick the values.
  j = load_json("orders", R"({"data":{"rows":[{"k":5,"who":"eve","extra":true}]}})",
                {"label: j4", "format: json", "strip_outer_array: true", "json_root: $.data.rows",
                 "jsonpaths: [\"$.k\", \"$.who\"]", "columns: id,name"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  j = load_json("orders", R"({"id":6,"name":"fay","unknown_key":1})", {"label: j5", "format: json"});
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 1);
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann2|7|NULL", "4|dee|3|NULL", "5|eve|0|NULL", "6|fay|NULL|NULL"}));
}

// The HTTP SQL API answers a SELECT as newline-delimited JSON: connectionId, meta, a data
// line per row (integers as numbers, the rest as strings), statistics; an unknown table or
// statement is {"status": "FAILED", "msg": ...}, a bad password 401.
BOOST_FIXTURE_TEST_CASE(the_sql_api_answers_a_select_line_by_line, emulator_fixture) {
  load_json("orders", R"([{"id":1,"name":"ann","qty":2},{"id":2,"name":"b`ob","qty":5}])",
            {"label: q1", "format: json", "strip_outer_array: true"});
  auto sql = [&](const std::string& query, const std::string& password) {
    http_request rq;
    rq.method = "POST";
    rq.url = emulator.fe_url() + "/api/v1/catalogs/default_catalog/databases/shop/sql";
    rq.headers = {"Content-Type: application/json"};
    rq.body = json{{"query", query}}.dump();
    rq.password = password;
    rq.expect = false;
    return send(rq);
  };
  auto r = sql("SELECT `id`, `name` FROM `orders`;", "");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_CHECK_EQUAL(r.body, "{\"connectionId\":1}\n"
                            "{\"meta\":[{\"name\":\"id\",\"type\":\"BIGINT\"},{\"name\":\"name\",\"type\":\"VARCHAR(16)\"}]}\n"
                            "{\"data\":[1,\"ann\"]}\n{\"data\":[2,\"b`ob\"]}\n"
                            "{\"statistics\":{\"returnRows\":2,\"scanBytes\":0,\"scanRows\":2}}\n");
  r = sql("select count(*) from shop.orders", "");
  BOOST_CHECK(r.body.find("{\"data\":[2]}") != std::string::npos);
  r = sql("SELECT id FROM nowhere", "");
  BOOST_CHECK_EQUAL(json::parse(r.body).at("status"), "FAILED");
  BOOST_CHECK(json::parse(r.body).at("msg").get<std::string>().find("Unknown table 'shop.nowhere'") != std::string::npos);
  r = sql("DELETE FROM orders", "");
  BOOST_CHECK_EQUAL(json::parse(r.body).at("status"), "FAILED");
  BOOST_CHECK_EQUAL(sql("SELECT id FROM orders", "wrong").status, 401);
}

BOOST_FIXTURE_TEST_CASE(csv_rows_upsert_and_delete_with_an_op_column, emulator_fixture) {
  json j = load_json("orders", "1,ann,2,\\N,0\n2,bob,5,hello,0\n3,cy,1,z,0\n",
                     {"label: c1", "column_separator: ,", "columns: id,name,qty,note,__op"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 3);
  j = load_json("orders", "2|||1\x02" "3|cyrus|4|0\x02",
                {"label: c2", "column_separator: |", "row_delimiter: \\x02", "columns: id,name,qty,__op"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  // The CSV full upsert of id 3 names no `note`: it gets its default (NULL).
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|NULL", "3|cyrus|4|NULL"}));
  // `__op='delete'` as a constant deletes every row of the load.
  j = load_json("orders", "1\n", {"label: c3", "columns: id,__op='delete'"});
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"3|cyrus|4|NULL"}));
}

// The bodies pg2sr sends: `escape: ^`, the tab in the \x09 form, backquoted names and __op.
BOOST_FIXTURE_TEST_CASE(csv_escape_makes_separators_newlines_and_itself_data, emulator_fixture) {
  const std::string body =
      "1\ttab^\there\t2\tline^\nbreak, caret ^^ and back\\slash\t0\n"
      "2\t\\N\t\\N\t^\\N\t0\n"      // both NULL (StarRocks unescapes, then compares): the text \N cannot load
      "3\t\t1\t\\\\N\t0\n"          // an empty string, not NULL; \\N is text
      "\n"                          // an empty line is no row
      "4\t\"q\" 'x'\t1\tπ ünïcödé 😀\t0\n"  // quotes are data without enclose
      "5\tx^y\t1\tends in a newline^\n\t0";  // ^ before an ordinary byte is dropped; the body's end ends the row
  json j = load_json("orders", body,
                     {"label: esc1", "format: csv", "column_separator: \\x09", "escape: ^",
                      "columns: `id`,`name`,`qty`,`note`,__op"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberTotalRows"), 5);
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 5);
  const lines loaded = {"1|tab\there|2|line\nbreak, caret ^ and back\\slash", "2|NULL|NULL|NULL", "3||1|\\\\N",
                        "4|\"q\" 'x'|1|π ünïcödé 😀", "5|xy|1|ends in a newline\n"};
  BOOST_CHECK_EQUAL(rows("orders"), loaded);
  // With '1' as the separator, the digits of the key and of __op are escaped: a delete of id 1.
  j = load_json("orders", "^11\\N1\\N1\\N1^1\n",
                {"label: esc2", "column_separator: 1", "escape: ^", "columns: `id`,`name`,`qty`,`note`,__op"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(rows("orders"), lines(loaded.begin() + 1, loaded.end()));
}

BOOST_FIXTURE_TEST_CASE(csv_escape_covers_a_whole_two_byte_row_delimiter, emulator_fixture) {
  json j = load_json("orders", "6\tcr^\r\nlf\t1\tx\r\n7\ty\t1\tz^^\r\n",
                     {"label: esc3", "escape: ^", "row_delimiter: \\x0d0a"});
  BOOST_CHECK_EQUAL(j.at("NumberTotalRows"), 2);
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"6|cr\r\nlf|1|x", "7|y|1|z^"}));
}

BOOST_FIXTURE_TEST_CASE(csv_enclose_quotes_fields_and_a_doubled_enclose_is_one, emulator_fixture) {
  json j = load_json("orders",
                     "1,\"a,b\",2,\"say \"\"hi\"\"\"\n"
                     "2,\"two\nlines\",3,\"\"\n"  // a row delimiter inside is data; "" is an empty string
                     "3,\"\\N\",4,\\N\n"           // enclosed \N is NULL too
                     "4,plain,5,mid\"\"dle\n",     // past a field's start an enclose makes the next byte data
                     {"label: enc1", "column_separator: ,", "enclose: \"", "columns: id,name,qty,note"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberTotalRows"), 4);
  lines expected = {"1|a,b|2|say \"hi\"", "2|two\nlines|3|", "3|NULL|4|NULL", "4|plain|5|mid\"dle"};
  BOOST_CHECK_EQUAL(rows("orders"), expected);
  // With '\' as the escape, \N is the text N and NULL must be written \\N.
  j = load_json("orders", "5,\"x\\\"y\",1,a\\,b\n6,\\N,1,\\\\N\n",
                {"label: enc2", "column_separator: ,", "enclose: \"", "escape: \\", "columns: id,name,qty,note"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  expected.insert(expected.end(), {"5|x\"y|1|a,b", "6|N|1|NULL"});
  BOOST_CHECK_EQUAL(rows("orders"), expected);
}

BOOST_FIXTURE_TEST_CASE(columns_header_reads_backquoted_names_with_commas_and_backquotes, emulator_fixture) {
  sr::table_schema odd;
  odd.db = "shop";
  odd.table = "odd";
  odd.columns = {{"id", "BIGINT", false, std::nullopt},
                 {"a,b", "STRING", true, std::nullopt},
                 {"x`y", "STRING", true, std::nullopt},
                 {"k=v", "STRING", true, std::nullopt}};
  odd.key = {"id"};
  emulator.create_table(odd);
  json j = load_json("odd", "X\tAB\tKV\t1\n", {"label: bq1", "columns: `x``y`, `a,b` ,`k=v`,`id`"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(rows("odd"), (lines{"1|AB|X|KV"}));
}

BOOST_FIXTURE_TEST_CASE(partial_update_keeps_other_columns_and_inserts_new_keys_with_defaults, emulator_fixture) {
  load_json("orders", "1\tann\t2\tkeep\n2\tbob\t5\tme\n", {"label: p1"});
  json j = load_json("orders", "1,9\n3,4\n",
                     {"label: p2", "partial_update: true", "column_separator: ,", "columns: id,qty"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|9|keep", "2|bob|5|me", "3|NULL|4|NULL"}));
  j = load_json("orders", R"([{"id":2,"note":"changed"}])",
                {"label: p3", "format: json", "strip_outer_array: true", "partial_update: true", "columns: id,note"});
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|9|keep", "2|bob|5|changed", "3|NULL|4|NULL"}));
  // Without the key among the columns a partial update cannot work.
  j = load_json("orders", "9\n", {"label: p4", "partial_update: true", "columns: qty"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
}

// Every load that touched a key, in order, with what it did: a failed comparison in a test
// names the loads that made its row what it is.
BOOST_FIXTURE_TEST_CASE(the_history_of_a_key_lists_the_loads_that_touched_it, emulator_fixture) {
  load_json("orders", "1\tann\t2\tkeep\n2\tbob\t5\tme\n", {"label: h1"});
  load_json("orders", "1,9\n3,4\n", {"label: h2", "partial_update: true", "column_separator: ,", "columns: id,qty"});
  load_json("orders", R"([{"id":1,"__op":1}])",
            {"label: h3", "format: json", "strip_outer_array: true", "columns: id,__op"});
  auto history = [&](const char* key) {
    auto h = emulator.key_history("shop", "orders", {key});
    return lines(h.begin(), h.end());
  };
  BOOST_CHECK_EQUAL(history("1"), (lines{"h1 upsert", "h2 partial", "h3 delete"}));
  BOOST_CHECK_EQUAL(history("2"), (lines{"h1 upsert"}));
  BOOST_CHECK(emulator.key_history("shop", "orders", {"7"}).empty());
}

BOOST_FIXTURE_TEST_CASE(partial_update_of_a_duplicate_key_table_fails_and_frees_the_label, emulator_fixture) {
  json j = load_json("events", "1\tclick\n", {"label: d1", "partial_update: true", "columns: id,kind"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
  BOOST_CHECK_EQUAL(j.at("Message"), "Only primary key table support partial update");
  j = load_json("events", "1\tclick\n", {"label: d1"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
}

BOOST_FIXTURE_TEST_CASE(duplicate_key_table_appends_every_row_and_ignores_op, emulator_fixture) {
  load_json("events", "2\tview\n1\tclick\n", {"label: e1"});
  load_json("events", "1,click,1\n", {"label: e2", "column_separator: ,", "columns: id,kind,__op"});
  load_json("events", R"({"id":1,"kind":"buy","__op":1})", {"label: e3", "format: json"});
  // StarRocks adds the __op slot only for Primary Key tables: a "delete" is one more row.
  BOOST_CHECK_EQUAL(rows("events"), (lines{"1|click", "1|click", "1|buy", "2|view"}));
}

BOOST_FIXTURE_TEST_CASE(a_finished_label_answers_label_already_exists_and_is_not_applied_again, emulator_fixture) {
  json j = load_json("orders", "1\tann\t2\tn\n", {"label: same"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  j = load_json("orders", "1\tann\t999\tn\n2\tbob\t1\tn\n", {"label: same"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Label Already Exists");
  BOOST_CHECK_EQUAL(j.at("ExistingJobStatus"), "FINISHED");
  BOOST_CHECK_EQUAL(j.at("Message"), "Label [same] has already been used.");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  BOOST_CHECK_EQUAL(load_state("same"), "VISIBLE");
  BOOST_CHECK_EQUAL(load_state("never-used"), "UNKNOWN");
  // Labels are per database.
  sr::table_schema other = orders_schema();
  other.db = "shop2";
  emulator.create_table(other);
  http_request rq;
  rq.url = emulator.fe_url() + "/api/shop2/orders/_stream_load";
  rq.body = "1\tann\t2\tn\n";
  rq.headers = {"label: same"};
  BOOST_CHECK_EQUAL(send(rq).parsed().at("Status"), "Success");
}

BOOST_FIXTURE_TEST_CASE(a_running_label_answers_running_and_get_load_state_follows_it, emulator_fixture) {
  emulator.inject_fault({sr::fault_kind::slow_response, 1, 1500ms, ""});
  http_response first;
  std::thread slow([&] { first = load("orders", "1\tann\t2\tn\n", {"label: slow"}); });
  for (int i = 0; i < 500 && emulator.load_state("shop", "slow") != "PREPARE"; ++i) std::this_thread::sleep_for(5ms);
  BOOST_CHECK_EQUAL(load_state("slow"), "PREPARE");
  json retry = load_json("orders", "1\tann\t777\tn\n", {"label: slow"});
  BOOST_CHECK_EQUAL(retry.at("Status"), "Label Already Exists");
  BOOST_CHECK_EQUAL(retry.at("ExistingJobStatus"), "RUNNING");
  BOOST_CHECK(rows("orders").empty());  // not visible before the commit
  slow.join();
  BOOST_REQUIRE_EQUAL(first.status, 200);
  BOOST_CHECK_EQUAL(first.parsed().at("Status"), "Success");
  BOOST_CHECK_EQUAL(load_state("slow"), "VISIBLE");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
}

BOOST_FIXTURE_TEST_CASE(too_many_filtered_rows_fail_the_load_free_the_label_and_serve_the_error_rows,
                        emulator_fixture) {
  json j = load_json("orders", "1\tann\t2\tn\nnot-a-number\tbob\t1\tn\n3\tcy\n", {"label: bad"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
  BOOST_CHECK_EQUAL(j.at("Message"), "too many filtered rows");
  BOOST_CHECK_EQUAL(j.at("NumberTotalRows"), 3);
  BOOST_CHECK_EQUAL(j.at("NumberFilteredRows"), 2);
  BOOST_REQUIRE(j.contains("ErrorURL"));
  http_response log = get(j.at("ErrorURL").get<std::string>());
  BOOST_CHECK_EQUAL(log.status, 200);
  BOOST_CHECK(log.body.find("not-a-number") != std::string::npos);
  BOOST_CHECK(log.body.find("Value count does not match column count. Expect 4, but got 2.") != std::string::npos);
  BOOST_CHECK(rows("orders").empty());
  BOOST_CHECK_EQUAL(load_state("bad"), "ABORTED");
  // The failed load freed its label; a ratio that tolerates the bad rows loads the good one.
  j = load_json("orders", "1\tann\t2\tn\nnot-a-number\tbob\t1\tn\n3\tcy\n", {"label: bad", "max_filter_ratio: 0.7"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 1);
  BOOST_CHECK_EQUAL(j.at("NumberFilteredRows"), 2);
  BOOST_CHECK(j.contains("ErrorURL"));
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  BOOST_CHECK_EQUAL(emulator.stats().rows_filtered, 4u);
}

BOOST_FIXTURE_TEST_CASE(header_errors_are_answered_as_fail, emulator_fixture) {
  json j = load_json("orders", "1\tann\t2\tn\n", {"label: bad label!"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
  BOOST_CHECK_EQUAL(j.at("Message"), "Label format error. regex: ^[-\\w]{1,128}$, label: bad label!");
  j = load_json("nope", "1\n", {"label: t1"});
  BOOST_CHECK_EQUAL(j.at("Message"), "unknown table \"shop.nope\"");
  http_request rq;
  rq.url = emulator.fe_url() + "/api/nodb/orders/_stream_load";
  rq.body = "1\n";
  BOOST_CHECK_EQUAL(send(rq).parsed().at("Message"), "unknown database, database=nodb");
  j = load_json("orders", "1\n", {"label: t2", "format: parquet"});
  BOOST_CHECK_EQUAL(j.at("Message"), "unknown data format, format=parquet");
  j = load_json("orders", "1\n", {"label: t3", "compression: LZ4_FRAME", "Content-Encoding: GZIP"});
  BOOST_CHECK_EQUAL(j.at("Message"), "Only one of http header content-encoding and compression can be set");
  // A load without a label gets a generated one.
  j = load_json("orders", "5\te\t1\tn\n", {});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("Label").get<std::string>().size(), 36u);
}

BOOST_FIXTURE_TEST_CASE(fault_fail_answers_fail_twice_and_frees_the_label_each_time, emulator_fixture) {
  emulator.inject_fault({sr::fault_kind::fail, 2, 0ms, ""});
  BOOST_CHECK_EQUAL(emulator.pending_faults(), 2);
  for (int attempt = 0; attempt < 2; ++attempt) {
    json j = load_json("orders", "1\tann\t2\tn\n", {"label: f1"});
    BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
    BOOST_CHECK(j.at("Message").get<std::string>().find("Failed to commit txn") == 0);
    BOOST_CHECK(rows("orders").empty());
  }
  json j = load_json("orders", "1\tann\t2\tn\n", {"label: f1"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  BOOST_CHECK_EQUAL(emulator.stats().by_status.at("Fail"), 2u);
}

BOOST_FIXTURE_TEST_CASE(fault_publish_timeout_applies_the_data_and_becomes_visible_later, emulator_fixture) {
  emulator.inject_fault({sr::fault_kind::publish_timeout, 1, 600ms, ""});
  json j = load_json("orders", "1\tann\t2\tn\n", {"label: pt"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Publish Timeout");
  BOOST_CHECK_EQUAL(j.at("Message"), "Publish timeout. The data will be visible after a while");
  BOOST_CHECK_EQUAL(load_state("pt"), "COMMITTED");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  j = load_json("orders", "1\tann\t3\tn\n", {"label: pt"});
  BOOST_CHECK_EQUAL(j.at("ExistingJobStatus"), "FINISHED");
  std::this_thread::sleep_for(700ms);
  BOOST_CHECK_EQUAL(load_state("pt"), "VISIBLE");
}

BOOST_FIXTURE_TEST_CASE(fault_http_500_applies_nothing, emulator_fixture) {
  emulator.inject_fault({sr::fault_kind::http_500, 1, 0ms, ""});
  http_response r = load("orders", "1\tann\t2\tn\n", {"label: h1"});
  BOOST_CHECK_EQUAL(r.code, CURLE_OK);
  BOOST_CHECK_EQUAL(r.status, 500);
  BOOST_CHECK(rows("orders").empty());
  BOOST_CHECK_EQUAL(load_state("h1"), "ABORTED");
  BOOST_CHECK_EQUAL(load_json("orders", "1\tann\t2\tn\n", {"label: h1"}).at("Status"), "Success");
}

BOOST_FIXTURE_TEST_CASE(fault_drop_connection_gives_the_client_no_response, emulator_fixture) {
  emulator.inject_fault({sr::fault_kind::drop_connection, 1, 0ms, ""});
  std::string body;
  for (int i = 0; i < 20000; ++i) body += std::to_string(i) + "\tname\t1\tnote\n";
  http_response r = load("orders", body, {"label: dc"});
  BOOST_CHECK_MESSAGE(r.code != CURLE_OK, "expected a transport error, got HTTP " << r.status << " " << r.body);
  BOOST_CHECK(r.body.empty());
  BOOST_CHECK(rows("orders").empty());
  BOOST_CHECK_EQUAL(load_state("dc"), "ABORTED");
  json j = load_json("orders", body, {"label: dc"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(rows("orders").size(), 20000u);
  BOOST_CHECK_EQUAL(emulator.stats().by_status.at("Dropped"), 1u);
}

BOOST_FIXTURE_TEST_CASE(fault_label_running_drops_the_client_then_commits_in_the_background, emulator_fixture) {
  emulator.inject_fault({sr::fault_kind::label_running, 1, 800ms, ""});
  http_response r = load("orders", "1\tann\t2\tn\n", {"label: lr"});
  BOOST_CHECK(r.code != CURLE_OK);
  json j = load_json("orders", "1\tann\t2\tn\n", {"label: lr"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Label Already Exists");
  BOOST_CHECK_EQUAL(j.at("ExistingJobStatus"), "RUNNING");
  BOOST_CHECK_EQUAL(load_state("lr"), "PREPARE");
  std::string state;
  for (int i = 0; i < 300 && (state = load_state("lr")) != "VISIBLE"; ++i) std::this_thread::sleep_for(10ms);
  BOOST_CHECK_EQUAL(state, "VISIBLE");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
}

BOOST_FIXTURE_TEST_CASE(transaction_begin_load_prepare_commit_applies_only_at_commit, emulator_fixture) {
  json j = transaction("begin", "tx1");
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK_EQUAL(j.at("Label"), "tx1");
  const long txn_id = j.at("TxnId").get<long>();
  BOOST_CHECK_EQUAL(transaction("begin", "tx1").at("Status"), "LABEL_ALREADY_EXISTS");
  j = transaction("load", "tx1", "1\tann\t2\tn\n");
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK_EQUAL(j.at("TxnId").get<long>(), txn_id);
  j = transaction("load", "tx1", R"([{"id":2,"name":"bob","qty":1}])", {"format: json", "strip_outer_array: true"});
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK(rows("orders").empty());
  BOOST_CHECK_EQUAL(load_state("tx1"), "PREPARE");
  j = transaction("prepare", "tx1");
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 2);
  BOOST_CHECK_EQUAL(load_state("tx1"), "PREPARED");
  BOOST_CHECK(rows("orders").empty());
  j = transaction("commit", "tx1");  // answered by the FE: the transaction is PREPARED
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK_EQUAL(j.at("TxnId").get<long>(), txn_id);
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n", "2|bob|1|NULL"}));
  BOOST_CHECK_EQUAL(load_state("tx1"), "VISIBLE");
  j = transaction("commit", "tx1");
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK(j.at("Message").get<std::string>().find("has already committed") != std::string::npos);
  BOOST_CHECK_EQUAL(rows("orders").size(), 2u);
}

BOOST_FIXTURE_TEST_CASE(transaction_commit_without_prepare_and_rollback, emulator_fixture) {
  BOOST_CHECK_EQUAL(transaction("begin", "tx2").at("Status"), "OK");
  BOOST_CHECK_EQUAL(transaction("load", "tx2", "1\tann\t2\tn\n").at("Status"), "OK");
  json j = transaction("commit", "tx2");  // still PREPARE: the FE sends it to the BE
  BOOST_CHECK_EQUAL(j.at("Status"), "OK");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 1);
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));

  BOOST_CHECK_EQUAL(transaction("begin", "tx3").at("Status"), "OK");
  BOOST_CHECK_EQUAL(transaction("load", "tx3", "2\tbob\t2\tn\n").at("Status"), "OK");
  BOOST_CHECK_EQUAL(transaction("rollback", "tx3").at("Status"), "OK");
  BOOST_CHECK_EQUAL(load_state("tx3"), "ABORTED");
  BOOST_CHECK_EQUAL(transaction("load", "tx3", "2\tbob\t2\tn\n").at("Status"), "TXN_NOT_EXISTS");
  j = transaction("commit", "tx3");
  BOOST_CHECK_EQUAL(j.at("Status"), "FAILED");
  BOOST_CHECK(j.at("Message").get<std::string>().find("Can not commit ABORTED transaction") != std::string::npos);
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  // An aborted label can begin again; a PREPARED one rolls back at the FE.
  BOOST_CHECK_EQUAL(transaction("begin", "tx3").at("Status"), "OK");
  BOOST_CHECK_EQUAL(transaction("load", "tx3", "3\tcy\t2\tn\n").at("Status"), "OK");
  BOOST_CHECK_EQUAL(transaction("prepare", "tx3").at("Status"), "OK");
  BOOST_CHECK_EQUAL(transaction("rollback", "tx3").at("Status"), "OK");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"1|ann|2|n"}));
  // A transaction without data cannot commit.
  BOOST_CHECK_EQUAL(transaction("begin", "tx4").at("Status"), "OK");
  j = transaction("commit", "tx4");
  BOOST_CHECK_EQUAL(j.at("Status"), "INTERNAL_ERROR");
  BOOST_CHECK(j.at("Message").get<std::string>().find("hasn't send any data yet") != std::string::npos);
  BOOST_CHECK_EQUAL(transaction("commit", "no-such-label").at("Status"), "FAILED");
}

BOOST_FIXTURE_TEST_CASE(compressed_bodies_lz4_frame_and_gzip, emulator_fixture) {
  std::string csv;
  for (int i = 1; i <= 500; ++i) csv += std::to_string(i) + "\tn" + std::to_string(i) + "\t" + std::to_string(i) + "\tx\n";
  json j = load_json("orders", lz4_frame(csv), {"label: z1", "compression: LZ4_FRAME"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 500);
  BOOST_CHECK_LT(j.at("LoadBytes").get<std::size_t>(), csv.size());  // bytes on the wire
  std::string updated = csv;
  for (char& c : updated)
    if (c == 'x') c = 'y';
  j = load_json("orders", gzip(updated), {"label: z2", "Content-Encoding: GZIP"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  j = load_json("orders", gzip("7\tgz\t7\tlower\n"), {"label: z3", "Content-Encoding: gzip"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  j = load_json("orders", gzip("8\tgz\t8\tfmt\n"), {"label: z4", "format: gzip"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  auto r = rows("orders");
  BOOST_REQUIRE_EQUAL(r.size(), 500u);
  BOOST_CHECK_EQUAL(r[0], "1|n1|1|y");
  BOOST_CHECK_EQUAL(r[6], "7|gz|7|lower");
  BOOST_CHECK_EQUAL(r[7], "8|gz|8|fmt");
  j = load_json("orders", "not lz4", {"label: z5", "compression: LZ4_FRAME"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
}

BOOST_FIXTURE_TEST_CASE(values_are_checked_and_normalised_by_column_type, emulator_fixture) {
  // Non-strict mode: a bad value becomes NULL (filtered if the column is NOT NULL or a key).
  json j = load_json("orders", "+007\tann\tabc\tn\n2\ttoo-long-name-here!\t1\tn\n", {"label: v1", "max_filter_ratio: 1"});
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 1);
  BOOST_CHECK_EQUAL(j.at("NumberFilteredRows"), 1);  // VARCHAR(16) overflow
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"7|ann|NULL|n"}));
  j = load_json("orders", "8\tann\tabc\tn\n", {"label: v2", "strict_mode: true"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
}

BOOST_FIXTURE_TEST_CASE(discard_mode_counts_rows_and_bytes_without_storing, emulator_fixture) {
  emulator.set_discard(true);
  std::string csv;
  for (int i = 0; i < 1000; ++i) csv += std::to_string(i) + "\ta\t1\tb\n";
  json j = load_json("any_table", csv, {"label: b1"});
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 1000);
  j = load_json("any_table", lz4_frame(R"([{"a":1},{"a":{"b":2}},{"a":"}{"}])"),
                {"label: b2", "format: json", "strip_outer_array: true", "compression: LZ4_FRAME"});
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 3);
  BOOST_CHECK_EQUAL(load_json("any_table", csv, {"label: b1"}).at("Status"), "Label Already Exists");
  emulator.set_discard(false);
  BOOST_CHECK(rows("orders").empty());
  auto stats = emulator.stats();
  BOOST_CHECK_EQUAL(stats.rows_loaded, 1003u);
  BOOST_CHECK_GE(stats.bytes_received, csv.size());  // the replay was refused before its body
}

// Rows split across the decoder's chunks; only an unescaped, unenclosed delimiter ends one.
BOOST_FIXTURE_TEST_CASE(discard_mode_counts_escaped_and_enclosed_csv_rows, emulator_fixture) {
  emulator.set_discard(true);
  std::string escaped;
  for (int i = 0; i < 20000; ++i) escaped += std::to_string(i) + "\ta^\tb^\n^^\t1\t^\n\n\n";
  escaped += "last\tx\t1\ty";
  json j = load_json("any_table", escaped, {"label: de1", "escape: ^"});
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 20001);
  j = load_json("any_table", lz4_frame(escaped), {"label: de2", "escape: ^", "compression: LZ4_FRAME"});
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 20001);
  std::string enclosed;
  for (int i = 0; i < 5000; ++i) enclosed += std::to_string(i) + ",\"two\nlines, \"\"q\"\"\",1,z\n";
  j = load_json("any_table", lz4_frame(enclosed),
                {"label: de3", "column_separator: ,", "enclose: \"", "compression: LZ4_FRAME"});
  BOOST_CHECK_EQUAL(j.at("NumberLoadedRows"), 5000);
}

BOOST_FIXTURE_TEST_CASE(admin_endpoints_create_tables_inject_faults_and_dump, emulator_fixture) {
  http_request rq;
  rq.method = "POST";
  rq.expect = false;
  rq.url = emulator.fe_url() + "/_emulator/create_table";
  rq.body = R"({"db":"web","table":"users","model":"primary","key":["uid"],
               "columns":[{"name":"uid","type":"INT"},"email",{"name":"age","type":"SMALLINT","nullable":false}]})";
  BOOST_REQUIRE_EQUAL(send(rq).status, 200);
  BOOST_CHECK_EQUAL(send(rq).status, 400);  // exists already
  rq.url = emulator.fe_url() + "/_emulator/fault";
  rq.body = R"({"kind":"fail","count":1,"message":"tablet writer write failed"})";
  BOOST_REQUIRE_EQUAL(send(rq).status, 200);
  rq.body = R"({"kind":"no_such_fault"})";
  BOOST_CHECK_EQUAL(send(rq).status, 400);

  http_request load_rq;
  load_rq.url = emulator.fe_url() + "/api/web/users/_stream_load";
  load_rq.headers = {"label: u1", "format: json"};
  load_rq.body = R"({"uid":10,"email":"a@b","age":30})";
  json j = send(load_rq).parsed();
  BOOST_CHECK_EQUAL(j.at("Status"), "Fail");
  BOOST_CHECK_EQUAL(j.at("Message"), "tablet writer write failed");
  BOOST_CHECK_EQUAL(send(load_rq).parsed().at("Status"), "Success");

  http_response dump = get(emulator.fe_url() + "/_emulator/dump?db=web&table=users");
  BOOST_REQUIRE_EQUAL(dump.status, 200);
  BOOST_CHECK_EQUAL(dump.parsed(), json::parse(R"({"columns":["uid","email","age"],"rows":[["10","a@b","30"]]})"));
  BOOST_CHECK_EQUAL(get(emulator.fe_url() + "/_emulator/dump?db=web&table=nope").status, 404);
  rq.url = emulator.fe_url() + "/_emulator/clear_faults";
  rq.framed = false;
  rq.timeout_ms = 5000;
  BOOST_CHECK_EQUAL(send(rq).status, 200);
  json stats = get(emulator.fe_url() + "/_emulator/stats").parsed();
  BOOST_CHECK_EQUAL(stats.at("loads"), 2);
  BOOST_CHECK_EQUAL(stats.at("by_status").at("Fail"), 1);
}

BOOST_FIXTURE_TEST_CASE(concurrent_loads_are_all_applied, emulator_fixture) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        int id = t * 100 + i;
        http_response r = load("orders", std::to_string(id) + "\tn\t" + std::to_string(t) + "\tc\n",
                               {"label: cc_" + std::to_string(id)});
        if (r.code != CURLE_OK || r.status != 200 || !json::accept(r.body) || r.parsed().at("Status") != "Success")
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_CHECK_EQUAL(failures.load(), 0);
  BOOST_CHECK_EQUAL(rows("orders").size(), 80u);
  BOOST_CHECK_EQUAL(emulator.stats().loads, 80u);
}

// The exact command StarRocks documents, with the curl CLI.
BOOST_FIXTURE_TEST_CASE(curl_cli_location_trusted_load_works, emulator_fixture) {
  if (!std::filesystem::exists("/usr/bin/curl")) {
    BOOST_TEST_MESSAGE("no /usr/bin/curl: skipped");
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / ("sr_emulator_" + std::to_string(emulator.fe_port()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "data.json") << R"([{"id":42,"name":"cli","qty":1}])";
  }
  std::string command = "curl -sS --location-trusted -u root: -H 'Expect:100-continue' -H 'label:l1' "
                        "-H 'format:json' -H 'strip_outer_array:true' -T " +
                        (dir / "data.json").string() + " " + emulator.fe_url() + "/api/shop/orders/_stream_load";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  BOOST_CHECK_EQUAL(pclose(pipe), 0);
  std::filesystem::remove_all(dir);
  json j = json::parse(output);
  BOOST_CHECK_EQUAL(j.at("Status"), "Success");
  BOOST_CHECK_EQUAL(rows("orders"), (lines{"42|cli|1|NULL"}));
}

BOOST_AUTO_TEST_SUITE_END()
