#include "gateway/auth/ws_tickets.h"

#include "core/encoding.h"
#include "crypto/hash.h"

namespace gw::auth {
namespace {

std::string ticket_key(std::string_view ticket) {
  return core::hex_encode(crypto::sha256(core::as_view(ticket)));
}

}  // namespace

WsTicketStore::WsTicketStore(const core::Clock& clock, core::Random& random,
                             std::chrono::seconds lifetime, size_t max_outstanding)
    : clock_(clock), random_(random), lifetime_(lifetime), max_outstanding_(max_outstanding) {}

std::string WsTicketStore::issue(const Principal& principal) {
  std::string ticket = core::hex_encode(random_.bytes(32));
  std::lock_guard lock(mu_);
  auto now = clock_.steady_now();
  purge(now);
  if (tickets_.size() >= max_outstanding_) {
    // Bounded memory: drop the ticket closest to expiry (its holder can ask again).
    auto oldest = tickets_.begin();
    for (auto it = tickets_.begin(); it != tickets_.end(); ++it) {
      if (it->second.expires < oldest->second.expires) oldest = it;
    }
    tickets_.erase(oldest);
  }
  tickets_[ticket_key(ticket)] = Entry{principal, now + lifetime_};
  return ticket;
}

std::optional<Principal> WsTicketStore::redeem(std::string_view ticket) {
  if (ticket.size() != 64) return std::nullopt;
  std::string key = ticket_key(ticket);
  std::lock_guard lock(mu_);
  auto it = tickets_.find(key);
  if (it == tickets_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  tickets_.erase(it);
  if (clock_.steady_now() >= entry.expires) return std::nullopt;
  return entry.principal;
}

void WsTicketStore::revoke_user(const std::string& user_id) {
  std::lock_guard lock(mu_);
  for (auto it = tickets_.begin(); it != tickets_.end();) {
    bool mine = it->second.principal.kind == Principal::Kind::kUser &&
                it->second.principal.user_id == user_id;
    it = mine ? tickets_.erase(it) : std::next(it);
  }
}

size_t WsTicketStore::outstanding() const {
  std::lock_guard lock(mu_);
  return tickets_.size();
}

void WsTicketStore::purge(std::chrono::steady_clock::time_point now) {
  for (auto it = tickets_.begin(); it != tickets_.end();) {
    it = it->second.expires <= now ? tickets_.erase(it) : std::next(it);
  }
}

}  // namespace gw::auth
