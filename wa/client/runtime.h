// What a Client needs from its host besides the network: where blocking store work runs
// (StoreExecutor) and where messages accepted for sending wait until the server acked them
// (OutboundQueue). In-memory / inline implementations are here; the gateway can route store
// work to a thread pool and back the queue with SQL.
//
// Threading: StoreExecutor::run may be called from the client's executor only; `work` runs on
// whatever thread the implementation chooses, `done` may be invoked on any thread (the client
// re-posts it to its own executor). The client never has more than one job of its own running,
// so a device's store is used by one thread at a time. OutboundQueue is used from the client's
// executor only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wa::client {

class StoreExecutor {
 public:
  virtual ~StoreExecutor() = default;
  virtual void run(std::function<void()> work, std::function<void()> done) = 0;
};

// Runs the work at once on the caller's thread (right for the in-memory store).
class InlineStoreExecutor final : public StoreExecutor {
 public:
  void run(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }
  static InlineStoreExecutor& instance() {
    static InlineStoreExecutor e;
    return e;
  }
};

// A message accepted by send(): it stays queued until the server acked it, across reconnects.
struct OutboundMessage {
  std::string id;
  std::string to;       // chat JID (user or group)
  std::string message;  // serialized waproto::Message
  int64_t created_unix = 0;
  uint32_t attempts = 0;  // times it was put on the wire
};

class OutboundQueue {
 public:
  virtual ~OutboundQueue() = default;
  virtual void push(OutboundMessage m) = 0;
  // The oldest message not yet acked, if any.
  virtual std::optional<OutboundMessage> front() = 0;
  virtual void update(const OutboundMessage& m) = 0;  // attempts counter
  virtual void remove(const std::string& id) = 0;
  virtual size_t size() const = 0;
};

class InMemoryOutboundQueue final : public OutboundQueue {
 public:
  void push(OutboundMessage m) override { q_.push_back(std::move(m)); }
  std::optional<OutboundMessage> front() override {
    if (q_.empty()) return std::nullopt;
    return q_.front();
  }
  void update(const OutboundMessage& m) override {
    for (auto& x : q_) {
      if (x.id == m.id) x = m;
    }
  }
  void remove(const std::string& id) override {
    for (auto it = q_.begin(); it != q_.end(); ++it) {
      if (it->id == id) {
        q_.erase(it);
        break;
      }
    }
    if (q_.empty()) q_.shrink_to_fit();  // idle clients keep no buffer
  }
  size_t size() const override { return q_.size(); }

 private:
  std::vector<OutboundMessage> q_;  // small; a vector allocates nothing while empty
};

}  // namespace wa::client
