#include "wa/binary/jid.h"

#include <array>

namespace wa::binary {
namespace {

// Implied AD_JID domain for a server, or -1 for servers AD_JID cannot express.
int implied_domain(std::string_view server) {
  if (server == kUserServer) return kDomainWhatsApp;
  if (server == kLidServer) return kDomainLid;
  if (server == kHostedServer) return kDomainHosted;
  if (server == kHostedLidServer) return kDomainHostedLid;
  return -1;
}

bool is_known_server(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kServers = {
      kUserServer,    kLidServer,       kGroupServer,      kBroadcastServer,
      kHostedServer,  kHostedLidServer, kLegacyUserServer, kNewsletterServer,
      kInteropServer, kMessengerServer, kBotServer,        kCallServer};
  for (auto known : kServers) {
    if (s == known) return true;
  }
  return false;
}

// Plain decimal, no sign, no leading zeros (so the number prints back to the same text).
bool parse_decimal(std::string_view text, uint32_t max, uint32_t& out) {
  if (text.empty() || text.size() > 10) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string Jid::to_string() const {
  std::string out;
  out.reserve(user.size() + server.size() + 16);
  if (integrator != 0 && server == kInteropServer) {
    out += std::to_string(integrator);
    out += '-';
    out += user;
    out += ':';
    out += std::to_string(device);
  } else {
    out += user;
    if (agent != 0) {
      out += '_';
      out += std::to_string(agent);
    }
    if (device != 0) {
      out += ':';
      out += std::to_string(device);
    }
  }
  out += '@';
  out += server;
  return out;
}

bool Jid::is_user() const {
  if (user.empty()) return false;
  return server == kUserServer || server == kLidServer || server == kHostedServer ||
         server == kHostedLidServer || server == kLegacyUserServer;
}

Jid Jid::to_non_ad() const {
  Jid out;
  out.user = user;
  out.integrator = integrator;
  out.server = server;
  return out;
}

Jid Jid::with_device(uint16_t d) const {
  Jid out = *this;
  out.device = d;
  return out;
}

uint8_t Jid::domain() const {
  if (agent != 0) return agent;
  int implied = implied_domain(server);
  return implied < 0 ? 0 : static_cast<uint8_t>(implied);
}

Jid make_jid(std::string user, std::string_view server, uint16_t device) {
  Jid jid;
  jid.user = std::move(user);
  jid.device = device;
  jid.server = std::string(server);
  return jid;
}

Jid server_jid(std::string_view server) { return make_jid("", server); }

core::Result<Jid> parse_jid(std::string_view text) {
  size_t at = text.find('@');
  if (at == std::string_view::npos) {
    if (is_known_server(text)) return server_jid(text);
    return core::Status::invalid_argument("jid: no '@' in \"" + std::string(text) + "\"");
  }
  std::string_view server = text.substr(at + 1);
  if (server.empty()) return core::Status::invalid_argument("jid: empty server");
  if (server.find('@') != std::string_view::npos) {
    return core::Status::invalid_argument("jid: more than one '@'");
  }
  std::string_view user_part = text.substr(0, at);
  Jid jid;
  jid.server = std::string(server);

  size_t colon = user_part.find(':');
  if (colon != std::string_view::npos) {
    uint32_t device = 0;
    if (!parse_decimal(user_part.substr(colon + 1), 65535, device)) {
      return core::Status::invalid_argument("jid: bad device in \"" + std::string(text) + "\"");
    }
    jid.device = static_cast<uint16_t>(device);
    user_part = user_part.substr(0, colon);
  }

  if (server == kInteropServer) {
    size_t dash = user_part.find('-');
    uint32_t integrator = 0;
    if (dash != std::string_view::npos &&
        parse_decimal(user_part.substr(0, dash), 65535, integrator)) {
      jid.integrator = static_cast<uint16_t>(integrator);
      user_part = user_part.substr(dash + 1);
    }
    jid.user = std::string(user_part);
    return jid;
  }

  size_t underscore = user_part.find('_');
  if (underscore != std::string_view::npos && all_digits(user_part.substr(underscore + 1))) {
    uint32_t agent = 0;
    if (!parse_decimal(user_part.substr(underscore + 1), 255, agent)) {
      return core::Status::invalid_argument("jid: bad agent in \"" + std::string(text) + "\"");
    }
    int implied = implied_domain(server);
    if (implied < 0) {
      return core::Status::invalid_argument("jid: agent on a server without one: \"" +
                                            std::string(text) + "\"");
    }
    if (static_cast<int>(agent) != implied) {
      bool conflicts = server != kUserServer || agent == kDomainLid || agent == kDomainHosted ||
                       agent == kDomainHostedLid;
      if (conflicts) {
        return core::Status::invalid_argument("jid: agent conflicts with server in \"" +
                                              std::string(text) + "\"");
      }
      jid.agent = static_cast<uint8_t>(agent);
    }
    user_part = user_part.substr(0, underscore);
  }
  jid.user = std::string(user_part);
  return jid;
}

}  // namespace wa::binary
