// Clock: the one way code reads time, so tests can replace it with FakeClock and walk through
// timeouts, certificate expiry and backoff schedules without sleeping.
//
// Ownership: callers hold a reference to a clock that outlives them (usually one per process).
// Threading: SystemClock is stateless and thread-safe; FakeClock is thread-safe (atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (certificate windows, message timestamps).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time (timeouts, backoff); never jumps backwards.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;

  int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
  int64_t unix_millis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch())
        .count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  // A process-wide instance for code that has no clock injected.
  static SystemClock& instance();
};

// A clock that only moves when told to. Both views advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds = 1700000000) : nanos_(unix_seconds * 1'000'000'000) {}

  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(nanos_.load())));
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::nanoseconds(nanos_.load())));
  }
  void advance(std::chrono::nanoseconds d) { nanos_ += d.count(); }
  void set_unix_seconds(int64_t s) { nanos_ = s * 1'000'000'000; }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace core
