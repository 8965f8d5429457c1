// The WhatsApp server simulator's protocol core: accounts, devices, pairing, pre-keys, usync,
// message routing, receipts, groups, offline queues, virtual contacts and fault injection —
// everything a real WhatsApp server does after the Noise handshake, as pure logic over binary
// nodes. It owns no sockets: the network shell (ws_server, control_api, media_server) feeds it
// events and gives it a ConnectionSink per connection to write to.
//
// Ownership: the shell owns the Simulator and every ConnectionSink; the Simulator keeps
// shared_ptrs to sinks only while their connection is open (until on_disconnected).
// Threading: single-threaded. Every method, every sink call and every Scheduler callback runs on
// the shell's one io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "wa/binary/node.h"

namespace sim {

using ConnId = uint64_t;

// One client connection as the core sees it (after the Noise handshake).
class ConnectionSink {
 public:
  virtual ~ConnectionSink() = default;
  // Encrypts and writes one node (frames are written in call order).
  virtual void send(const wa::binary::Node& node) = 0;
  // Flushes what was sent, then closes the connection. The shell then calls on_disconnected.
  virtual void close() = 0;
  // Closes the TCP connection at once, without flushing or a WebSocket close (fault "drop").
  virtual void drop() = 0;
};

// Timers for the core (QR ref rotation, delay faults, pre-key low notifications…).
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

struct SimulatorConfig {
  std::string state_dir = "./data/sim";  // SQLite state + root key + media CA live here
  bool ephemeral = false;                // keep everything in memory
  std::string media_host;                // "127.0.0.1:PORT" handed out in media_conn
  int refs_per_pair_device = 6;
};

enum class VirtualKind { kNone, kEcho, kSilent };

struct AccountInfo {
  std::string phone;  // digits only, E.164 without '+'
  std::string lid;    // digits only
  std::string name;
  VirtualKind virtual_kind = VirtualKind::kNone;
  struct Device {
    uint16_t id = 0;
    std::string jid;  // PN device JID
    bool online = false;
  };
  std::vector<Device> devices;
};

struct Fault {
  enum class Kind { kDrop, kStreamError, kDelay, kRejectLogin };
  Kind kind = Kind::kDrop;
  std::optional<std::string> phone;  // only connections of this account; all when empty
  int code = 0;                      // stream_error / reject_login code (default 503 / 401)
  int ms = 0;                        // delay per outgoing frame
  int count = 1;                     // how many connections (or logins) it applies to
};

struct Stats {
  uint64_t connections_open = 0;
  uint64_t connections_total = 0;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t messages_routed = 0;
  uint64_t messages_queued = 0;  // currently waiting in offline queues
};

// Result of a media upload, as the HTTPS media server answers it.
struct MediaUploadResult {
  std::string url;          // https://<media_host><direct_path>
  std::string direct_path;  // /v/t62.../<name>.enc?ccb=...
};

class Simulator {
 public:
  static core::Result<std::unique_ptr<Simulator>> open(SimulatorConfig config, core::Clock& clock,
                                                       core::Random& random,
                                                       Scheduler& scheduler);
  virtual ~Simulator() = default;

  // --- Noise identity (the shell runs the responder with these) ---
  virtual const crypto::KeyPair& noise_static_key() const = 0;
  virtual core::Bytes cert_chain() const = 0;  // serialized CertChain for the static key
  virtual core::ByteView root_public_key() const = 0;

  // --- Connection lifecycle, called by the shell ---
  virtual ConnId on_connected(std::shared_ptr<ConnectionSink> sink) = 0;
  // The decrypted ClientPayload bytes and the client's Noise static public key.
  virtual void on_client_payload(ConnId conn, core::ByteView client_static,
                                 core::ByteView client_payload) = 0;
  virtual void on_node(ConnId conn, const wa::binary::Node& node) = 0;
  virtual void on_disconnected(ConnId conn) = 0;
  // Delay (ms) the shell applies before writing each outgoing frame of this connection.
  virtual int outgoing_delay_ms(ConnId conn) const = 0;

  // --- Control API ---
  virtual core::Result<AccountInfo> create_account(const std::string& phone,
                                                   const std::string& name,
                                                   VirtualKind kind) = 0;
  virtual std::vector<AccountInfo> list_accounts() const = 0;
  // Completes asynchronously: `done` gets the new companion's device JID once its
  // pair-device-sign verified, NotFound for an unknown ref, FailedPrecondition ("expired") for
  // an expired ref, or another error.
  virtual void scan_qr(const std::string& phone, const std::string& qr,
                       std::function<void(core::Result<std::string>)> done) = 0;
  virtual void enter_pair_code(const std::string& phone, const std::string& code,
                               std::function<void(core::Result<std::string>)> done) = 0;
  virtual core::Status remove_device(const std::string& phone, uint16_t device) = 0;
  virtual core::Status virtual_send(const std::string& phone, const std::string& to,
                                    const std::string& text) = 0;
  virtual void add_fault(const Fault& fault) = 0;
  virtual Stats stats() const = 0;

  // --- Media server ---
  virtual core::Result<MediaUploadResult> media_upload(const std::string& media_type,
                                                       const std::string& token,
                                                       const std::string& auth,
                                                       core::Bytes body) = 0;
  // `path_and_query` as requested (direct path, with or without query).
  virtual core::Result<core::Bytes> media_download(const std::string& path_and_query) = 0;
};

}  // namespace sim
