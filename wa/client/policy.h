// Small pure pieces of the client's staying-linked logic, kept apart so they can be unit-tested
// without a connection: the reconnect backoff schedule, disconnect classification of
// failure / stream:error stanzas, retry-receipt counting, and duplicate suppression.
//
// Threading: plain values, used from the client's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/random.h"
#include "wa/binary/node.h"
#include "wa/client/events.h"

namespace wa::client {

// Exponential backoff with jitter, capped: delay(n) = min(cap, initial * factor^(n-1)) scaled
// by a uniform factor in [1 - jitter, 1 + jitter] (never above cap). Jitter keeps thousands of
// clients that lost the same server from reconnecting in lockstep (a reconnect storm).
struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds cap{60000};
  double factor = 2.0;
  double jitter = 0.2;

  std::chrono::milliseconds delay(uint32_t attempt, core::Random& random) const;
};

struct DisconnectInfo {
  DisconnectReason reason = DisconnectReason::kNetwork;
  int code = 0;
  std::string detail;
  bool reconnect = true;    // schedule another connection
  bool immediate = false;   // reconnect without backoff (515)
  bool logged_out = false;  // credentials are void
};

// <failure reason=… />
DisconnectInfo classify_failure(const binary::Node& failure);
// <stream:error code=…>[<conflict type=…/>]</stream:error>
DisconnectInfo classify_stream_error(const binary::Node& error);
// A transport close Status (network, timeout, bad certificate…).
DisconnectInfo classify_transport_close(const core::Status& status);

// Retry receipts we send per failed message (key: sender + id), bounded in size. WhatsApp
// clients give up after 5 retries.
class RetryCounter {
 public:
  explicit RetryCounter(size_t capacity = 512) : capacity_(capacity) {}
  // Increments and returns the new count (1 for the first retry).
  uint32_t next(const std::string& key);
  uint32_t get(const std::string& key) const;
  void erase(const std::string& key);
  size_t size() const { return counts_.size(); }

 private:
  size_t capacity_;
  std::unordered_map<std::string, uint32_t> counts_;
  std::deque<std::string> order_;
};

// The last N message keys seen; older ones are forgotten (memory stays bounded per client).
class RecentSet {
 public:
  explicit RecentSet(size_t capacity = 1024) : capacity_(capacity) {}
  // True if the key was new (and is now remembered).
  bool insert(const std::string& key);
  bool contains(const std::string& key) const { return set_.count(key) != 0; }
  size_t size() const { return set_.size(); }

 private:
  size_t capacity_;
  std::unordered_set<std::string> set_;
  std::deque<std::string> order_;
};

}  // namespace wa::client
