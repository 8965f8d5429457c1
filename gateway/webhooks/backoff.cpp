#include "gateway/webhooks/backoff.h"

#include <algorithm>
#include <cstdint>

namespace gw::webhooks {

std::chrono::milliseconds BackoffPolicy::window(int failures) const {
  int64_t b = std::max<int64_t>(base.count(), 1);
  int64_t c = std::max<int64_t>(cap.count(), b);
  int shift = std::clamp(failures - 1, 0, 40);
  // Saturate instead of overflowing: 2^40 * base exceeds any sane cap.
  int64_t w = b;
  for (int i = 0; i < shift && w < c; ++i) w *= 2;
  w = std::min(w, c);
  return std::chrono::milliseconds(std::max<int64_t>(w, min_delay.count()));
}

std::optional<long long> BackoffPolicy::next_attempt(long long created_ms, int failures,
                                                     long long now_ms, core::Random& random) const {
  long long deadline = created_ms + horizon.count();
  if (now_ms >= deadline) return std::nullopt;
  int64_t lo = std::max<int64_t>(min_delay.count(), 0);
  int64_t hi = window(failures).count();
  int64_t span = hi - lo;
  int64_t delay = lo;
  if (span > 0) {
    uint32_t bound = static_cast<uint32_t>(std::min<int64_t>(span + 1, UINT32_MAX));
    delay += random.uniform(bound);
  }
  return std::min(now_ms + delay, deadline);
}

}  // namespace gw::webhooks
