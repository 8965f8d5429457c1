// Scheduler: how the protocol client and its transport ask for "run this later" and "run this
// soon" without touching Asio, so unit tests can drive every timeout (handshake, IQ, keepalive,
// reconnect backoff, QR rotation) with a ManualScheduler and a FakeClock instead of sleeping.
//
// A Timer handle cancels its callback when cancelled or destroyed; a callback never runs after
// its handle is gone. Callbacks run on the scheduler's executor (the client's one thread or
// strand), never inline inside after() / post().
//
// Ownership: the caller owns Timer handles; the Scheduler must outlive every handle it returned.
// Threading: a Scheduler belongs to one executor; call it only from that executor.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "core/clock.h"

namespace wa::transport {

class Timer {
 public:
  virtual ~Timer() = default;
  virtual void cancel() = 0;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs fn after `delay` unless the returned handle is cancelled or destroyed first.
  [[nodiscard]] virtual std::unique_ptr<Timer> after(std::chrono::milliseconds delay,
                                                     std::function<void()> fn) = 0;
  // Runs fn soon on the executor (used to break call chains and to defer callbacks).
  virtual void post(std::function<void()> fn) = 0;
};

// A deterministic scheduler for tests and benches: nothing runs until run_ready() or advance().
// It reads and moves a FakeClock so code that consults the clock sees the same time.
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(core::FakeClock& clock) : clock_(clock) {}

  std::unique_ptr<Timer> after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void post(std::function<void()> fn) override;

  // Runs posted callbacks and due timers until none is left. Returns how many ran.
  size_t run_ready();
  // Moves the clock forward step by step, running whatever becomes due.
  void advance(std::chrono::milliseconds d);
  size_t pending_timers() const;

 private:
  struct Entry {
    std::function<void()> fn;
    bool cancelled = false;
  };
  class ManualTimer;
  using Key = std::pair<std::chrono::steady_clock::time_point, uint64_t>;

  core::FakeClock& clock_;
  uint64_t seq_ = 0;
  std::map<Key, std::shared_ptr<Entry>> timers_;
};

}  // namespace wa::transport
