#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <string>

namespace core {
namespace {
std::mutex g_mutex;
}

Status init_logging(const LogOptions& options) {
  auto level = spdlog::level::from_str(std::string(options.level));
  if (level == spdlog::level::off && options.level != "off") {
    return Status::invalid_argument("unknown log level '" + std::string(options.level) + "'");
  }
  std::lock_guard lock(g_mutex);
  spdlog::set_level(level);
  if (options.json) {
    spdlog::set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","msg":"%v"})");
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
  return Status();
}

std::shared_ptr<spdlog::logger> get_logger(std::string_view name) {
  std::lock_guard lock(g_mutex);
  std::string n(name);
  if (auto existing = spdlog::get(n)) return existing;
  // Registered loggers follow set_level/set_pattern; logs go to stderr so stdout stays free for
  // machine-readable output (the simulator's ready line, CLI results).
  auto logger = spdlog::stderr_color_mt(n);
  return logger;
}

}  // namespace core
