// Transport: one authenticated WhatsApp chat connection carrying binary nodes. NoiseTransport
// implements it over a WebSocketChannel: intro header, 3-byte framing (byte-stream parsing,
// since frames may be split or coalesced across WebSocket messages), the Noise XX initiator with
// certificate-chain verification against the configured root, then AES-GCM frames of nodes.
// The whole connect (TCP/TLS/upgrade + Noise) is bounded by config.connect_timeout.
//
// The protocol client only sees Transport / TransportFactory, so its tests can plug in a fake
// that speaks nodes directly.
//
// Listener rules: on_open then any number of on_node, or on_closed at any time; after on_closed
// (or close()/destruction) nothing more is delivered. Callbacks never run inline inside
// start()/send()/close().
//
// Ownership: the client owns the Transport; the Transport owns its channel.
// Threading: one executor (the client's); the Scheduler must be on the same executor.
#pragma once

#include <memory>
#include <optional>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "wa/binary/node.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"
#include "wa/noise/transport_cipher.h"
#include "wa/transport/channel.h"
#include "wa/transport/config.h"
#include "wa/transport/scheduler.h"

namespace wa::transport {

class Transport {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_open() = 0;
    virtual void on_node(binary::Node node) = 0;
    // Why the connection ended: DeadlineExceeded (connect/handshake timeout), Unauthenticated
    // (certificate chain or frame MAC failed), Unavailable (network), InvalidArgument (bad
    // frame from the server).
    virtual void on_closed(core::Status reason) = 0;
  };
  virtual ~Transport() = default;
  virtual void start(Listener* listener) = 0;
  // Queues a node; dropped silently if the connection is not open.
  virtual void send(const binary::Node& node) = 0;
  virtual void close() = 0;
};

struct ConnectParams {
  crypto::KeyPair noise_key;
  core::Bytes client_payload;  // serialized ClientPayload (login or registration)
  core::Bytes routing_info;    // edge routing hint from a previous session, may be empty
};

class TransportFactory {
 public:
  virtual ~TransportFactory() = default;
  virtual std::unique_ptr<Transport> create(const ConnectParams& params) = 0;
};

class NoiseTransport final : public Transport {
 public:
  NoiseTransport(std::unique_ptr<WebSocketChannel> channel, const TransportConfig& config,
                 ConnectParams params, Scheduler& scheduler, core::Clock& clock,
                 core::Random& random);
  ~NoiseTransport() override;

  void start(Listener* listener) override;
  void send(const binary::Node& node) override;
  void close() override;

 private:
  void on_channel_open(core::Status status);
  void on_channel_message(core::Bytes data);
  void fail(core::Status status);

  std::unique_ptr<WebSocketChannel> channel_;
  std::chrono::milliseconds connect_timeout_;
  ConnectParams params_;
  Scheduler& scheduler_;
  std::unique_ptr<noise::NoiseInitiator> initiator_;
  std::optional<noise::TransportCipher> cipher_;
  noise::FrameParser parser_;
  std::unique_ptr<Timer> timeout_;
  Listener* listener_ = nullptr;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Creates NoiseTransports over channels from `channels`.
class NoiseTransportFactory final : public TransportFactory {
 public:
  NoiseTransportFactory(ChannelFactory& channels, TransportConfig config, Scheduler& scheduler,
                        core::Clock& clock, core::Random& random)
      : channels_(channels),
        config_(std::move(config)),
        scheduler_(scheduler),
        clock_(clock),
        random_(random) {}
  std::unique_ptr<Transport> create(const ConnectParams& params) override;

 private:
  ChannelFactory& channels_;
  TransportConfig config_;
  Scheduler& scheduler_;
  core::Clock& clock_;
  core::Random& random_;
};

}  // namespace wa::transport
