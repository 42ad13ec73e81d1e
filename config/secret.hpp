// A string that must never be printed: passwords. It has no stream operator and no
// implicit conversion; the one way out is `reveal()`, used only where it is sent.
#pragma once

#include <string>

namespace pg2sr::config {

class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}
  bool empty() const { return value_.empty(); }
  /// The value itself, for libpq/curl only. Never log it.
  const std::string& reveal() const { return value_; }
  /// What logs may show instead.
  static constexpr const char* redacted = "********";

 private:
  std::string value_;
};

}  // namespace pg2sr::config
