// Retry schedule for webhook deliveries: exponential backoff with full jitter, bounded by a cap,
// until a horizon measured from when the event was queued; past the horizon the event is
// parked as dead (kept in the outbox and delivery log, replayable).
//
//   delay(n) = uniform[min_delay, max(min_delay, min(cap, base * 2^(n-1)))]   (n = failures so far)
//   next     = min(now + delay(n), created_at + horizon)   — one last try right at the horizon
//   give up  when now >= created_at + horizon
//
// Threading: BackoffPolicy is an immutable value; next_attempt() uses the caller's Random.
#pragma once

#include <chrono>
#include <optional>

#include "core/random.h"

namespace gw::webhooks {

struct BackoffPolicy {
  std::chrono::milliseconds base{2000};
  std::chrono::milliseconds cap{10 * 60 * 1000};
  std::chrono::milliseconds horizon{24 * 60 * 60 * 1000};
  // Floor of every delay, so a jitter of zero never turns into a tight retry loop.
  std::chrono::milliseconds min_delay{500};

  // Upper bound of the jitter window after `failures` failed attempts (>= 1).
  std::chrono::milliseconds window(int failures) const;
  // When to try again (unix ms) after the failed attempt number `failures` that ended at
  // now_ms, for an event queued at created_ms; nullopt = give up (park as dead).
  std::optional<long long> next_attempt(long long created_ms, int failures, long long now_ms,
                                        core::Random& random) const;
};

}  // namespace gw::webhooks
