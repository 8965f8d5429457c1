// The two roles of WhatsApp's Noise XX handshake (wa-protocol.md §1.4) as small state machines
// over frame payloads: they take and return serialized HandshakeMessage protobufs and never see
// sockets, framing or the intro header (see frame.h). The initiator is our client and verifies
// the server's certificate chain against a configured root; the responder is the simulator and
// presents a chain made by create_cert_chain.
//
//   client                                   server
//   client_hello()          ── clientHello ─▶ on_client_hello()
//   on_server_hello(msg,p)  ◀─ serverHello ──
//                           ── clientFinish ▶ on_client_finish() → ClientPayload bytes
//   finish() → cipher                         finish() → cipher
//
// Calls out of this order return FailedPrecondition. Any failure is final: the object refuses
// all further calls and the connection must be closed.
//
// Ownership: each role owns its keys, its HandshakeState and a copy of the root / chain; the
// Clock and Random references must outlive it.
// Threading: one handshake, one thread.
#pragma once

#include <optional>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "wa/noise/handshake_state.h"
#include "wa/noise/transport_cipher.h"

namespace wa::noise {

class NoiseInitiator {
 public:
  // static_key is the client's long-lived noise key; trusted_root the 32-byte root public key
  // the server's chain must chain to (kWhatsAppRootKey in production).
  NoiseInitiator(crypto::KeyPair static_key, core::ByteView trusted_root, core::Clock& clock,
                 core::Random& random);

  // Generates the ephemeral key and returns HandshakeMessage{clientHello{ephemeral}}. The caller
  // sends make_intro() ‖ make_frame(result) as the first bytes on the wire.
  core::Result<core::Bytes> client_hello();

  // Processes HandshakeMessage{serverHello}, verifies the certificate chain, and returns
  // HandshakeMessage{clientFinish{static, payload}} carrying client_payload (a serialized
  // ClientPayload). Unauthenticated if a ciphertext or the chain does not verify.
  core::Result<core::Bytes> on_server_hello(core::ByteView handshake_message,
                                            core::ByteView client_payload);

  // Transport keys after clientFinish was produced: write = split[0:32], read = split[32:64].
  // May be called once.
  core::Result<TransportCipher> finish();

  // The server's static key from serverHello (empty before it).
  core::ByteView server_static() const;

 private:
  enum class Step { kStart, kSentHello, kSentFinish, kDone, kFailed };
  core::Status fail(core::Status status);

  crypto::KeyPair static_key_;
  core::Bytes trusted_root_;
  core::Clock& clock_;
  core::Random& random_;
  HandshakeState state_;
  crypto::KeyPair ephemeral_;
  core::Bytes server_static_;
  Step step_ = Step::kStart;
};

class NoiseResponder {
 public:
  // static_key is the server's noise key; cert_chain a serialized CertChain whose leaf names
  // static_key.public_key.
  NoiseResponder(crypto::KeyPair static_key, core::Bytes cert_chain, core::Random& random);

  // Processes HandshakeMessage{clientHello} and returns HandshakeMessage{serverHello}.
  core::Result<core::Bytes> on_client_hello(core::ByteView handshake_message);

  // Processes HandshakeMessage{clientFinish}; returns the decrypted ClientPayload bytes.
  core::Result<core::Bytes> on_client_finish(core::ByteView handshake_message);

  // The client's static noise key from clientFinish (empty before it).
  core::ByteView client_static() const;

  // Transport keys: write = split[32:64], read = split[0:32]. May be called once.
  core::Result<TransportCipher> finish();

 private:
  enum class Step { kStart, kSentHello, kGotFinish, kDone, kFailed };
  core::Status fail(core::Status status);

  crypto::KeyPair static_key_;
  core::Bytes cert_chain_;
  core::Random& random_;
  HandshakeState state_;
  crypto::KeyPair ephemeral_;
  core::Bytes client_ephemeral_;
  core::Bytes client_static_;
  Step step_ = Step::kStart;
};

}  // namespace wa::noise
