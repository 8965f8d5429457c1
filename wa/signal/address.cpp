#include "wa/signal/address.h"

#include <charconv>

namespace wa::signal {

namespace {

constexpr size_t kMaxUserLength = 64;
constexpr uint32_t kMaxDevice = 0xFFFF;

core::Result<uint32_t> parse_number(std::string_view text, uint32_t max, std::string_view what) {
  uint32_t value = 0;
  if (text.empty() || text.size() > 10) {
    return core::Status::invalid_argument("bad " + std::string(what) + " in JID");
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > max) {
    return core::Status::invalid_argument("bad " + std::string(what) + " in JID");
  }
  return value;
}

core::Status check_user(std::string_view user) {
  if (user.empty()) return core::Status::invalid_argument("JID has an empty user");
  if (user.size() > kMaxUserLength) return core::Status::invalid_argument("JID user too long");
  for (char c : user) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '.';
    if (!ok) return core::Status::invalid_argument("JID user has an invalid character");
  }
  return core::Status();
}

core::Result<Domain> domain_from_number(uint32_t n) {
  switch (n) {
    case 0:
      return Domain::kWhatsApp;
    case 1:
      return Domain::kLid;
    case 128:
      return Domain::kHosted;
    case 129:
      return Domain::kHostedLid;
    default:
      return core::Status::invalid_argument("unknown JID domain " + std::to_string(n));
  }
}

bool is_hosted(Domain d) { return d == Domain::kHosted || d == Domain::kHostedLid; }

}  // namespace

core::Result<DeviceJid> parse_device_jid(std::string_view jid) {
  const size_t at = jid.find('@');
  if (at == std::string_view::npos) return core::Status::invalid_argument("JID without '@'");
  const std::string_view server = jid.substr(at + 1);
  std::string_view user_part = jid.substr(0, at);

  std::optional<Domain> server_domain;
  if (server == "s.whatsapp.net" || server == "c.us") {
    server_domain = std::nullopt;  // the agent suffix, if any, decides
  } else if (server == "lid") {
    server_domain = Domain::kLid;
  } else if (server == "hosted") {
    server_domain = Domain::kHosted;
  } else if (server == "hosted.lid") {
    server_domain = Domain::kHostedLid;
  } else {
    return core::Status::invalid_argument("not a user device JID: server '" + std::string(server) +
                                          "'");
  }

  DeviceJid out;
  if (const size_t colon = user_part.find(':'); colon != std::string_view::npos) {
    CORE_ASSIGN_OR_RETURN(out.device,
                          parse_number(user_part.substr(colon + 1), kMaxDevice, "device"));
    user_part = user_part.substr(0, colon);
  }
  std::optional<Domain> agent_domain;
  if (const size_t underscore = user_part.find('_'); underscore != std::string_view::npos) {
    CORE_ASSIGN_OR_RETURN(uint32_t agent,
                          parse_number(user_part.substr(underscore + 1), 255, "agent"));
    CORE_ASSIGN_OR_RETURN(agent_domain, domain_from_number(agent));
    user_part = user_part.substr(0, underscore);
  }
  CORE_RETURN_IF_ERROR(check_user(user_part));
  out.user = std::string(user_part);
  // The server name wins over an agent suffix (as in Baileys); on s.whatsapp.net the agent is
  // the only hint.
  out.domain = server_domain.value_or(agent_domain.value_or(Domain::kWhatsApp));
  if (out.device == kHostedDevice && !is_hosted(out.domain)) {
    return core::Status::invalid_argument("device 99 outside a hosted server");
  }
  return out;
}

core::Result<DeviceJid> to_device_jid(const binary::Jid& jid) {
  // One parser for both forms keeps the accepted set identical.
  return parse_device_jid(jid.to_string());
}

std::string_view domain_server(Domain domain) {
  switch (domain) {
    case Domain::kLid:
      return "lid";
    case Domain::kHosted:
      return "hosted";
    case Domain::kHostedLid:
      return "hosted.lid";
    case Domain::kWhatsApp:
      break;
  }
  return "s.whatsapp.net";
}

std::string signal_name(std::string_view user, Domain domain) {
  std::string name(user);
  if (domain != Domain::kWhatsApp) {
    name += '_';
    name += std::to_string(static_cast<unsigned>(domain));
  }
  return name;
}

Address to_address(const DeviceJid& jid) {
  return Address{signal_name(jid.user, jid.domain), jid.device};
}

core::Result<Address> address_from_jid(std::string_view jid) {
  CORE_ASSIGN_OR_RETURN(DeviceJid parsed, parse_device_jid(jid));
  return to_address(parsed);
}

core::Result<Address> address_from_jid(const binary::Jid& jid) {
  return address_from_jid(jid.to_string());
}

core::Result<DeviceJid> parse_address(const Address& address) {
  std::string_view name = address.name;
  DeviceJid out;
  out.device = address.device_id;
  if (const size_t underscore = name.find('_'); underscore != std::string_view::npos) {
    CORE_ASSIGN_OR_RETURN(uint32_t n, parse_number(name.substr(underscore + 1), 255, "domain"));
    CORE_ASSIGN_OR_RETURN(out.domain, domain_from_number(n));
    name = name.substr(0, underscore);
  }
  CORE_RETURN_IF_ERROR(check_user(name));
  if (out.device > kMaxDevice) return core::Status::invalid_argument("device id too large");
  out.user = std::string(name);
  return out;
}

std::string to_jid(const DeviceJid& jid) {
  std::string out = jid.user;
  if (jid.device != 0) {
    out += ':';
    out += std::to_string(jid.device);
  }
  out += '@';
  out += domain_server(jid.domain);
  return out;
}

core::Result<std::string> jid_from_address(const Address& address) {
  CORE_ASSIGN_OR_RETURN(DeviceJid parsed, parse_address(address));
  return to_jid(parsed);
}

Address preferred_address(const DeviceJid& jid, const std::optional<std::string>& lid_user) {
  if (lid_user.has_value() && !lid_user->empty()) {
    if (jid.domain == Domain::kWhatsApp) {
      return to_address(DeviceJid{*lid_user, Domain::kLid, jid.device});
    }
    if (jid.domain == Domain::kHosted) {
      return to_address(DeviceJid{*lid_user, Domain::kHostedLid, jid.device});
    }
  }
  return to_address(jid);
}

core::Result<Address> preferred_address(std::string_view jid, store::LidMappingStore& mapping) {
  CORE_ASSIGN_OR_RETURN(DeviceJid parsed, parse_device_jid(jid));
  if (parsed.domain == Domain::kLid || parsed.domain == Domain::kHostedLid) {
    return to_address(parsed);
  }
  CORE_ASSIGN_OR_RETURN(std::optional<std::string> lid, mapping.lid_for_pn(parsed.user));
  return preferred_address(parsed, lid);
}

}  // namespace wa::signal

namespace wa::signal {

core::Result<Address> preferred_address(const binary::Jid& jid, store::LidMappingStore& mapping) {
  return preferred_address(jid.to_string(), mapping);
}

}  // namespace wa::signal
