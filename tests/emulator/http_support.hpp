// cpp-httplib helpers of the StarRocks emulator: Basic auth, answering and closing the
// connection (the FE closes after a 307), draining a body, and dropping a connection on
// purpose (fault injection). Only the emulator's .cpp files include this (it pulls httplib).
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

namespace pg2sr::test::starrocks {

struct basic_credentials {
  std::string user;
  std::string password;
};

/// The user and password of an `Authorization: Basic` header, or nullopt.
std::optional<basic_credentials> basic_auth(const httplib::Request& req);

/// True when the request carries `Expect: 100-continue` (case-insensitive, as Netty checks).
bool expects_continue(const httplib::Request& req);

/// Sets the response and makes cpp-httplib close the connection once it is written: the
/// body goes through a content provider that reports failure after writing everything.
void respond_and_close(httplib::Response& res, int status, std::string body,
                       const char* content_type = "application/json");

/// True when the request frames a body (Content-Length or chunked). HTTP/1.1 requests with
/// neither have none, but cpp-httplib 0.11 would read them until the connection closes.
bool has_body(const httplib::Request& req);

/// Reads and discards the body, if any; returns the bytes read.
std::size_t drain(const httplib::Request& req, const httplib::ContentReader& reader);

/// Reads the whole body, if any.
std::string read_text(const httplib::Request& req, const httplib::ContentReader& reader);

/// Shuts down the socket the request arrived on (found by its address pair) so that the
/// client sees the connection drop without a response. False when it was not found.
bool drop_connection(const httplib::Request& req);

/// A random label like StarRocks generates when the request has none (a UUID).
std::string generate_uuid();

}  // namespace pg2sr::test::starrocks
