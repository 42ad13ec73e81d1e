// cpp-httplib helpers of the StarRocks emulator (see http_support.hpp).
#include "tests/emulator/http_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <random>

namespace pg2sr::test::starrocks {

namespace {

std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int buffer = 0, bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

// The port and printable address of a socket address.
bool address_of(const sockaddr_storage& ss, std::string& addr, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  } else {
    return false;
  }
  addr = text;
  return true;
}

}  // namespace

std::optional<basic_credentials> basic_auth(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() < 6 || !(header.compare(0, 6, "Basic ") == 0 || header.compare(0, 6, "basic ") == 0))
    return std::nullopt;
  std::string decoded = base64_decode(std::string_view(header).substr(6));
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return basic_credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

bool expects_continue(const httplib::Request& req) {
  std::string v = req.get_header_value("Expect");
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "100-continue";
}

void respond_and_close(httplib::Response& res, int status, std::string body, const char* content_type) {
  res.status = status;
  res.set_header("Connection", "close");
  if (body.empty()) res.set_header("Content-Length", "0");
  auto shared = std::make_shared<std::string>(std::move(body));
  res.set_content_provider(shared->size(), content_type,
                           [shared](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             sink.write(shared->data() + offset, length);
                             return false;  // everything is written: failing here closes the connection
                           });
}

bool has_body(const httplib::Request& req) {
  if (req.has_header("Content-Length")) return true;
  std::string te = req.get_header_value("Transfer-Encoding");
  for (char& c : te) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return te.find("chunked") != std::string::npos;
}

std::size_t drain(const httplib::Request& req, const httplib::ContentReader& reader) {
  std::size_t bytes = 0;
  if (!has_body(req)) return bytes;
  reader([&](const char*, std::size_t n) {
    bytes += n;
    return true;
  });
  return bytes;
}

std::string read_text(const httplib::Request& req, const httplib::ContentReader& reader) {
  std::string text;
  if (!has_body(req)) return text;
  reader([&](const char* data, std::size_t n) {
    text.append(data, n);
    return true;
  });
  return text;
}

// cpp-httplib 0.11 does not hand handlers their socket: find it among our descriptors by
// the connection's address pair.
bool drop_connection(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return false;
  bool dropped = false;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    std::string local_addr, peer_addr;
    int local_port = 0, peer_port = 0;
    if (!address_of(local, local_addr, local_port) || !address_of(peer, peer_addr, peer_port)) continue;
    if (local_port == req.local_port && peer_port == req.remote_port && peer_addr == req.remote_addr) {
      ::shutdown(static_cast<int>(fd), SHUT_RDWR);
      dropped = true;
      break;
    }
  }
  closedir(dir);
  return dropped;
}

std::string generate_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    out.push_back(hex[rng() & 15]);
  }
  return out;
}

}  // namespace pg2sr::test::starrocks
