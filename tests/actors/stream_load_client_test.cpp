// What a failed exchange with StarRocks means: a certificate curl refuses is fatal with its
// reason and what to do (issue 19.7; it was retried as a dropped connection), while a refused
// or dropped connection is still sent again.
#include <boost/test/unit_test.hpp>

#include <curl/curl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "actors/sinks/starrocks/stream_load_client.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process.hpp"

using namespace pg2sr::actors;
namespace sl = pg2sr::codecs::stream_load;

BOOST_AUTO_TEST_SUITE(stream_load_client)

namespace {

namespace fs = std::filesystem;
const std::string openssl = "/usr/bin/openssl";

// openssl s_server on a loopback port with a self-signed certificate for 127.0.0.1, run in
// its own folder (`mode`: -www answers any GET with a status page; -HTTP answers a GET of
// a path with the file of that name under www/, a whole HTTP answer).
struct tls_server {
  fs::path dir = fs::temp_directory_path() / ("pg2sr_tls_test_" + std::to_string(::getpid()));
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  int port = pg2sr::test::closed_port();
  std::unique_ptr<pg2sr::test::child_process> server;

  explicit tls_server(const std::string& mode) {
    fs::remove_all(dir);
    fs::create_directories(dir / "www");
    pg2sr::test::run_command({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                              "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                              "-addext", "subjectAltName=IP:127.0.0.1"});
    if (!fs::exists(cert)) throw std::runtime_error("openssl req made no certificate");
    std::string command = "cd " + (dir / "www").string() + " && exec " + openssl + " s_server -accept 127.0.0.1:" +
                          std::to_string(port) + " -cert " + cert + " -key " + key + " " + mode + " -quiet";
    server = std::make_unique<pg2sr::test::child_process>(std::vector<std::string>{"/bin/sh", "-c", command},
                                                          (dir / "server.log").string());
    for (int i = 0; i < 500 && !pg2sr::test::accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!pg2sr::test::accepts(port))
      throw std::runtime_error("s_server did not start: " + pg2sr::test::read_text((dir / "server.log").string()));
  }
  ~tls_server() {
    server->kill(SIGTERM);
    server->wait();
    fs::remove_all(dir);
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
  /// The answer to a GET of `path` (-HTTP mode).
  void answer(const std::string& path, const std::string& http_answer) const {
    fs::create_directories((dir / "www" / path).parent_path());
    std::ofstream(dir / "www" / path, std::ios::binary) << http_answer;
  }
};

}  // namespace

// Against a real TLS server: refused as untrusted, fatal, until ca_file names the certificate.
BOOST_AUTO_TEST_CASE(an_untrusted_https_server_is_a_fatal_certificate_failure_until_ca_file_trusts_it) {
  if (!fs::exists(openssl)) {
    BOOST_TEST_MESSAGE("no " << openssl << ": skipped");
    return;
  }
  tls_server tls("-www");
  pg2sr::actors::stream_load_client untrusting({tls.url(), "u", "p", std::chrono::seconds(5), ""});
  auto refused = untrusting.load("db", "t", "label-1", {}, "{}");
  BOOST_TEST(refused.certificate_failure, refused.transport_error);
  BOOST_TEST((sl::classify(refused) == sl::outcome::fatal));
  BOOST_TEST(refused.transport_error.find("ca_file") != std::string::npos, refused.transport_error);
  std::string error;
  BOOST_CHECK_THROW(untrusting.load_state("db", "label-1", error), std::runtime_error);

  pg2sr::actors::stream_load_client trusting({tls.url(), "u", "p", std::chrono::seconds(5), tls.cert});
  // A GET (s_server answers it with a page, not JSON): the handshake passed. (A PUT would
  // wait for a 100 Continue this server never sends.)
  error.clear();
  BOOST_CHECK_NO_THROW(trusting.load_state("db", "label-1", error));
  BOOST_TEST(error.find("get_load_state: HTTP 200") == 0u, error);
}

// Issue 19.6: the credentials follow the FE's redirect, so an https FE redirecting to http
// would hand them over in clear text. Refused, unless allow_https_to_http_redirect.
BOOST_AUTO_TEST_CASE(an_https_fe_redirecting_to_http_is_refused_unless_allowed) {
  if (!fs::exists(openssl)) {
    BOOST_TEST_MESSAGE("no " << openssl << ": skipped");
    return;
  }
  tls_server tls("-HTTP");
  pg2sr::test::listener be;  // the clear-text "BE": counts connections, answers 200
  std::atomic<int> be_connections{0};
  std::atomic<bool> done{false};
  std::thread be_thread([&] {
    while (!done) {
      pollfd p{be.fd, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      int c = be.accept_request();
      ++be_connections;
      std::string body = R"({"state":"x"})";
      std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n" + body;
      (void)!::write(c, ok.data(), ok.size());
      ::close(c);
    }
  });
  tls.answer("api/db/get_load_state?label=l1", "HTTP/1.0 307 Temporary Redirect\r\nLocation: http://127.0.0.1:" +
                                                   std::to_string(be.port()) + "/api/db/get_load_state?label=l1\r\n"
                                                   "Content-Length: 0\r\n\r\n");
  std::string error;
  pg2sr::actors::stream_load_client refusing({tls.url(), "u", "p", std::chrono::seconds(5), tls.cert});
  try {
    refusing.load_state("db", "l1", error);
  } catch (const std::exception& e) {
    error = e.what();
  }
  BOOST_TEST(be_connections.load() == 0, "the https -> http redirect was followed");
  BOOST_TEST(!error.empty());

  pg2sr::actors::stream_load_client allowing({tls.url(), "u", "p", std::chrono::seconds(5), tls.cert, true});
  error.clear();
  std::string state;
  try {
    state = allowing.load_state("db", "l1", error);
  } catch (const std::exception& e) {
    error = e.what();
  }
  done = true;
  be_thread.join();
  BOOST_TEST(be_connections.load() == 1, "the allowed redirect was not followed: " << error);
  BOOST_TEST(state == "x", error);
}

BOOST_AUTO_TEST_CASE(certificate_failures_are_fatal_with_the_reason_and_a_hint) {
  for (CURLcode code : {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
                        CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH}) {
    sl::response r = transport_failure(code, "SSL certificate problem: unable to get local issuer certificate");
    BOOST_TEST((sl::classify(r) == sl::outcome::fatal), curl_easy_strerror(code));
    BOOST_TEST(r.transport_error.find("unable to get local issuer certificate") != std::string::npos, r.transport_error);
    BOOST_TEST(r.transport_error.find("ca_file") != std::string::npos, r.transport_error);
  }
}

BOOST_AUTO_TEST_CASE(connection_failures_stay_retryable) {
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
                        CURLE_GOT_NOTHING, CURLE_COULDNT_RESOLVE_HOST}) {
    sl::response r = transport_failure(code, "");
    BOOST_TEST((sl::classify(r) == sl::outcome::retry), curl_easy_strerror(code));
    BOOST_TEST(r.transport_error == curl_easy_strerror(code));
  }
}

namespace {

// A one-shot HTTP server on a loopback socket: reads one request, writes `answer` (status
// line, headers and body as given) and closes, as an FE that fails mid-answer does.
struct one_answer_server {
  int fd = -1;
  int port = 0;
  std::thread thread;
  explicit one_answer_server(std::string answer) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::listen(fd, 1);
    thread = std::thread([this, answer = std::move(answer)] {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos || request.find("\"query\"") == std::string::npos) {
        auto n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      (void)!::write(c, answer.data(), answer.size());
      ::close(c);
    });
  }
  ~one_answer_server() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
  }
};

}  // namespace

