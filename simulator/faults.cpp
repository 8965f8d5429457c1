// Fault injection for tests and the sandbox: drop a connection, end it with a stream error,
// delay its outgoing frames, or reject logins. Drop/stream_error/delay hit matching live
// connections first; whatever count is left applies to the next matching connections when
// their ClientPayload arrives. reject_login always applies to upcoming logins.
#include <algorithm>

#include "simulator/simulator_impl.h"

namespace sim {
namespace {

bool matches(const Fault& f, const std::string& phone) { return !f.phone || *f.phone == phone; }

}  // namespace

void SimulatorImpl::add_fault(const Fault& fault) {
  PendingFault pending{fault, std::max(1, fault.count)};
  if (fault.kind != Fault::Kind::kRejectLogin) {
    std::vector<ConnId> hit;
    for (const auto& [id, c] : conns_) {
      if (static_cast<int>(hit.size()) >= pending.remaining) break;
      if (c.phase == Connection::Phase::kClosed || c.phase == Connection::Phase::kHandshake)
        continue;
      if (fault.phone && (c.phase != Connection::Phase::kLoggedIn || c.phone != *fault.phone))
        continue;
      hit.push_back(id);
    }
    for (ConnId id : hit) {
      --pending.remaining;
      switch (fault.kind) {
        case Fault::Kind::kDrop:
          drop_conn(id);
          break;
        case Fault::Kind::kStreamError:
          stream_error(id, fault.code ? fault.code : 503);
          break;
        case Fault::Kind::kDelay:
          if (Connection* c = find_conn(id)) c->delay_ms = fault.ms;
          break;
        case Fault::Kind::kRejectLogin:
          break;
      }
    }
  }
  if (pending.remaining > 0) faults_.push_back(std::move(pending));
}

void SimulatorImpl::drop_conn(ConnId id) {
  Connection* c = find_conn(id);
  if (!c || c->phase == Connection::Phase::kClosed) return;
  if (c->phase == Connection::Phase::kLoggedIn) {
    auto dc = device_conns_.find({c->phone, c->device});
    if (dc != device_conns_.end() && dc->second == id) device_conns_.erase(dc);
    c->active = false;
  }
  c->phase = Connection::Phase::kClosed;
  auto sink = c->sink;
  sink->drop();  // may re-enter on_disconnected
}

bool SimulatorImpl::apply_connect_faults(Connection& c, const std::string& phone) {
  const ConnId id = c.id;
  for (size_t i = 0; i < faults_.size();) {
    const Fault f = faults_[i].fault;
    // Registration connections have no phone yet: only phone-less faults reach them.
    if (f.kind == Fault::Kind::kRejectLogin || (f.phone && *f.phone != phone)) {
      ++i;
      continue;
    }
    if (--faults_[i].remaining <= 0) {
      faults_.erase(faults_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
    switch (f.kind) {
      case Fault::Kind::kDrop:
        drop_conn(id);
        return true;
      case Fault::Kind::kStreamError:
        stream_error(id, f.code ? f.code : 503);
        return true;
      case Fault::Kind::kDelay:
        if (Connection* cur = find_conn(id)) cur->delay_ms = f.ms;
        break;
      case Fault::Kind::kRejectLogin:
        break;
    }
  }
  return false;
}

std::optional<int> SimulatorImpl::take_reject_login(const std::string& phone) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->fault.kind != Fault::Kind::kRejectLogin || !matches(it->fault, phone)) continue;
    const int code = it->fault.code ? it->fault.code : 401;
    if (--it->remaining <= 0) faults_.erase(it);
    return code;
  }
  return std::nullopt;
}

}  // namespace sim
