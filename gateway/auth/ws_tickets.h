// WsTicketStore: the one-time tickets that open the live feed. GET /api/v1/ws-auth issues one
// (64 hex characters = 32 random bytes, as the seed) bound to the caller's Principal; the /ws
// upgrade redeems it. A ticket is valid for 31 seconds and only once: redeeming removes it, so
// a ticket seen in a proxy log or browser history is already dead. Only the SHA-256 of a ticket
// is kept in memory.
//
// Ownership: borrows the clock and randomness, which must outlive it.
// Threading: internally locked; safe from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"
#include "gateway/auth/principal.h"

namespace gw::auth {

class WsTicketStore {
 public:
  static constexpr std::chrono::seconds kDefaultLifetime{31};
  static constexpr size_t kDefaultMaxOutstanding = 10000;

  WsTicketStore(const core::Clock& clock, core::Random& random,
                std::chrono::seconds lifetime = kDefaultLifetime,
                size_t max_outstanding = kDefaultMaxOutstanding);

  // A fresh ticket for `principal` (which must be authenticated).
  std::string issue(const Principal& principal);
  // The principal the ticket was issued to, once; nullopt for unknown, used or expired tickets.
  std::optional<Principal> redeem(std::string_view ticket);
  // Drops every outstanding ticket of a user whose logins were revoked.
  void revoke_user(const std::string& user_id);
  size_t outstanding() const;

 private:
  struct Entry {
    Principal principal;
    std::chrono::steady_clock::time_point expires;
  };
  void purge(std::chrono::steady_clock::time_point now);

  const core::Clock& clock_;
  core::Random& random_;
  std::chrono::seconds lifetime_;
  size_t max_outstanding_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> tickets_;  // key: hex SHA-256 of the ticket
};

}  // namespace gw::auth
