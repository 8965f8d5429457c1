// Events a wa::Client reports to its owner (the gateway, a test tool): plain structs delivered
// through one EventHandler interface. Every handler method has an empty default, so an owner
// overrides only what it needs.
//
// Ordering: events of one client are delivered one at a time, on the client's executor, in the
// order the client processed the stanzas that caused them. Incoming messages of one chat keep
// the server's order. Delivery is at-least-once: a MessageEvent is emitted before the Signal
// state of its decryption is committed and before the server gets our receipt, so after a
// crash in between the same message may be emitted again (same id) — never lost. Within one
// process run, duplicates of an id from the same sender are suppressed.
//
// Ownership: events are values; handlers must not keep references into them.
// Threading: handlers run on the client's executor and must not block it. A handler may call
// any Client method (calls made from inside a handler take effect after it returns).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/message.pb.h"

namespace wa::client {

enum class ConnectionState {
  kDisconnected,  // not connected; a reconnect may be scheduled (see reconnect_in)
  kConnecting,    // transport + Noise handshake in progress
  kPairing,       // registration connection: QR codes / pair code flow
  kConnected,     // logged in, pre-keys checked, ready to send
  kLoggedOut,     // terminal: the device was unlinked (or we logged out); credentials are void
  kReplaced,      // terminal: another connection took over this device (conflict / 440)
  kStopped,       // terminal until connect(): disconnect() was called or a fatal failure
};

enum class DisconnectReason {
  kNone,
  kNetwork,          // TCP/TLS/WebSocket failure or the server closed the socket
  kTimeout,          // connect/handshake timeout or a dead connection (keepalive)
  kBadCertificate,   // the Noise certificate chain did not verify: refused, no reconnect
  kLoggedOut,        // failure 401/403/406 or stream:error 401 (device_removed)
  kReplaced,         // stream:error conflict replaced (Baileys' 440)
  kRestartRequired,  // stream:error 515 (after pairing): reconnect at once
  kServerError,      // 5xx failure or stream error: reconnect with backoff
  kTemporaryBan,     // failure 402
  kClientOutdated,   // failure 405: the configured version is refused
  kQrTimeout,        // every QR ref expired without a scan
  kPairingFailed,    // pair-success did not verify (HMAC / signature)
  kProtocolError,    // undecodable frames or another failure code
  kUserRequested,    // disconnect() / logout()
};

const char* to_string(ConnectionState s);
const char* to_string(DisconnectReason r);

struct ConnectionEvent {
  ConnectionState state = ConnectionState::kDisconnected;
  DisconnectReason reason = DisconnectReason::kNone;
  int code = 0;        // failure reason / stream:error code when the server gave one
  std::string detail;  // human-readable cause
  std::chrono::milliseconds reconnect_in{0};  // for kDisconnected with a scheduled reconnect
  uint32_t attempt = 0;                       // reconnect attempt number (1, 2, …)
};

// A QR code to show; valid until expires_at_unix (rotation: 60 s, then 20 s each).
struct QrEvent {
  std::string code;  // the string to encode (render with wa/pairing/qr.h)
  int64_t expires_at_unix = 0;
  size_t index = 0;
  size_t total = 0;
};

struct PairedEvent {
  std::string jid;       // our device JID "PN:D@s.whatsapp.net"
  std::string lid;       // "LID:D@lid"
  std::string platform;  // the phone's platform ("android", "smba", …)
  std::string business_name;
};

struct LoggedOutEvent {
  int code = 0;
  std::string detail;
};

// Where and from whom a message came.
struct MessageInfo {
  std::string id;
  std::string chat;        // the conversation: peer user JID, group JID, or our peer for DSM
  std::string sender;      // the sending device JID as on the stanza (PN or LID form)
  std::string sender_pn;   // sender's phone-number user JID, when known
  std::string sender_lid;  // sender's LID user JID, when known
  std::string push_name;
  int64_t timestamp = 0;  // unix seconds (server)
  bool from_me = false;   // sent by another device of our own account
  bool is_group = false;
  bool offline = false;  // delivered from the offline queue
  std::string type;      // stanza type: text, media, reaction, …
  std::string edit;      // stanza edit attribute ("1" edit, "7" revoke, "8" admin revoke)
};

struct MessageEvent {
  MessageInfo info;
  waproto::Message message;  // decoded; wrappers (ephemeral, view-once, DSM…) removed
  bool view_once = false;
  bool ephemeral = false;
};

// A message we could not decrypt after the retries we asked for (or one we cannot retry).
struct UndecryptableEvent {
  MessageInfo info;
  std::string error;
  uint32_t retry_count = 0;
};

// A receipt for messages we sent (or our own devices' read marks).
struct ReceiptEvent {
  std::string chat;         // from: peer or group
  std::string participant;  // in groups: who sent the receipt
  std::string recipient;
  std::vector<std::string> ids;
  std::string type;  // "" delivered, read, read-self, played, sender, inactive, retry, …
  int64_t timestamp = 0;
};

// The server's verdict on a message we sent.
struct SendResultEvent {
  std::string id;
  std::string chat;
  bool ok = true;
  int error_code = 0;  // ack error / local failure
  std::string detail;
  int64_t server_timestamp = 0;
};

struct GroupParticipant {
  std::string jid;           // as listed (LID in lid-addressed groups)
  std::string phone_number;  // PN JID when the server gave it
  std::string lid;
  std::string role;  // "", "admin", "superadmin"
};

struct GroupInfo {
  std::string jid;  // "id@g.us"
  std::string subject;
  std::string owner;
  int64_t creation = 0;
  std::string addressing_mode;  // "lid" or "pn"
  std::vector<GroupParticipant> participants;
};

struct GroupEvent {
  std::string group;
  std::string actor;
  std::string action;  // create, add, remove, promote, demote, subject, leave, …
  std::vector<std::string> participants;
  std::string subject;
  int64_t timestamp = 0;
};

struct IdentityChangeEvent {
  std::string jid;  // the user whose identity key changed (device JID when known)
};

struct PresenceEvent {
  std::string from;
  bool available = false;
  int64_t last_seen = 0;
};

struct ChatStateEvent {
  std::string chat;
  std::string sender;
  std::string state;  // composing, paused
  std::string media;  // "audio" when recording
};

// The server finished handing over what queued up while this device was offline (messages,
// receipts, notifications: all of them were dispatched before this event). Sent after every
// login; `count` is the number of stanzas the server says it delivered.
struct OfflineSyncEvent {
  uint32_t count = 0;
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_connection(const ConnectionEvent&) {}
  virtual void on_qr(const QrEvent&) {}
  virtual void on_paired(const PairedEvent&) {}
  virtual void on_logged_out(const LoggedOutEvent&) {}
  virtual void on_message(const MessageEvent&) {}
  virtual void on_undecryptable(const UndecryptableEvent&) {}
  virtual void on_receipt(const ReceiptEvent&) {}
  virtual void on_send_result(const SendResultEvent&) {}
  virtual void on_group(const GroupEvent&) {}
  virtual void on_identity_change(const IdentityChangeEvent&) {}
  virtual void on_presence(const PresenceEvent&) {}
  virtual void on_chat_state(const ChatStateEvent&) {}
  virtual void on_offline_sync(const OfflineSyncEvent&) {}
};

}  // namespace wa::client
