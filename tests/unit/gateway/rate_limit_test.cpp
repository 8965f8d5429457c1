#include "gateway/http/rate_limit.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace gw::http {
namespace {

using namespace std::chrono_literals;

RateLimitOptions opts(uint32_t limit, size_t max_keys = 10000) {
  RateLimitOptions o;
  o.limit = limit;
  o.window = 60s;
  o.max_keys = max_keys;
  return o;
}

TEST(RateLimiter, BurstThenRefill) {
  core::FakeClock clock;
  RateLimiter rl(opts(3), clock);
  EXPECT_TRUE(rl.take("ip:a").allowed);
  EXPECT_TRUE(rl.take("ip:a").allowed);
  auto third = rl.take("ip:a");
  EXPECT_TRUE(third.allowed);
  EXPECT_EQ(third.remaining, 0u);
  auto refused = rl.take("ip:a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 20s);  // one token per 20 s
  // Other keys are independent.
  EXPECT_TRUE(rl.take("ip:b").allowed);
  clock.advance(20s);
  EXPECT_TRUE(rl.take("ip:a").allowed);
  EXPECT_FALSE(rl.take("ip:a").allowed);
  clock.advance(10min);
  auto full = rl.take("ip:a");
  EXPECT_TRUE(full.allowed);
  EXPECT_EQ(full.remaining, 2u);  // capped at the limit
}

TEST(RateLimiter, MemoryIsBounded) {
  core::FakeClock clock;
  RateLimiter rl(opts(1, 100), clock);
  for (int i = 0; i < 10000; ++i) rl.take("k" + std::to_string(i));
  EXPECT_LE(rl.size(), 100u);
  // The most recent keys are still tracked (and limited).
  EXPECT_FALSE(rl.take("k9999").allowed);
}

TEST(RateLimiter, SeedCompatible429) {
  core::FakeClock clock;
  RateLimiter rl(opts(1), clock);
  rl.take("x");
  auto d = rl.take("x");
  auto r = too_many_requests(d);
  EXPECT_EQ(r.status, 429);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["message"], "Too many requests, please try again later.");
  EXPECT_EQ(j["error"]["code"], "rate_limited");
  EXPECT_EQ(r.headers.get("retry-after").value_or(""), "60");
  EXPECT_EQ(r.headers.get("ratelimit-limit").value_or(""), "1");
  EXPECT_EQ(r.headers.get("ratelimit-remaining").value_or(""), "0");
  EXPECT_TRUE(r.headers.has("ratelimit-reset"));
}

TEST(RateLimiter, MiddlewareChargesPerKeyAndAddsHeaders) {
  core::FakeClock clock;
  auto rl = std::make_shared<RateLimiter>(opts(2), clock);
  Router router;
  router.get("/x", sync([](Request&) { return Response::json(200, {{"ok", true}}); }));
  router.get("/health", sync([](Request&) {
               return Response::json(200, {{"ok", true}});
             }),
             RouteOptions().rate("none"));
  router.use(rate_limit_middleware("ip", rl, [](const Request& r) -> std::optional<std::string> {
    if (r.options().rate_limit == "none") return std::nullopt;
    return "ip:" + r.remote_address;
  }));
  auto call = [&](std::string path, std::string ip) {
    auto req = std::make_shared<Request>();
    req->method = "GET";
    req->set_target(path);
    req->remote_address = ip;
    std::optional<Response> out;
    router.dispatch(req, Responder([&](Response r) { out = std::move(r); }));
    return *out;
  };
  auto first = call("/x", "1.1.1.1");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.headers.get("ratelimit-remaining").value_or(""), "1");
  EXPECT_EQ(call("/x", "1.1.1.1").status, 200);
  EXPECT_EQ(call("/x", "1.1.1.1").status, 429);
  EXPECT_EQ(call("/nope", "1.1.1.1").status, 429);  // unmatched paths are charged too
  EXPECT_EQ(call("/x", "2.2.2.2").status, 200);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(call("/health", "1.1.1.1").status, 200);
}

}  // namespace
}  // namespace gw::http
