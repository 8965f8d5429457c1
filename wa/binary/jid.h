// JIDs ("Jabber ids"): WhatsApp's addresses. `Jid` is the typed form; on the wire and inside
// `Node` attributes a JID travels as its string form, which the binary encoder turns into a
// JID_PAIR / AD_JID / FB_JID / INTEROP_JID token (docs/wa-protocol.md section 3.8).
//
// String forms (Baileys style, the form our decoder produces):
//   user@server            user:D@server (device 0 omitted)       user_A:D@s.whatsapp.net
//   @s.whatsapp.net        (a server JID: empty user; also accepted without the '@')
//   I-user:D@interop       (interop, integrator I; device always written)
// The agent ("_A") is only written when it is not implied by the server: lid implies 1, hosted
// 128, hosted.lid 129, s.whatsapp.net 0. parse_jid normalises an implied agent away.
//
// Ownership: plain value type. Threading: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace wa::binary {

inline constexpr std::string_view kUserServer = "s.whatsapp.net";
inline constexpr std::string_view kLidServer = "lid";
inline constexpr std::string_view kGroupServer = "g.us";
inline constexpr std::string_view kBroadcastServer = "broadcast";
inline constexpr std::string_view kHostedServer = "hosted";
inline constexpr std::string_view kHostedLidServer = "hosted.lid";
inline constexpr std::string_view kLegacyUserServer = "c.us";
inline constexpr std::string_view kNewsletterServer = "newsletter";
inline constexpr std::string_view kInteropServer = "interop";
inline constexpr std::string_view kMessengerServer = "msgr";
inline constexpr std::string_view kBotServer = "bot";
inline constexpr std::string_view kCallServer = "call";

// The status broadcast list ("status@broadcast").
inline constexpr std::string_view kStatusBroadcastUser = "status";

// AD_JID domain bytes (the "agent"): which server an AD_JID implies.
inline constexpr uint8_t kDomainWhatsApp = 0;
inline constexpr uint8_t kDomainLid = 1;
inline constexpr uint8_t kDomainHosted = 128;
inline constexpr uint8_t kDomainHostedLid = 129;

struct Jid {
  std::string user;
  uint8_t agent = 0;  // explicit agent/domain; 0 when implied by the server
  uint16_t device = 0;
  uint16_t integrator = 0;  // interop only
  std::string server;

  // Baileys-style string form (see the header comment); a server JID is "@server".
  std::string to_string() const;

  bool is_server() const { return user.empty(); }
  bool is_group() const { return server == kGroupServer; }
  bool is_lid() const { return server == kLidServer || server == kHostedLidServer; }
  // A person's account (phone-number or LID form, any device), not a group/broadcast/server.
  bool is_user() const;
  bool is_broadcast() const { return server == kBroadcastServer; }
  bool is_status_broadcast() const { return is_broadcast() && user == kStatusBroadcastUser; }
  bool is_newsletter() const { return server == kNewsletterServer; }
  bool is_hosted() const { return server == kHostedServer || server == kHostedLidServer; }

  // The account JID: device and agent dropped (user@server). Used to key per-user state.
  Jid to_non_ad() const;
  // Same user and server, given device.
  Jid with_device(uint16_t d) const;
  // The AD_JID domain byte: the explicit agent, else the one implied by the server (0 if none).
  uint8_t domain() const;

  friend bool operator==(const Jid&, const Jid&) = default;
};

// user@server with an optional device; agent/integrator stay 0.
Jid make_jid(std::string user, std::string_view server, uint16_t device = 0);
// The server JID for `server` ("@s.whatsapp.net" as a string).
Jid server_jid(std::string_view server = kUserServer);

// Parses any of the string forms above. Rejects: no '@' (unless the whole string is a known
// server name), an empty server, a second '@', a device that is not a decimal number < 65536,
// an agent that conflicts with the server (e.g. "u_5@lid"), or an agent on a server that has
// none (groups, broadcast, ...).
core::Result<Jid> parse_jid(std::string_view text);

}  // namespace wa::binary
