// What a failed exchange with StarRocks means: a certificate curl refuses is fatal with its
// reason and what to do (issue 19.7; it was retried as a dropped connection), while a refused
// or dropped connection is still sent again.
#include <boost/test/unit_test.hpp>

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "actors/stream_load_client.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process.hpp"

using namespace pg2sr::actors;
namespace sl = pg2sr::codecs::stream_load;

BOOST_AUTO_TEST_SUITE(stream_load_client)

// Against a real TLS server (openssl s_server with a self-signed certificate for
// 127.0.0.1): refused as untrusted, fatal, until ca_file names the certificate.
BOOST_AUTO_TEST_CASE(an_untrusted_https_server_is_a_fatal_certificate_failure_until_ca_file_trusts_it) {
  namespace fs = std::filesystem;
  const std::string openssl = "/usr/bin/openssl";
  if (!fs::exists(openssl)) {
    BOOST_TEST_MESSAGE("no " << openssl << ": skipped");
    return;
  }
  auto dir = fs::temp_directory_path() / ("pg2sr_tls_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  pg2sr::test::run_command({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"});
  BOOST_TEST_REQUIRE(fs::exists(cert));
  int port = pg2sr::test::closed_port();
  pg2sr::test::child_process server({openssl, "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                                     cert, "-key", key, "-www", "-quiet"},
                                    (dir / "server.log").string());
  for (int i = 0; i < 500 && !pg2sr::test::accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_TEST_REQUIRE(pg2sr::test::accepts(port), pg2sr::test::read_text((dir / "server.log").string()));
  std::string url = "https://127.0.0.1:" + std::to_string(port);

  pg2sr::actors::stream_load_client untrusting({url, "u", "p", std::chrono::seconds(5), ""});
  auto refused = untrusting.load("db", "t", "label-1", {}, "{}");
  BOOST_TEST(refused.certificate_failure, refused.transport_error);
  BOOST_TEST((sl::classify(refused) == sl::outcome::fatal));
  BOOST_TEST(refused.transport_error.find("ca_file") != std::string::npos, refused.transport_error);
  std::string error;
  BOOST_CHECK_THROW(untrusting.load_state("db", "label-1", error), std::runtime_error);

  pg2sr::actors::stream_load_client trusting({url, "u", "p", std::chrono::seconds(5), cert});
  // A GET (s_server answers it with a page, not JSON): the handshake passed. (A PUT would
  // wait for a 100 Continue this server never sends.)
  error.clear();
  BOOST_CHECK_NO_THROW(trusting.load_state("db", "label-1", error));
  BOOST_TEST(error.find("get_load_state: HTTP 200") == 0u, error);
  server.kill(SIGTERM);
  server.wait();
  fs::remove_all(dir);
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

BOOST_AUTO_TEST_SUITE_END()
