// LoginThrottle: brute-force protection for POST /admin/login. Failures are counted per
// (e-mail as typed, lower-cased) + client IP and, more loosely, per client IP alone (password
// spraying across many e-mails). Reaching the limit inside the window locks that key for the
// lockout period: every attempt then gets 429 with Retry-After, even with the right password,
// so a guesser learns nothing. A successful login clears its (e-mail, IP) counter.
//
// Memory is bounded (max_keys; the entry closest to expiry is dropped first, which can only
// shorten someone's lockout, never lock anyone out).
//
// Ownership: borrows the clock, which must outlive it.
// Threading: internally locked; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace gw::auth {

struct LoginThrottleOptions {
  uint32_t max_failures = 5;              // per e-mail + IP
  uint32_t max_failures_per_ip = 50;      // per IP, any e-mail
  std::chrono::seconds window{15 * 60};   // failures older than this are forgotten
  std::chrono::seconds lockout{15 * 60};  // how long a locked key stays locked
  size_t max_keys = 20000;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(LoginThrottleOptions options, const core::Clock& clock);

  // Zero when the attempt may proceed; otherwise how long the caller must wait.
  std::chrono::seconds check(std::string_view email, std::string_view ip);
  void record_failure(std::string_view email, std::string_view ip);
  void record_success(std::string_view email, std::string_view ip);

  const LoginThrottleOptions& options() const { return options_; }

 private:
  struct Entry {
    uint32_t failures = 0;
    std::chrono::steady_clock::time_point window_start{};
    std::chrono::steady_clock::time_point locked_until{};
  };
  std::chrono::seconds remaining(const std::string& key, std::chrono::steady_clock::time_point now);
  void fail(const std::string& key, uint32_t limit, std::chrono::steady_clock::time_point now);
  void prune(std::chrono::steady_clock::time_point now);

  LoginThrottleOptions options_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace gw::auth