// The FE's HTTP SQL API streams its answer; one that ends before its statistics line was
// cut off (the FE closes the connection on an error after the first rows): refused, so a
// resync never takes part of a table's keys for all of them.
BOOST_AUTO_TEST_CASE(an_sql_answer_without_its_statistics_is_refused_as_cut_off) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n";
  std::string rows = "{\"connectionId\":1}\n{\"meta\":[{\"name\":\"id\",\"type\":\"int\"}]}\n{\"data\":[1]}\n{\"data\":[2]}\n";
  for (bool complete : {true, false}) {
    one_answer_server server(head + rows + (complete ? "{\"statistics\":{\"returnRows\":2}}\n" : ""));
    stream_load_settings settings;
    settings.fe_url = "http://127.0.0.1:" + std::to_string(server.port);
    pg2sr::actors::stream_load_client client(settings);
    std::vector<std::string> got;
    auto run = [&] { client.query("db", "SELECT id FROM t", [&](const nlohmann::json& r) { got.push_back(r.dump()); }); };
    if (complete) {
      run();
      BOOST_TEST(got == (std::vector<std::string>{"[1]", "[2]"}), boost::test_tools::per_element());
    } else {
      BOOST_CHECK_EXCEPTION(run(), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).find("cut off") != std::string::npos;
      });
    }
  }
  one_answer_server failed(
      "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n{\"status\":\"FAILED\",\"msg\":\"Unknown table 'db.t'\"}");
  stream_load_settings settings;
  settings.fe_url = "http://127.0.0.1:" + std::to_string(failed.port);
  pg2sr::actors::stream_load_client client(settings);
  BOOST_CHECK_EXCEPTION(client.query("db", "SELECT id FROM t", [](const nlohmann::json&) {}), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()).find("Unknown table") != std::string::npos; });
}

BOOST_AUTO_TEST_SUITE_END()
