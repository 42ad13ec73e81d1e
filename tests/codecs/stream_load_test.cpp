// Stream Load answers -> what the loader does (PROTOCOLS.md's table), and labels: valid for
// StarRocks' ^[-\w]{1,128}$ and equal exactly when the load is the same.
#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>

#include "codecs/starrocks/stream_load.hpp"

using namespace pg2sr::codecs::stream_load;

namespace {

response answer(std::string status, std::string message = "", std::string existing = "") {
  response r;
  r.http_status = 200;
  r.status = std::move(status);
  r.message = std::move(message);
  r.existing_job_status = std::move(existing);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_load)

BOOST_AUTO_TEST_CASE(statuses_follow_the_protocol_table) {
  BOOST_TEST((classify(answer("Success")) == outcome::loaded));
  BOOST_TEST((classify(answer("Publish Timeout")) == outcome::loaded));
  BOOST_TEST((classify(answer("Label Already Exists", "", "FINISHED")) == outcome::loaded));
  BOOST_TEST((classify(answer("Label Already Exists", "", "RUNNING")) == outcome::poll));
  BOOST_TEST((classify(answer("Fail", "[E1008]Reached timeout=... tablet writer write failed")) == outcome::retry));
  for (const char* fatal : {"too many filtered rows", "primary key size exceed the limit",
                            "Only primary key table support partial update", "Access denied for user root"})
    BOOST_TEST((classify(answer("Fail", std::string("x: ") + fatal)) == outcome::fatal), fatal);
  response unauthorized;
  unauthorized.http_status = 401;
  BOOST_TEST((classify(unauthorized) == outcome::fatal));
  response server_error;
  server_error.http_status = 500;
  BOOST_TEST((classify(server_error) == outcome::retry));
  response dropped;  // no HTTP answer at all
  dropped.transport_error = "Recv failure: Connection reset by peer";
  BOOST_TEST((classify(dropped) == outcome::retry));
  BOOST_TEST((classify(answer("Something New")) == outcome::fatal));
}

BOOST_AUTO_TEST_CASE(load_states_decide_a_running_label) {
  BOOST_TEST((classify_load_state("VISIBLE") == outcome::loaded));
  BOOST_TEST((classify_load_state("COMMITTED") == outcome::loaded));
  BOOST_TEST((classify_load_state("PREPARE") == outcome::poll));
  BOOST_TEST((classify_load_state("PREPARED") == outcome::poll));
  BOOST_TEST((classify_load_state("ABORTED") == outcome::retry));
  BOOST_TEST((classify_load_state("UNKNOWN") == outcome::fatal));
}

BOOST_AUTO_TEST_CASE(describe_carries_the_message_and_error_url) {
  auto r = answer("Fail", "too many filtered rows");
  r.error_url = "http://be:8040/api/_load_error_log?file=x";
  auto text = describe(r);
  BOOST_TEST(text.find("too many filtered rows") != std::string::npos);
  BOOST_TEST(text.find(r.error_url) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(labels_are_valid_and_deterministic) {
  const std::regex valid(R"(^[-\w]{1,128}$)");
  std::string long_name(300, 'x');
  for (auto [pipeline, table] : {std::pair<std::string, std::string>{"shop", "orders"},
                                 {"my pipeline/ü", "Ordres ëtrangers.v2"}, {long_name, long_name}}) {
    load_identity widest{pipeline, 0xFFFFFFFFu, long_name, table, long_name, true, 0xFFFFFFFFFFFFFFFFull,
                         0xFFFFFFFFFFFFFFFFull, 999};
    auto l = label(widest, 0xFFFFFFFFFFFFFFFFull);
    BOOST_TEST(std::regex_match(l, valid), l);
  }
  auto body = std::string(1000, 'a');
  load_identity orders{"shop", 7, "sales", "orders", "id,v,__op", false, 0x16B3748, 0x16B37A0, 0};
  auto a = label(orders, content_hash(body));
  BOOST_TEST(a == label(orders, content_hash(body)));  // a retry within the run
  auto next = orders;
  next.part = 1;
  BOOST_TEST(a != label(next, content_hash(body)));
  next = orders;
  next.last_lsn += 1;
  BOOST_TEST(a != label(next, content_hash(body)));
  auto other = body;
  other[999] = 'b';  // the last byte, past every whole 8-byte word
  BOOST_TEST(content_hash(body) != content_hash(other));
  other = body;
  other[3] = 'b';
  BOOST_TEST(content_hash(body) != content_hash(other));
}

// Issue 19.1: a label shared by two targets made the second load "Label Already Exists"
// (FINISHED: counted as loaded) and left that table empty.
BOOST_AUTO_TEST_CASE(labels_of_different_targets_or_headers_differ) {
  auto hash = content_hash("{\"id\": 1}");
  load_identity snapshot{"shop", 1, "sales", "customer_subscription_events_archive_2023", "id,v,__op", false, 0, 0, 0};
  auto base = label(snapshot, hash);
  auto differs = [&](auto change) {
    auto other = snapshot;
    change(other);
    return label(other, hash) != base;
  };
  BOOST_TEST(differs([](load_identity& l) { l.table = "customer_subscription_events_archive_2024"; }));
  BOOST_TEST(differs([](load_identity& l) { l.database = "sales_eu"; }));
  BOOST_TEST(differs([](load_identity& l) { l.columns = "id,v"; }));
  BOOST_TEST(differs([](load_identity& l) { l.partial_update = true; }));
  BOOST_TEST(differs([](load_identity& l) { l.pipeline = "shop2"; }));
  BOOST_TEST(differs([](load_identity& l) { l.run = 2; }));  // a replay after a restart
  // Names that the readable part of the label maps alike.
  std::vector<std::string> names = {"order-items", "order_items", "order items", "order.items"};
  std::set<std::string> labels;
  for (const auto& name : names) {
    auto l = snapshot;
    l.table = name;
    labels.insert(label(l, hash));
  }
  BOOST_TEST(labels.size() == names.size());
  // Database and table split at another place.
  auto ab = snapshot, a_b = snapshot;
  ab.database = "a";
  ab.table = "bc";
  a_b.database = "ab";
  a_b.table = "c";
  BOOST_TEST(label(ab, hash) != label(a_b, hash));
}

BOOST_AUTO_TEST_CASE(describe_clips_a_long_message_and_error_url) {
  auto r = answer("Fail", std::string(100000, 'x'));
  r.error_url = std::string(5000, 'u');
  auto text = describe(r);
  BOOST_TEST(text.size() < 2 * max_message_bytes + 100);
  BOOST_TEST(text.find("... (100000 bytes)") != std::string::npos);
  BOOST_TEST(clipped("\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9... (4 bytes)");  // not inside a character
}

BOOST_AUTO_TEST_SUITE_END()
