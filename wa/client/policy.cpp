#include "wa/client/policy.h"

#include <algorithm>
#include <cmath>

namespace wa::client {

std::chrono::milliseconds BackoffPolicy::delay(uint32_t attempt, core::Random& random) const {
  if (attempt == 0) attempt = 1;
  double base = static_cast<double>(initial.count()) *
                std::pow(factor, static_cast<double>(std::min<uint32_t>(attempt - 1, 62)));
  base = std::min(base, static_cast<double>(cap.count()));
  double u = static_cast<double>(random.uniform(1u << 20)) / static_cast<double>(1u << 20);
  double scaled = base * (1.0 - jitter + 2.0 * jitter * u);
  scaled = std::min(scaled, static_cast<double>(cap.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, scaled)));
}

static int to_int(const std::string* s) {
  if (s == nullptr) return 0;
  int v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
    if (v > 100000) return 0;
  }
  return v;
}

DisconnectInfo classify_failure(const binary::Node& failure) {
  DisconnectInfo d;
  d.code = to_int(failure.attr("reason"));
  d.detail = "failure " + failure.attr_or("reason", "?");
  switch (d.code) {
    case 401:
    case 403:
    case 406:
      d.reason = DisconnectReason::kLoggedOut;
      d.reconnect = false;
      d.logged_out = true;
      break;
    case 402:
      d.reason = DisconnectReason::kTemporaryBan;
      d.reconnect = false;
      d.detail += " (temporary ban, expire " + failure.attr_or("expire", "?") + ")";
      break;
    case 405:
      d.reason = DisconnectReason::kClientOutdated;
      d.reconnect = false;
      break;
    default:
      if (d.code >= 500 && d.code < 600) {
        d.reason = DisconnectReason::kServerError;
      } else {
        d.reason = DisconnectReason::kProtocolError;
        d.reconnect = false;
      }
  }
  return d;
}

DisconnectInfo classify_stream_error(const binary::Node& error) {
  DisconnectInfo d;
  d.code = to_int(error.attr("code"));
  const binary::Node* conflict = error.child("conflict");
  std::string conflict_type = conflict ? conflict->attr_or("type", "") : "";
  if (d.code == 515) {
    d.reason = DisconnectReason::kRestartRequired;
    d.immediate = true;
    d.detail = "restart required (515)";
  } else if (d.code == 401 || conflict_type == "device_removed") {
    d.reason = DisconnectReason::kLoggedOut;
    d.reconnect = false;
    d.logged_out = true;
    if (d.code == 0) d.code = 401;
    d.detail = "device removed";
  } else if (conflict != nullptr) {
    d.reason = DisconnectReason::kReplaced;
    d.reconnect = false;
    if (d.code == 0) d.code = 440;
    d.detail = "connection replaced";
  } else if (d.code >= 500 || d.code == 0) {
    d.reason = DisconnectReason::kServerError;
    if (d.code == 0) d.code = 500;
    d.detail = "stream error " + std::to_string(d.code);
  } else {
    d.reason = DisconnectReason::kProtocolError;
    d.detail = "stream error " + std::to_string(d.code);
  }
  return d;
}

DisconnectInfo classify_transport_close(const core::Status& status) {
  DisconnectInfo d;
  d.detail = status.to_string();
  switch (status.code()) {
    case core::StatusCode::kDeadlineExceeded:
      d.reason = DisconnectReason::kTimeout;
      break;
    case core::StatusCode::kUnauthenticated:
      // A certificate chain that does not verify is an attack or a misconfiguration; retrying
      // would only hammer it. (A failed frame MAC after the handshake also lands here.)
      d.reason = DisconnectReason::kBadCertificate;
      d.reconnect = d.detail.find("handshake") == std::string::npos;
      break;
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kOutOfRange:
      d.reason = DisconnectReason::kProtocolError;
      break;
    default:
      d.reason = DisconnectReason::kNetwork;
  }
  return d;
}

uint32_t RetryCounter::next(const std::string& key) {
  auto it = counts_.find(key);
  if (it != counts_.end()) return ++it->second;
  if (counts_.size() >= capacity_ && !order_.empty()) {
    counts_.erase(order_.front());
    order_.pop_front();
  }
  counts_[key] = 1;
  order_.push_back(key);
  return 1;
}

uint32_t RetryCounter::get(const std::string& key) const {
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

void RetryCounter::erase(const std::string& key) { counts_.erase(key); }

bool RecentSet::insert(const std::string& key) {
  if (!set_.insert(key).second) return false;
  order_.push_back(key);
  while (order_.size() > capacity_) {
    set_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace wa::client
