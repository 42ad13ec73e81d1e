// What a failed exchange with StarRocks means: a certificate curl refuses is fatal with its
// reason and what to do (issue 19.7; it was retried as a dropped connection), while a refused
// or dropped connection is still sent again.
#include <boost/test/unit_test.hpp>

#include <curl/curl.h>

#include "actors/stream_load_client.hpp"

using namespace pg2sr::actors;
namespace sl = pg2sr::codecs::stream_load;

BOOST_AUTO_TEST_SUITE(stream_load_client)

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
