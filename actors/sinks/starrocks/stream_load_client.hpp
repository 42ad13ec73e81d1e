// A blocking Stream Load client over libcurl: PUT to the FE, the 307 to the BE followed with
// the credentials sent again, Expect: 100-continue, the body read from memory (no copy, and
// rewound for the redirect), one connection kept per client. Used from a detached loader.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/starrocks/stream_load.hpp"
#include "config/config.hpp"

namespace pg2sr::actors {

struct stream_load_settings {
  std::string fe_url;  ///< http://host:8030
  std::string user;
  std::string password;
  std::chrono::seconds load_timeout{600};  ///< also sent as the `timeout` header
  std::string ca_file;  ///< PEM CAs for https (CURLOPT_CAINFO); empty: the system's
  bool allow_https_to_http_redirect = false;  ///< else an https FE's redirect stays on https
};

/// The client settings of a [sink] kind = "starrocks".
stream_load_settings stream_load_settings_of(const config::starrocks_sink& sink);

using http_headers = std::vector<std::pair<std::string, std::string>>;

class stream_load_client {
 public:
  explicit stream_load_client(stream_load_settings settings);
  ~stream_load_client();
  stream_load_client(const stream_load_client&) = delete;
  stream_load_client& operator=(const stream_load_client&) = delete;

  /// PUT /api/<db>/<table>/_stream_load with `label`, `headers` and `body`.
  codecs::stream_load::response load(const std::string& db, const std::string& table, const std::string& label,
                                     const http_headers& headers, std::string_view body);
  /// GET /api/<db>/get_load_state?label=...: the `state`, or "" with `error` set.
  std::string load_state(const std::string& db, const std::string& label, std::string& error);
  /// The transaction interface: `op` is begin, load (PUT with `body` and the format
  /// headers), prepare, commit or rollback; the answer's Status is OK on success.
  codecs::stream_load::response transaction(const std::string& op, const std::string& db, const std::string& table,
                                            const std::string& label, const http_headers& headers = {},
                                            std::string_view body = {});

  /// A SELECT through the FE's HTTP SQL API (StarRocks 3.2+, POST
  /// /api/v1/catalogs/default_catalog/databases/<db>/sql): `row` gets each row's values (a
  /// JSON array) as the answer streams in, never the whole answer at once. Throws
  /// std::runtime_error with the FE's message, or when the answer ends before its
  /// statistics (the FE cut it off).
  void query(const std::string& db, const std::string& sql, const std::function<void(const nlohmann::json&)>& row);

 private:
  codecs::stream_load::response send(const std::string& url, bool put, const http_headers& headers,
                                     std::string_view body);
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The answer to an exchange curl could not complete (`curl_code`, its error buffer
/// `curl_message`, empty if none): a certificate curl refuses is no dropped connection, no
/// retry can fix it, so it is marked fatal with curl's reason and what to do.
codecs::stream_load::response transport_failure(int curl_code, std::string_view curl_message);

/// `text` with every byte outside [A-Za-z0-9-_.~] percent-encoded (paths and queries).
std::string url_encode(std::string_view text);

}  // namespace pg2sr::actors
