// The simulator's per-connection protocol intake, without sockets: bytes a client sends go in
// (intro header, Noise XX handshake frames, then encrypted transport frames) and a sequence of
// events comes out — a frame to write back (serverHello), the decrypted ClientPayload once the
// handshake finished, then one decoded binary node per transport frame. The outgoing direction
// (node → marshal → encrypt → frame) lives here too, because both directions share one
// TransportCipher. ws_server.cpp drives it from the WebSocket coroutine; the fuzzer and the unit
// tests drive it directly.
//
// Any failure (bad intro, oversized frame, bad handshake message, undecryptable frame, garbage
// node) is final: next() returns the error from then on and the caller must close the
// connection. Nothing here ever reads past its input or aborts on hostile bytes.
//
// Ownership: owns its parser, responder and cipher; the Random must outlive it.
// Threading: one connection, one thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "wa/binary/node.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"
#include "wa/noise/transport_cipher.h"

namespace sim {

struct IntakeEvent {
  enum class Kind {
    kWrite,          // `bytes` is a complete frame (3-byte length ‖ payload) to send as-is
    kClientPayload,  // the handshake finished: `bytes` = ClientPayload, `client_static` = key
    kNode,           // one decrypted, decoded transport frame
  };
  Kind kind = Kind::kWrite;
  core::Bytes bytes;
  core::Bytes client_static;
  wa::binary::Node node;
};

class ConnectionIntake {
 public:
  // Largest frame payload accepted from a client (the 3-byte length's maximum).
  static constexpr size_t kDefaultMaxFrame = wa::noise::kMaxFramePayload;

  ConnectionIntake(const crypto::KeyPair& static_key, core::Bytes cert_chain, core::Random& random,
                   size_t max_frame = kDefaultMaxFrame);

  // Appends bytes received from the client (one WebSocket message, or any slice of the stream).
  void feed(core::ByteView data);

  // The next event, std::nullopt when more bytes are needed, or the connection's fatal error.
  core::Result<std::optional<IntakeEvent>> next();

  // marshal + encrypt + frame one outgoing node. FailedPrecondition before the handshake
  // finished; after any failure the connection must be closed (the cipher's counter may be out
  // of step with the peer otherwise).
  core::Result<core::Bytes> encode_node(const wa::binary::Node& node);

  bool handshake_done() const { return cipher_.has_value(); }
  bool failed() const { return !error_.ok(); }
  // "intro", "client_hello", "client_finish" or "transport": where the stream is.
  std::string stage() const;
  uint64_t frames_in() const { return frames_in_; }

 private:
  enum class Stage { kHello, kFinish, kTransport };
  core::Status fail(core::Status status);

  wa::noise::FrameParser parser_;
  wa::noise::NoiseResponder responder_;
  std::optional<wa::noise::TransportCipher> cipher_;
  Stage stage_ = Stage::kHello;
  core::Status error_;
  uint64_t frames_in_ = 0;
};

}  // namespace sim
