// TRUST_PROXY, with the seed's (Express's) meaning, decides which address is "the client":
//   ""            → "loopback": trust 127.0.0.0/8 and ::1 (the seed's default)
//   "false" / "0" → trust nobody: the socket peer is the client, X-Forwarded-* are ignored
//   "true"        → trust every hop: the left-most X-Forwarded-For entry is the client
//   "2"           → hop count: trust that many proxies in front of us
//   "loopback, 10.0.0.0/8, linklocal, uniquelocal, 203.0.113.7" → trusted addresses / subnets
// Walking the chain [X-Forwarded-For…, peer] from the right, trusted addresses are skipped; the
// first untrusted one is the client. X-Forwarded-Proto is honoured only from a trusted peer.
//
// Ownership: plain value. Threading: immutable after parse; safe to share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gw::http {

class TrustProxy {
 public:
  // InvalidArgument naming the bad entry.
  static core::Result<TrustProxy> parse(std::string_view setting);
  static TrustProxy none() { return TrustProxy(); }

  // The client address for a request from `peer` with this X-Forwarded-For header (if any).
  std::string client_address(std::string_view peer,
                             std::optional<std::string_view> forwarded_for) const;
  // Whether the direct peer is a trusted proxy (so X-Forwarded-Proto may be believed).
  bool trusts_peer(std::string_view peer) const;
  std::string describe() const { return description_; }

 private:
  struct Subnet {
    std::array<uint8_t, 16> addr{};  // IPv4 stored as ::ffff:a.b.c.d
    int prefix = 0;                  // in bits of the 128-bit form
  };
  enum class Mode { kNone, kAll, kHops, kList };

  bool trusted(std::string_view address) const;

  Mode mode_ = Mode::kNone;
  int hops_ = 0;
  std::vector<Subnet> subnets_;
  std::string description_ = "false";
};

// Parses an IPv4 or IPv6 literal (IPv4 mapped to ::ffff:0:0/96); nullopt when not an address.
std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text);

}  // namespace gw::http
