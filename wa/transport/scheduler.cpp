#include "wa/transport/scheduler.h"

namespace wa::transport {

class ManualScheduler::ManualTimer final : public Timer {
 public:
  explicit ManualTimer(std::weak_ptr<Entry> entry) : entry_(std::move(entry)) {}
  ~ManualTimer() override { cancel(); }
  void cancel() override {
    if (auto e = entry_.lock()) {
      e->cancelled = true;
      e->fn = nullptr;
    }
  }

 private:
  std::weak_ptr<Entry> entry_;
};

std::unique_ptr<Timer> ManualScheduler::after(std::chrono::milliseconds delay,
                                              std::function<void()> fn) {
  auto entry = std::make_shared<Entry>();
  entry->fn = std::move(fn);
  timers_.emplace(Key{clock_.steady_now() + delay, seq_++}, entry);
  return std::make_unique<ManualTimer>(entry);
}

void ManualScheduler::post(std::function<void()> fn) {
  auto entry = std::make_shared<Entry>();
  entry->fn = std::move(fn);
  timers_.emplace(Key{clock_.steady_now(), seq_++}, std::move(entry));
}

size_t ManualScheduler::run_ready() {
  size_t ran = 0;
  for (;;) {
    auto it = timers_.begin();
    if (it == timers_.end() || it->first.first > clock_.steady_now()) break;
    auto entry = std::move(it->second);
    timers_.erase(it);
    if (entry->cancelled || !entry->fn) continue;
    auto fn = std::move(entry->fn);
    entry->fn = nullptr;
    fn();
    ++ran;
  }
  return ran;
}

void ManualScheduler::advance(std::chrono::milliseconds d) {
  auto end = clock_.steady_now() + d;
  run_ready();
  for (;;) {
    auto it = timers_.begin();
    while (it != timers_.end() && it->second->cancelled) it = timers_.erase(it);
    if (it == timers_.end() || it->first.first > end) break;
    auto step = it->first.first - clock_.steady_now();
    if (step.count() > 0) clock_.advance(step);
    run_ready();
  }
  auto rest = end - clock_.steady_now();
  if (rest.count() > 0) clock_.advance(rest);
  run_ready();
}

size_t ManualScheduler::pending_timers() const {
  size_t n = 0;
  for (const auto& [k, e] : timers_) n += e->cancelled ? 0 : 1;
  return n;
}

}  // namespace wa::transport
