// WhatsApp device JIDs ↔ Signal protocol addresses, with the LID-first rule.
//
// Naming (the same as Baileys and whatsmeow, so stores stay comparable): the Signal name is the
// bare user for phone-number JIDs, "user_1" for LID, "user_128" for hosted, "user_129" for
// hosted LID; the device id is the WhatsApp device number (0 when the JID has none).
// LID-first: sessions and sender keys are keyed by the LID address whenever the PN→LID mapping is
// known, otherwise a pkmsg arriving under a PN `from` and a later msg under the LID `from` would
// look up different session records.
//
// Only user device JIDs are accepted ("user[_agent][:device]@server" with server s.whatsapp.net,
// c.us, lid, hosted or hosted.lid), as strings or as wa::binary::Jid values from decoded nodes.
//
// Threading: pure functions, except preferred_address(…, LidMappingStore&) which may block on
// the store (see wa/store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "wa/binary/jid.h"
#include "wa/store/device_store.h"
#include "wa/store/signal_store.h"

namespace wa::signal {

using Address = store::SignalAddress;
using SenderKeyName = store::SenderKeyName;

// WhatsApp's "agent"/domain numbers (AD_JID domain byte).
enum class Domain : uint8_t { kWhatsApp = 0, kLid = 1, kHosted = 128, kHostedLid = 129 };

// The hosted (Cloud API) device number; only valid under hosted servers.
constexpr uint32_t kHostedDevice = 99;

struct DeviceJid {
  std::string user;  // bare user part, no agent, no device
  Domain domain = Domain::kWhatsApp;
  uint32_t device = 0;
  friend bool operator==(const DeviceJid&, const DeviceJid&) = default;
};

// Parses "user[_agent][:device]@server". InvalidArgument for other servers (groups, broadcast,
// newsletters…), empty users, malformed devices/agents, or device 99 outside hosted servers.
core::Result<DeviceJid> parse_device_jid(std::string_view jid);
// The same checks on a parsed JID (e.g. a node's `from` / `participant` attribute).
core::Result<DeviceJid> to_device_jid(const binary::Jid& jid);

// The server name for a domain: s.whatsapp.net, lid, hosted, hosted.lid.
std::string_view domain_server(Domain domain);

// "user" / "user_1" / "user_128" / "user_129".
std::string signal_name(std::string_view user, Domain domain);

Address to_address(const DeviceJid& jid);
core::Result<Address> address_from_jid(std::string_view jid);
core::Result<Address> address_from_jid(const binary::Jid& jid);

// Inverse of to_address: "user_1" device 3 → {user, kLid, 3}. InvalidArgument for a name with an
// unknown domain suffix.
core::Result<DeviceJid> parse_address(const Address& address);
// "user:3@lid" (device 0 written without ":0").
core::Result<std::string> jid_from_address(const Address& address);
std::string to_jid(const DeviceJid& jid);

// LID-first selection: a PN (or hosted PN) JID becomes the LID (hosted LID) address of the same
// device when `lid_user` is known; LID JIDs and unknown mappings are used as they are.
Address preferred_address(const DeviceJid& jid, const std::optional<std::string>& lid_user);
// The same, parsing `jid` and looking the mapping up (PN user → LID user).
core::Result<Address> preferred_address(std::string_view jid, store::LidMappingStore& mapping);
core::Result<Address> preferred_address(const binary::Jid& jid, store::LidMappingStore& mapping);

// The sender-key storage key: {group JID as given ("123@g.us"), sender device address}.
inline SenderKeyName sender_key_name(std::string_view group_jid, const Address& sender) {
  return SenderKeyName{std::string(group_jid), sender};
}

}  // namespace wa::signal
