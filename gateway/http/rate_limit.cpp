#include "gateway/http/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace gw::http {

RateLimiter::RateLimiter(RateLimitOptions options, const core::Clock& clock)
    : options_(options), clock_(clock) {
  options_.limit = std::max<uint32_t>(options_.limit, 1);
  options_.max_keys = std::max<size_t>(options_.max_keys, 1);
  if (options_.window.count() <= 0) options_.window = std::chrono::seconds(1);
}

size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

RateDecision RateLimiter::take(std::string_view key, uint32_t cost) {
  std::lock_guard lock(mu_);
  const auto now = clock_.steady_now();
  const double capacity = options_.limit;
  const double per_second = capacity / static_cast<double>(options_.window.count());

  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    while (buckets_.size() >= options_.max_keys && !lru_.empty()) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(key);
    it = buckets_.emplace(std::string(key), Bucket{capacity, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    it->second.tokens = std::min(capacity, it->second.tokens + std::max(0.0, elapsed) * per_second);
    it->second.updated = now;
  }
  Bucket& b = it->second;

  RateDecision d;
  d.limit = options_.limit;
  if (b.tokens + 1e-9 >= cost) {
    b.tokens -= cost;
    d.allowed = true;
  } else {
    d.allowed = false;
    const double missing = cost - b.tokens;
    d.retry_after = std::chrono::seconds(
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(missing / per_second))));
  }
  d.remaining = static_cast<uint32_t>(std::max(0.0, std::floor(b.tokens + 1e-9)));
  d.reset = std::chrono::seconds(
      static_cast<int64_t>(std::ceil((capacity - b.tokens) / per_second - 1e-9)));
  return d;
}

void apply_rate_limit_headers(const RateDecision& d, Response& r) {
  r.headers.set("RateLimit-Limit", std::to_string(d.limit));
  r.headers.set("RateLimit-Remaining", std::to_string(d.remaining));
  r.headers.set("RateLimit-Reset", std::to_string(d.reset.count()));
  if (!d.allowed) r.headers.set("Retry-After", std::to_string(d.retry_after.count()));
}

Response too_many_requests(const RateDecision& d) {
  auto r = Response::seed_error(429, "rate_limited", kTooManyRequestsMessage);
  apply_rate_limit_headers(d, r);
  return r;
}

Middleware rate_limit_middleware(std::string name, std::shared_ptr<RateLimiter> limiter,
                                 std::function<std::optional<std::string>(const Request&)> key_of,
                                 std::optional<std::string> route_tag) {
  struct Charged {
    RateDecision decision;
  };
  Middleware m;
  m.name = name;
  m.before = [limiter, key_of, route_tag](const RequestPtr& req, Next next) {
    if (route_tag && req->options().rate_limit != *route_tag) return next(std::nullopt);
    auto key = key_of(*req);
    if (!key) return next(std::nullopt);
    auto d = limiter->take(*key);
    if (!d.allowed) return next(too_many_requests(d));
    // Remember the decision so the after-hook can add the headers to the handler's response.
    // (One limiter's headers per request: the first limiter that charged wins.)
    if (!req->attribute<Charged>()) req->set_attribute(std::make_shared<Charged>(Charged{d}));
    next(std::nullopt);
  };
  m.after = [](const Request& req, Response& res) {
    if (auto* c = req.attribute<Charged>(); c && !res.headers.has("RateLimit-Limit")) {
      apply_rate_limit_headers(c->decision, res);
    }
  };
  return m;
}

}  // namespace gw::http
