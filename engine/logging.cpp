// spdlog to stderr with one pattern for the whole process.
#include "engine/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

namespace pg2sr::engine {

namespace {

std::atomic<std::uint64_t> lines_written{0};

// Counts what the logger writes (next to the real stderr sink).
class counting_sink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg&) override { lines_written.fetch_add(1, std::memory_order_relaxed); }
  void flush_() override {}
};

}  // namespace

std::uint64_t log_lines_written() { return lines_written.load(std::memory_order_relaxed); }

bool setup_logging(const std::string& level) {
  auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("pg2sr", spdlog::sinks_init_list{err, std::make_shared<counting_sink>()});
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  spdlog::set_default_logger(logger);
  auto parsed = spdlog::level::from_str(level);
  bool known = parsed != spdlog::level::off || level == "off";
  spdlog::set_level(known ? parsed : spdlog::level::info);
  return known;
}

}  // namespace pg2sr::engine
