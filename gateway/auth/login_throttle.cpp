#include "gateway/auth/login_throttle.h"

#include <algorithm>

#include "gateway/http/headers.h"

namespace gw::auth {
namespace {

std::string pair_key(std::string_view email, std::string_view ip) {
  return "e:" + http::to_lower(email) + "|" + std::string(ip);
}
std::string ip_key(std::string_view ip) { return "i:" + std::string(ip); }

}  // namespace

LoginThrottle::LoginThrottle(LoginThrottleOptions options, const core::Clock& clock)
    : options_(options), clock_(clock) {}

std::chrono::seconds LoginThrottle::remaining(const std::string& key,
                                              std::chrono::steady_clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) return std::chrono::seconds(0);
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return std::max(left, std::chrono::seconds(1));
}

std::chrono::seconds LoginThrottle::check(std::string_view email, std::string_view ip) {
  std::lock_guard lock(mu_);
  auto now = clock_.steady_now();
  return std::max(remaining(pair_key(email, ip), now), remaining(ip_key(ip), now));
}

void LoginThrottle::fail(const std::string& key, uint32_t limit,
                         std::chrono::steady_clock::time_point now) {
  Entry& e = entries_[key];
  if (e.failures == 0 || now - e.window_start >= options_.window) {
    e.failures = 0;
    e.window_start = now;
  }
  ++e.failures;
  if (e.failures >= limit) {
    e.locked_until = now + options_.lockout;
    e.failures = 0;  // after the lockout the key starts afresh
  }
}

void LoginThrottle::record_failure(std::string_view email, std::string_view ip) {
  std::lock_guard lock(mu_);
  auto now = clock_.steady_now();
  if (entries_.size() + 2 > options_.max_keys) prune(now);
  fail(pair_key(email, ip), options_.max_failures, now);
  fail(ip_key(ip), options_.max_failures_per_ip, now);
}

void LoginThrottle::record_success(std::string_view email, std::string_view ip) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(pair_key(email, ip));
  if (it != entries_.end() && it->second.locked_until <= clock_.steady_now()) entries_.erase(it);
}

void LoginThrottle::prune(std::chrono::steady_clock::time_point now) {
  // Forget entries whose window and lockout are both over.
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& e = it->second;
    bool idle = e.locked_until <= now && now - e.window_start >= options_.window;
    it = idle ? entries_.erase(it) : std::next(it);
  }
  // Still full: drop the entries that would expire first.
  while (entries_.size() + 2 > options_.max_keys && !entries_.empty()) {
    auto victim = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return std::max(a.second.locked_until, a.second.window_start) <
             std::max(b.second.locked_until, b.second.window_start);
    });
    entries_.erase(victim);
  }
}

}  // namespace gw::auth
