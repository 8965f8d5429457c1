#include "gateway/webhooks/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace gw::webhooks {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, WindowDoublesUpToCap) {
  BackoffPolicy p;  // base 2 s, cap 10 min
  EXPECT_EQ(p.window(1), milliseconds(2000));
  EXPECT_EQ(p.window(2), milliseconds(4000));
  EXPECT_EQ(p.window(3), milliseconds(8000));
  EXPECT_EQ(p.window(9), milliseconds(512000));
  EXPECT_EQ(p.window(10), milliseconds(600000));
  EXPECT_EQ(p.window(1000), milliseconds(600000));
  EXPECT_EQ(p.window(0), milliseconds(2000));
}

TEST(Backoff, FullJitterWithinBounds) {
  BackoffPolicy p;
  core::FakeRandom random(3);
  const long long created = 1'700'000'000'000;
  long long now = created;
  for (int failures = 1; failures <= 14; ++failures) {
    std::set<long long> delays;
    for (int i = 0; i < 200; ++i) {
      auto next = p.next_attempt(created, failures, now, random);
      ASSERT_TRUE(next.has_value());
      long long d = *next - now;
      EXPECT_GE(d, p.min_delay.count());
      EXPECT_LE(d, p.window(failures).count());
      delays.insert(d);
    }
    EXPECT_GT(delays.size(), 20u) << "jitter spreads the retries (failures=" << failures << ")";
    now += p.window(failures).count();
  }
}

TEST(Backoff, HorizonParksAsDead) {
  BackoffPolicy p;
  p.horizon = std::chrono::hours(24);
  core::FakeRandom random(9);
  const long long created = 1'700'000'000'000;
  const long long deadline = created + 24LL * 3600 * 1000;
  // Walk a receiver that is always down through the schedule with a fake clock.
  long long now = created;
  int failures = 0;
  std::optional<long long> next = created;
  while (next) {
    now = *next;
    ++failures;
    next = p.next_attempt(created, failures, now, random);
    if (next) {
      EXPECT_GT(*next, now);
      EXPECT_LE(*next, deadline) << "never scheduled past the horizon";
    }
    ASSERT_LT(failures, 10000);
  }
  EXPECT_GE(now, deadline) << "the last attempt happens at the horizon";
  // Roughly 24 h / ~5 min average → a few hundred attempts, not thousands.
  EXPECT_GT(failures, 100);
  EXPECT_LT(failures, 1000);
  EXPECT_FALSE(p.next_attempt(created, 1, deadline, random).has_value());
  EXPECT_FALSE(p.next_attempt(created, 1, deadline + 1, random).has_value());
}

TEST(Backoff, LastTryClampedToHorizon) {
  BackoffPolicy p;
  p.horizon = milliseconds(10000);
  core::FakeRandom random(1);
  auto next = p.next_attempt(0, 20, 9999, random);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 10000);
}

}  // namespace
}  // namespace gw::webhooks
