// Rate limiting: a token bucket per key (client IP, bearer-token hash, login e-mail…). Each bucket
// holds `limit` tokens and refills continuously at limit/window, so a client gets the seed's
// "100 requests per minute" without the fixed-window burst at the window edge. Memory is bounded:
// at most `max_keys` buckets, least recently used evicted first (an evicted key starts full, which
// only ever favours the client, never locks anyone out).
//
// Refusals use the seed's JSON plus ours, status 429:
//   {"status":"error","message":"Too many requests, please try again later.",
//    "error":{"code":"rate_limited","message":"Too many requests, please try again later."}}
// with RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (draft-7 names, as the seed's
// express-rate-limit sent) and Retry-After.
//
// Ownership: the limiter borrows its clock, which must outlive it.
// Threading: RateLimiter is internally locked; take() is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "gateway/http/router.h"

namespace gw::http {

struct RateLimitOptions {
  uint32_t limit = 100;             // burst size and tokens per window
  std::chrono::seconds window{60};  // time to refill `limit` tokens
  size_t max_keys = 10000;          // bound on tracked keys
};

struct RateDecision {
  bool allowed = true;
  uint32_t limit = 0;
  uint32_t remaining = 0;               // whole tokens left after this request
  std::chrono::seconds reset{0};        // until the bucket is full again
  std::chrono::seconds retry_after{0};  // until one token is available (when refused)
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitOptions options,
                       const core::Clock& clock = core::SystemClock::instance());

  // Takes `cost` tokens for `key` if available.
  RateDecision take(std::string_view key, uint32_t cost = 1);
  size_t size() const;
  const RateLimitOptions& options() const { return options_; }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
    std::list<std::string>::iterator lru;
  };

  RateLimitOptions options_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;  // front = most recently used
  std::unordered_map<std::string, Bucket> buckets_;
};

inline constexpr std::string_view kTooManyRequestsMessage =
    "Too many requests, please try again later.";

void apply_rate_limit_headers(const RateDecision& decision, Response& response);
Response too_many_requests(const RateDecision& decision);

// A middleware that charges one token per request to the key `key_of` returns (nullopt = skip:
// e.g. a logged-in dashboard user, as the seed's v1 limiter did). `route_tag` restricts it to
// routes whose RouteOptions::rate_limit equals the tag (nullopt = every request, matched or not).
Middleware rate_limit_middleware(std::string name, std::shared_ptr<RateLimiter> limiter,
                                 std::function<std::optional<std::string>(const Request&)> key_of,
                                 std::optional<std::string> route_tag = std::nullopt);

}  // namespace gw::http
