// Stream Load over libcurl.
#include "actors/sinks/starrocks/stream_load_client.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace pg2sr::actors {

namespace {

// The body being sent and how far; rewound when curl follows the 307 to the BE.
struct upload {
  std::string_view body;
  std::size_t offset = 0;
};

std::size_t read_body(char* out, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<upload*>(user);
  std::size_t n = std::min(size * count, up->body.size() - up->offset);
  std::memcpy(out, up->body.data() + up->offset, n);
  up->offset += n;
  return n;
}

int seek_body(void* user, curl_off_t offset, int origin) {
  auto* up = static_cast<upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > up->body.size()) return CURL_SEEKFUNC_FAIL;
  up->offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// An answer is a few hundred bytes of JSON; what a server sends beyond 1 MiB is read and
// dropped, so that an endless or hostile answer cannot fill the memory.
constexpr std::size_t max_answer_bytes = 1 << 20;

std::size_t write_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto* answer = static_cast<std::string*>(user);
  std::size_t n = size * count;
  if (answer->size() < max_answer_bytes) answer->append(data, std::min(n, max_answer_bytes - answer->size()));
  return n;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

stream_load_settings stream_load_settings_of(const config::starrocks_sink& sink) {
  return {sink.fe_url, sink.user, sink.password.reveal(),
          std::chrono::duration_cast<std::chrono::seconds>(sink.load_timeout), sink.ca_file,
          sink.allow_https_to_http_redirect};
}

codecs::stream_load::response transport_failure(int curl_code, std::string_view curl_message) {
  codecs::stream_load::response r;
  r.transport_error = curl_message.empty() ? curl_easy_strerror(static_cast<CURLcode>(curl_code)) : std::string(curl_message);
  switch (curl_code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      r.certificate_failure = true;
      r.transport_error += "; the StarRocks certificate is not trusted: set [sink] ca_file to the CA that signed it, "
                           "or fix the certificate (its name must match the host in fe_url and in the BE redirect)";
      break;
    default:
      break;
  }
  return r;
}

struct stream_load_client::impl {
  stream_load_settings settings;
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  // Options every request shares: auth re-sent on the redirect, timeouts, keep-alive.
  void common(const std::string& url, std::string& answer) {
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 1L);  // the BE is another host:port
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
    // The credentials follow the redirect: only to HTTP(S), and never from HTTPS down to
    // clear text unless the user allows it (a redirect to ftp:// received the user and
    // password).
    bool https_only = settings.fe_url.starts_with("https:") && !settings.allow_https_to_http_redirect;
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, https_only ? "https" : "http,https");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings.load_timeout.count() + 60));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    if (!settings.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_answer);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    error[0] = 0;
  }
};

stream_load_client::stream_load_client(stream_load_settings settings) : impl_(std::make_unique<impl>()) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->settings = std::move(settings);
  while (!impl_->settings.fe_url.empty() && impl_->settings.fe_url.back() == '/') impl_->settings.fe_url.pop_back();
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw std::runtime_error("libcurl: cannot create a handle");
}

stream_load_client::~stream_load_client() {
  if (impl_ && impl_->curl) curl_easy_cleanup(impl_->curl);
}

codecs::stream_load::response stream_load_client::send(const std::string& url, bool put,
                                                       const http_headers& headers, std::string_view body) {
  auto& s = impl_->settings;
  std::string answer;
  impl_->common(url, answer);
  CURL* curl = impl_->curl;
  upload up{body, 0};
  if (put) curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  else curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_body);
  curl_easy_setopt(curl, CURLOPT_SEEKDATA, &up);
  if (put) curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
  else curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  // The FE answers the Expect with its 307 before any body byte is sent; the BE may take a
  // while to begin the transaction before its 100.
  curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 60'000L);
  // A CR or LF in a value (a table or column name) would end the header and start another.
  for (const auto& [name, value] : headers)
    for (std::string_view text : {std::string_view(name), std::string_view(value)})
      if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }))
        throw std::invalid_argument("Stream Load header " + name + " would carry a control character; refused");
  curl_slist* list = curl_slist_append(nullptr, "Expect: 100-continue");
  list = curl_slist_append(list, ("timeout: " + std::to_string(s.load_timeout.count())).c_str());
  for (const auto& [name, value] : headers) list = curl_slist_append(list, (name + ": " + value).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);

  codecs::stream_load::response r;
  if (rc != CURLE_OK) return transport_failure(rc, impl_->error);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.http_status);
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (j.is_object()) {
    r.status = string_field(j, "Status");
    r.existing_job_status = string_field(j, "ExistingJobStatus");
    r.message = string_field(j, "Message");
    r.error_url = string_field(j, "ErrorURL");
  } else {
    r.message = (answer.size() >= max_answer_bytes ? "more than 1 MiB, not JSON: " : "") +
                codecs::stream_load::clipped(answer, 300);
  }
  return r;
}

