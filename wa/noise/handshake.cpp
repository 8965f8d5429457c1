#include "wa/noise/handshake.h"

#include <string>
#include <utility>

#include "crypto/util.h"
#include "proto/handshake.pb.h"
#include "wa/noise/cert_chain.h"
#include "wa/noise/frame.h"

namespace wa::noise {
namespace {

core::ByteView view_of(const std::string& s) { return core::as_view(s); }

core::Result<waproto::HandshakeMessage> parse_message(core::ByteView bytes) {
  waproto::HandshakeMessage msg;
  if (bytes.size() > kMaxFramePayload ||
      !msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return core::Status::invalid_argument("malformed HandshakeMessage");
  }
  return msg;
}

core::Result<core::Bytes> serialize(const waproto::HandshakeMessage& msg) {
  std::string out;
  if (!msg.SerializeToString(&out)) {
    return core::Status::internal("cannot serialize HandshakeMessage");
  }
  return core::to_bytes(out);
}

// MixKey(DH(private, public)), wiping the shared secret afterwards.
core::Status mix_dh(HandshakeState& state, core::ByteView private_key, core::ByteView public_key) {
  CORE_ASSIGN_OR_RETURN(core::Bytes shared, crypto::x25519(private_key, public_key));
  core::Status status = state.mix_key(shared);
  crypto::secure_wipe(shared);
  return status;
}

core::Status check_key(core::ByteView key, std::string_view what) {
  if (key.size() != crypto::kCurveKeySize) {
    return core::Status::invalid_argument(std::string(what) + " is " + std::to_string(key.size()) +
                                          " bytes, expected 32");
  }
  return core::Status();
}

core::Status out_of_order(std::string_view call) {
  return core::Status::failed_precondition("noise handshake: " + std::string(call) +
                                           " called out of order");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Initiator (client)

NoiseInitiator::NoiseInitiator(crypto::KeyPair static_key, core::ByteView trusted_root,
                               core::Clock& clock, core::Random& random)
    : static_key_(static_key),
      trusted_root_(core::to_bytes(trusted_root)),
      clock_(clock),
      random_(random) {}

core::Status NoiseInitiator::fail(core::Status status) {
  step_ = Step::kFailed;
  crypto::secure_wipe(ephemeral_.private_key);
  return status;
}

core::Result<core::Bytes> NoiseInitiator::client_hello() {
  if (step_ != Step::kStart) return out_of_order("client_hello");
  ephemeral_ = crypto::generate_key_pair(random_);
  state_.mix_hash(ephemeral_.public_view());

  waproto::HandshakeMessage msg;
  msg.mutable_client_hello()->set_ephemeral(core::to_string(ephemeral_.public_view()));
  auto bytes = serialize(msg);
  if (!bytes.ok()) return fail(bytes.status());
  step_ = Step::kSentHello;
  return bytes;
}

core::Result<core::Bytes> NoiseInitiator::on_server_hello(core::ByteView handshake_message,
                                                          core::ByteView client_payload) {
  if (step_ != Step::kSentHello) return out_of_order("on_server_hello");
  auto result = [&]() -> core::Result<core::Bytes> {
    CORE_ASSIGN_OR_RETURN(waproto::HandshakeMessage msg, parse_message(handshake_message));
    if (!msg.has_server_hello()) {
      return core::Status::invalid_argument("expected serverHello in HandshakeMessage");
    }
    const auto& hello = msg.server_hello();
    core::ByteView server_ephemeral = view_of(hello.ephemeral());
    CORE_RETURN_IF_ERROR(check_key(server_ephemeral, "serverHello ephemeral"));
    if (hello.static_().empty() || hello.payload().empty()) {
      return core::Status::invalid_argument("serverHello lacks static or payload");
    }

    state_.mix_hash(server_ephemeral);
    CORE_RETURN_IF_ERROR(mix_dh(state_, ephemeral_.private_view(), server_ephemeral));
    CORE_ASSIGN_OR_RETURN(core::Bytes server_static,
                          state_.decrypt_and_hash(view_of(hello.static_())));
    CORE_RETURN_IF_ERROR(check_key(server_static, "server static key"));
    CORE_RETURN_IF_ERROR(mix_dh(state_, ephemeral_.private_view(), server_static));
    CORE_ASSIGN_OR_RETURN(core::Bytes cert_chain,
                          state_.decrypt_and_hash(view_of(hello.payload())));
    core::Status cert_status =
        verify_cert_chain(cert_chain, trusted_root_, server_static, clock_.unix_seconds());
    if (!cert_status.ok()) return cert_status.with_context("server certificate");
    server_static_ = std::move(server_static);

    // Message 3: the static goes out under the key that decrypted the chain, at n = 1.
    CORE_ASSIGN_OR_RETURN(core::Bytes static_ct,
                          state_.encrypt_and_hash(static_key_.public_view()));
    CORE_RETURN_IF_ERROR(mix_dh(state_, static_key_.private_view(), server_ephemeral));
    CORE_ASSIGN_OR_RETURN(core::Bytes payload_ct, state_.encrypt_and_hash(client_payload));

    waproto::HandshakeMessage reply;
    auto* finish = reply.mutable_client_finish();
    finish->set_static_(core::to_string(static_ct));
    finish->set_payload(core::to_string(payload_ct));
    return serialize(reply);
  }();
  if (!result.ok()) return fail(result.status());
  crypto::secure_wipe(ephemeral_.private_key);
  step_ = Step::kSentFinish;
  return result;
}

core::Result<TransportCipher> NoiseInitiator::finish() {
  if (step_ != Step::kSentFinish) return out_of_order("finish");
  auto keys = state_.split();
  if (!keys.ok()) return fail(keys.status());
  step_ = Step::kDone;
  return TransportCipher(std::move(keys->first), std::move(keys->second));
}

core::ByteView NoiseInitiator::server_static() const { return server_static_; }

// ---------------------------------------------------------------------------------------------
// Responder (simulator)

NoiseResponder::NoiseResponder(crypto::KeyPair static_key, core::Bytes cert_chain,
                               core::Random& random)
    : static_key_(static_key), cert_chain_(std::move(cert_chain)), random_(random) {}

core::Status NoiseResponder::fail(core::Status status) {
  step_ = Step::kFailed;
  crypto::secure_wipe(ephemeral_.private_key);
  return status;
}

core::Result<core::Bytes> NoiseResponder::on_client_hello(core::ByteView handshake_message) {
  if (step_ != Step::kStart) return out_of_order("on_client_hello");
  auto result = [&]() -> core::Result<core::Bytes> {
    CORE_ASSIGN_OR_RETURN(waproto::HandshakeMessage msg, parse_message(handshake_message));
    if (!msg.has_client_hello()) {
      return core::Status::invalid_argument("expected clientHello in HandshakeMessage");
    }
    core::ByteView client_ephemeral = view_of(msg.client_hello().ephemeral());
    CORE_RETURN_IF_ERROR(check_key(client_ephemeral, "clientHello ephemeral"));
    client_ephemeral_ = core::to_bytes(client_ephemeral);

    state_.mix_hash(client_ephemeral_);
    ephemeral_ = crypto::generate_key_pair(random_);
    state_.mix_hash(ephemeral_.public_view());
    CORE_RETURN_IF_ERROR(mix_dh(state_, ephemeral_.private_view(), client_ephemeral_));
    CORE_ASSIGN_OR_RETURN(core::Bytes static_ct,
                          state_.encrypt_and_hash(static_key_.public_view()));
    CORE_RETURN_IF_ERROR(mix_dh(state_, static_key_.private_view(), client_ephemeral_));
    CORE_ASSIGN_OR_RETURN(core::Bytes payload_ct, state_.encrypt_and_hash(cert_chain_));

    waproto::HandshakeMessage reply;
    auto* hello = reply.mutable_server_hello();
    hello->set_ephemeral(core::to_string(ephemeral_.public_view()));
    hello->set_static_(core::to_string(static_ct));
    hello->set_payload(core::to_string(payload_ct));
    return serialize(reply);
  }();
  if (!result.ok()) return fail(result.status());
  step_ = Step::kSentHello;
  return result;
}

core::Result<core::Bytes> NoiseResponder::on_client_finish(core::ByteView handshake_message) {
  if (step_ != Step::kSentHello) return out_of_order("on_client_finish");
  auto result = [&]() -> core::Result<core::Bytes> {
    CORE_ASSIGN_OR_RETURN(waproto::HandshakeMessage msg, parse_message(handshake_message));
    if (!msg.has_client_finish()) {
      return core::Status::invalid_argument("expected clientFinish in HandshakeMessage");
    }
    const auto& finish = msg.client_finish();
    if (finish.static_().empty() || finish.payload().empty()) {
      return core::Status::invalid_argument("clientFinish lacks static or payload");
    }
    // n = 1 here: the same key encrypted the certificate chain at n = 0.
    CORE_ASSIGN_OR_RETURN(core::Bytes client_static,
                          state_.decrypt_and_hash(view_of(finish.static_())));
    CORE_RETURN_IF_ERROR(check_key(client_static, "client static key"));
    CORE_RETURN_IF_ERROR(mix_dh(state_, ephemeral_.private_view(), client_static));
    CORE_ASSIGN_OR_RETURN(core::Bytes payload, state_.decrypt_and_hash(view_of(finish.payload())));
    client_static_ = std::move(client_static);
    return payload;
  }();
  if (!result.ok()) return fail(result.status());
  crypto::secure_wipe(ephemeral_.private_key);
  step_ = Step::kGotFinish;
  return result;
}

core::ByteView NoiseResponder::client_static() const { return client_static_; }

core::Result<TransportCipher> NoiseResponder::finish() {
  if (step_ != Step::kGotFinish) return out_of_order("finish");
  auto keys = state_.split();
  if (!keys.ok()) return fail(keys.status());
  step_ = Step::kDone;
  return TransportCipher(std::move(keys->second), std::move(keys->first));
}

}  // namespace wa::noise
