// wa::Client: one linked WhatsApp account (one companion device). It links (QR or phone code),
// logs in, stays linked (keepalive, classified disconnects, capped exponential backoff with
// jitter), keeps pre-keys topped up, discovers devices (usync, cached, invalidated by
// notifications), and sends and receives every message kind a gateway needs, 1:1 and in groups,
// with receipts, retries, media and presence. See docs/protocol-client.md for a usage example.
//
// Guarantees:
//  * Outgoing: a message accepted by send() stays in the OutboundQueue until the server acked it;
//    it is (re)sent after every reconnect, with the same id, one message at a time in order.
//  * Incoming: stanzas are processed in arrival order. A message is decrypted into a store
//    Transaction, the MessageEvent is emitted, the Transaction is committed, and only then is
//    the receipt sent — so a crash can repeat an event (at-least-once) but never lose a ratchet
//    step or a message. Duplicates (same sender + id) within a run are delivered once.
//  * Decryption failures ask the sender for a retry (up to 5 times, with fresh keys from the
//    2nd); retry requests from peers are answered by re-encrypting to that device.
//  * Addresses are LID-first: Signal sessions and sender keys are keyed by the LID whenever the
//    PN↔LID mapping is known; mappings are learned from usync, success, pair-success and the
//    sender_lid / participant_pn attributes of incoming stanzas.
//
// Ownership: the Client holds references to everything in ClientDeps; they must outlive it.
// Threading: a Client lives on one executor (the one its Scheduler and TransportFactory use).
// Call every method from that executor. Many clients can share one io_context (give each a
// strand). Store work goes through deps.store_executor.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "proto/message.pb.h"
#include "wa/binary/node.h"
#include "wa/client/events.h"
#include "wa/client/media.h"
#include "wa/client/messages.h"
#include "wa/client/policy.h"
#include "wa/client/runtime.h"
#include "wa/pairing/credentials.h"
#include "wa/store/device_store.h"
#include "wa/transport/channel.h"
#include "wa/transport/scheduler.h"
#include "wa/transport/transport.h"

namespace wa::client {

struct ClientConfig {
  pairing::DeviceConfig device;
  BackoffPolicy backoff;
  std::chrono::milliseconds iq_timeout{30000};
  std::chrono::milliseconds keepalive_interval{25000};
  std::chrono::milliseconds keepalive_timeout{10000};  // a ping unanswered this long = dead
  std::chrono::milliseconds send_ack_timeout{30000};   // no server ack: reconnect and resend
  std::chrono::milliseconds device_cache_ttl{3600000};
  uint32_t initial_pre_keys = 812;
  uint32_t replenish_pre_keys = 50;
  uint32_t min_pre_keys = 5;
  uint32_t max_retries = 5;
  bool reconnect = true;  // false: stop after the first disconnect (tests, one-shot tools)
};

struct ClientDeps {
  transport::Scheduler& scheduler;
  transport::TransportFactory& transports;
  store::DeviceStore& store;
  EventHandler& events;
  core::Clock& clock;
  core::Random& random;
  StoreExecutor* store_executor = nullptr;  // default: inline
  OutboundQueue* outbox = nullptr;          // default: an in-memory queue owned by the client
  transport::HttpClient* http = nullptr;    // media; media calls fail without it
};

enum class ParticipantAction { kAdd, kRemove, kPromote, kDemote };

class Client {
 public:
  Client(ClientConfig config, ClientDeps deps);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Loads (or creates) the device's credentials and connects: login if paired, registration
  // (QR events) otherwise. Also restarts a client that stopped.
  void connect();
  // Closes the connection; no reconnect until connect().
  void disconnect();
  ConnectionState state() const;
  bool paired() const;
  std::string own_jid() const;  // "PN:D@s.whatsapp.net" once paired
  std::string own_lid() const;  // "LID:D@lid" once known

  // On a registration connection (state kPairing): asks the server for a pairing code for
  // `phone` (digits). `done` gets the 8-character code to type on the phone.
  void request_pair_code(const std::string& phone,
                         std::function<void(core::Result<std::string>)> done);
  // Unlinks this device (remove-companion-device), then reports kLoggedOut.
  void logout(std::function<void(core::Status)> done = {});

  // Queues a message for `to` (user JID in PN or LID form, or group JID) and returns its id.
  // The result arrives as a SendResultEvent (server ack or permanent failure).
  std::string send(const std::string& to, const waproto::Message& message, std::string id = {});
  size_t pending_sends() const;

  // Read receipts for messages of `chat` (participant = sender in groups).
  void mark_read(const std::string& chat, const std::string& participant,
                 const std::vector<std::string>& ids);
  void send_presence(bool available);
  void subscribe_presence(const std::string& jid);
  // state: "composing" or "paused"; media "audio" for recording.
  void send_chat_state(const std::string& to, const std::string& state,
                       const std::string& media = {});

  // Media (needs deps.http).
  void upload_media(MediaKind kind, core::Bytes data,
                    std::function<void(core::Result<UploadedMedia>)> done);
  void download_media(const UploadedMedia& media,
                      std::function<void(core::Result<core::Bytes>)> done);

  // Groups.
  void create_group(const std::string& subject, const std::vector<std::string>& participants,
                    std::function<void(core::Result<GroupInfo>)> done);
  void group_metadata(const std::string& group, bool refresh,
                      std::function<void(core::Result<GroupInfo>)> done);
  // Result: per participant JID, the error code the server reported (0 = ok).
  void update_group_participants(
      const std::string& group, ParticipantAction action, const std::vector<std::string>& jids,
      std::function<void(core::Result<std::vector<std::pair<std::string, int>>>)> done);
  void leave_group(const std::string& group, std::function<void(core::Status)> done);
  void set_group_subject(const std::string& group, const std::string& subject,
                         std::function<void(core::Status)> done);

  // A raw IQ (an id is assigned when absent); result or error node, or a Status on timeout.
  void query(binary::Node iq, std::function<void(core::Result<binary::Node>)> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wa::client