namespace {

// The HTTP SQL API's answer, one JSON object per line, parsed as it arrives; any other
// answer than a 200 is kept as it is (its start) for the message.
struct query_answer {
  CURL* curl = nullptr;
  const std::function<void(const nlohmann::json&)>* row = nullptr;
  std::string partial;   // a line not ended yet
  std::string failure;   // {"status": "FAILED", "msg": ...}, or what went wrong reading a line
  std::string other;     // the start of an answer that is not a 200
  bool statistics = false;
  void line(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) throw std::runtime_error("not JSON: " + codecs::stream_load::clipped(std::string(text), 200));
    if (j.contains("data")) (*row)(j["data"]);
    else if (j.contains("statistics")) statistics = true;
    else if (j.value("status", "") == "FAILED") failure = j.value("msg", "FAILED");
  }
};

std::size_t write_query_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto* a = static_cast<query_answer*>(user);
  std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    if (a->other.size() < 4096) a->other.append(data, std::min(n, 4096 - a->other.size()));
    return n;
  }
  try {
    a->partial.append(data, n);
    std::size_t start = 0;
    for (auto nl = a->partial.find('\n'); nl != std::string::npos; nl = a->partial.find('\n', start)) {
      if (nl > start) a->line(std::string_view(a->partial).substr(start, nl - start));
      start = nl + 1;
    }
    a->partial.erase(0, start);
    if (a->partial.size() > (64u << 20)) throw std::runtime_error("a line of more than 64 MiB");
  } catch (const std::exception& e) {
    a->failure = e.what();
    return 0;  // curl stops with a write error
  }
  return n;
}

}  // namespace

void stream_load_client::query(const std::string& db, const std::string& sql,
                               const std::function<void(const nlohmann::json&)>& row) {
  std::string unused;
  impl_->common(impl_->settings.fe_url + "/api/v1/catalogs/default_catalog/databases/" + url_encode(db) + "/sql",
                unused);
  CURL* curl = impl_->curl;
  query_answer answer;
  answer.curl = curl;
  answer.row = &row;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_query_answer);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  // A large table's keys take as long as they take: no limit on the whole, only on silence
  // (the FE streams as it reads). StarRocks' own query_timeout (300 s) is raised alike.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 0L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 300L);
  std::string body = nlohmann::json{{"query", sql}, {"sessionVariables", {{"query_timeout", 86400}}}}.dump();
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  std::string what = "the FE's SQL API (" + sql.substr(0, 200) + "): ";
  if (!answer.failure.empty()) throw std::runtime_error(what + answer.failure);  // a FAILED line, a bad line
  if (rc != CURLE_OK) throw std::runtime_error(what + transport_failure(rc, impl_->error).message);
  if (status != 200) {
    auto j = nlohmann::json::parse(answer.other, nullptr, false);
    std::string said = j.is_object() && j.contains("msg") ? j.value("msg", "") : codecs::stream_load::clipped(answer.other, 300);
    throw std::runtime_error(what + "HTTP " + std::to_string(status) +
                             (status == 404 ? " (StarRocks before 3.2 has no HTTP SQL API)" : "") +
                             (said.empty() ? "" : ": " + said));
  }
  if (!answer.partial.empty()) {  // a last line without its newline
    try {
      answer.line(answer.partial);
    } catch (const std::exception& e) {
      throw std::runtime_error(what + e.what());
    }
    if (!answer.failure.empty()) throw std::runtime_error(what + answer.failure);
  }
  if (!answer.statistics) throw std::runtime_error(what + "the answer ended before its statistics (cut off)");
}

codecs::stream_load::response stream_load_client::load(const std::string& db, const std::string& table,
                                                       const std::string& label, const http_headers& headers,
                                                       std::string_view body) {
  http_headers all = headers;
  all.emplace_back("label", label);
  return send(impl_->settings.fe_url + "/api/" + url_encode(db) + "/" + url_encode(table) + "/_stream_load", true, all,
              body);
}

codecs::stream_load::response stream_load_client::transaction(const std::string& op, const std::string& db,
                                                              const std::string& table, const std::string& label,
                                                              const http_headers& headers, std::string_view body) {
  http_headers all = headers;
  all.emplace_back("label", label);
  all.emplace_back("db", db);
  all.emplace_back("table", table);
  return send(impl_->settings.fe_url + "/api/transaction/" + op, op == "load", all, body);
}

std::string stream_load_client::load_state(const std::string& db, const std::string& label, std::string& error) {
  auto& s = impl_->settings;
  std::string answer;
  impl_->common(s.fe_url + "/api/" + url_encode(db) + "/get_load_state?label=" + url_encode(label), answer);
  CURLcode rc = curl_easy_perform(impl_->curl);
  if (rc != CURLE_OK) {
    auto failure = transport_failure(rc, impl_->error);
    // Asking again cannot fix a certificate: stop whoever waits for this label.
    if (failure.certificate_failure) throw std::runtime_error("get_load_state of label " + label + ": " + failure.transport_error);
    error = failure.transport_error;
    return {};
  }
  long http = 0;
  curl_easy_getinfo(impl_->curl, CURLINFO_RESPONSE_CODE, &http);
  auto j = nlohmann::json::parse(answer, nullptr, false);
  // The FE's field names are lowercase here (unlike the load answer); accept either.
  std::string state = j.is_object() ? string_field(j, "state") : "";
  if (state.empty() && j.is_object()) state = string_field(j, "State");
  if (http != 200 || state.empty()) error = "get_load_state: HTTP " + std::to_string(http) + " " + answer.substr(0, 300);
  return state;
}

}  // namespace pg2sr::actors
