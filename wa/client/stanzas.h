// Builders and parsers for the IQ and receipt stanzas the client exchanges (pre-key upload and
// key fetch §6, usync §7, groups §9.2, retry receipts §8.6), as pure functions over binary
// nodes so they are unit-tested without a connection. Parsers are strict about what they need
// and ignore what they do not know; malformed input is an error Status, never a crash.
//
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "wa/binary/node.h"
#include "wa/client/events.h"
#include "wa/signal/keys.h"
#include "wa/store/device_store.h"

namespace wa::client {

using binary::Node;

// Server JID string used in "to" attributes.
inline constexpr const char* kServerJid = "@s.whatsapp.net";

Node make_iq(std::string id, std::string to, std::string type, std::string xmlns,
             Node::Children children = {});

// <iq xmlns=encrypt type=set> with registration, type, identity, list of keys, skey.
Node build_prekey_upload(const std::string& id, const store::DeviceCredentials& creds,
                         const std::vector<signal::PreKey>& keys);

struct FetchedBundle {
  std::string jid;  // as echoed by the server
  signal::PreKeyBundle bundle;
};
// <iq type=result><list><user jid>…</user>…</list></iq>. Users with an <error> are skipped.
core::Result<std::vector<FetchedBundle>> parse_key_bundles(const Node& result);

struct UsyncDevice {
  uint32_t id = 0;
  uint32_t key_index = 0;
};
struct UsyncUser {
  std::string jid;  // as the server listed it (PN or LID user JID)
  std::string lid;  // LID user JID from <lid val>, if any
  std::vector<UsyncDevice> devices;
  bool has_devices = false;
};
Node build_usync_query(const std::string& id, const std::string& sid,
                       const std::vector<std::string>& user_jids, const std::string& context,
                       bool devices, bool lid);
core::Result<std::vector<UsyncUser>> parse_usync(const Node& result);

// Parses a <group> node (metadata / create result).
core::Result<GroupInfo> parse_group(const Node& group);

// <receipt type=retry> for a message we failed to decrypt (keys included from count 2).
struct RetryReceiptParams {
  std::string id;
  std::string to;
  std::string participant;
  std::string recipient;
  std::string original_t;
  uint32_t count = 1;
  uint32_t registration_id = 0;
  // With keys:
  const store::DeviceCredentials* creds = nullptr;
  std::optional<signal::PreKey> pre_key;
};
Node build_retry_receipt(const RetryReceiptParams& p);

// The keys of a received retry receipt (<keys> child), when the requester included them.
std::optional<signal::PreKeyBundle> parse_retry_keys(const Node& receipt, uint32_t device_id);

// uint from an attribute (0 when absent or malformed).
uint64_t attr_uint(const Node& n, std::string_view key);

}  // namespace wa::client
