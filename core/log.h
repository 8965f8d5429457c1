// Logging setup: one call at start-up configures spdlog (level, pattern, optional JSON lines);
// components then ask for a named logger. Secrets, tokens and message bodies never go to logs.
//
// Threading: init_logging() once before threads start; loggers are thread-safe afterwards.
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"

namespace spdlog {
class logger;
}

namespace core {

struct LogOptions {
  std::string_view level = "info";  // trace, debug, info, warn, error, critical, off
  bool json = false;                // one JSON object per line instead of the text pattern
};

// Returns InvalidArgument for an unknown level name.
Status init_logging(const LogOptions& options);

// The logger for a component ("wa.client", "sim.server"…); created on first use.
std::shared_ptr<spdlog::logger> get_logger(std::string_view name);

}  // namespace core
