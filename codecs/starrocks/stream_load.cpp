// Stream Load statuses and labels.
#include "codecs/starrocks/stream_load.hpp"

#include <array>
#include <cstring>

namespace pg2sr::codecs::stream_load {

namespace {

// Failures that come back identical on every retry (PROTOCOLS.md), plus the filtering of
// rows: with max_filter_ratio 0 a bad row fails the load each time.
constexpr std::array<std::string_view, 6> non_retryable = {
    "too many filtered rows", "primary key size exceed the limit", "Only primary key table support partial update",
    "Access denied", "unknown table", "Unknown database"};

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

outcome classify(const response& r) {
  if (r.certificate_failure) return outcome::fatal;
  if (r.http_status == 0) return outcome::retry;  // dropped or refused: the label was freed or stays RUNNING
  if (r.http_status == 401 || r.http_status == 403) return outcome::fatal;
  if (r.http_status != 200) return r.http_status >= 500 || r.http_status == 408 || r.http_status == 429 ? outcome::retry : outcome::fatal;
  if (r.status == "Success" || r.status == "Publish Timeout") return outcome::loaded;
  if (r.status == "Label Already Exists") {
    if (r.existing_job_status == "FINISHED") return outcome::loaded;
    return outcome::poll;  // RUNNING (or not said): the label's transaction decides
  }
  if (r.status == "Fail") {
    for (auto part : non_retryable)
      if (contains(r.message, part)) return outcome::fatal;
    return outcome::retry;
  }
  return outcome::fatal;  // a status this client does not know: do not guess
}

outcome classify_load_state(std::string_view state) {
  if (state == "VISIBLE" || state == "COMMITTED") return outcome::loaded;
  if (state == "PREPARE" || state == "PREPARED" || state == "RUNNING") return outcome::poll;
  if (state == "ABORTED") return outcome::retry;  // the label is free again
  return outcome::fatal;                         // UNKNOWN: the label vanished; say so
}

std::string clipped(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // a continuation byte
  return std::string(text.substr(0, end)) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string describe(const response& r) {
  if (r.http_status == 0) return "no answer: " + clipped(r.transport_error);
  std::string out = "HTTP " + std::to_string(r.http_status);
  if (!r.status.empty()) out += ", Status \"" + clipped(r.status, 64) + "\"";
  if (!r.existing_job_status.empty()) out += " (ExistingJobStatus " + clipped(r.existing_job_status, 64) + ")";
  if (!r.message.empty()) out += ": " + clipped(r.message);
  if (!r.error_url.empty()) out += " (rejected rows: " + clipped(r.error_url) + ")";
  return out;
}

std::uint64_t content_hash(std::string_view bytes, std::uint64_t seed) {
  // Eight bytes a step: a load body is hashed whole, so this must run at memory speed.
  std::uint64_t h = seed ^ (bytes.size() * 0x9e3779b97f4a7c15ull);
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ull;
  return h ^ (h >> 32);
}

std::string label(const load_identity& load, std::uint64_t body_hash) {
  static constexpr char hex[] = "0123456789abcdef";
  auto word = [](std::string_view text, std::size_t max, std::string& out) {
    for (std::size_t i = 0; i < text.size() && i < max; ++i) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      out += ok ? static_cast<char>(c) : '_';
    }
  };
  auto number = [](std::uint64_t v, std::string& out) {
    char buf[16];
    int n = 0;
    do {
      buf[n++] = hex[v & 15];
      v >>= 4;
    } while (v != 0);
    while (n > 0) out += buf[--n];
  };
  // Each name with its length, so that no two different (name, name...) run together alike.
  std::uint64_t h = body_hash;
  for (std::string_view name : {load.pipeline, load.database, load.table, load.columns}) {
    h = content_hash(std::to_string(name.size()), h);
    h = content_hash(name, h);
  }
  h = content_hash(load.partial_update ? "partial" : "whole", h);
  // 24 + 1 + 32 + 2 ("-r") + 8 + 1 + 16 + 1 + 16 + 6 ("-p999-") + 16 = 123 <= 128: always valid.
  std::string out;
  word(load.pipeline, 24, out);
  out += '-';
  word(load.table, 32, out);
  out += "-r";
  number(load.run, out);
  out += '-';
  number(load.first_lsn, out);
  out += '-';
  number(load.last_lsn, out);
  out += "-p" + std::to_string(load.part % 1000) + '-';
  number(h, out);
  return out;
}

}  // namespace pg2sr::codecs::stream_load
