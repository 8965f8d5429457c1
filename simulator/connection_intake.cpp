#include "simulator/connection_intake.h"

#include <utility>

#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"

namespace sim {

ConnectionIntake::ConnectionIntake(const crypto::KeyPair& static_key, core::Bytes cert_chain,
                                   core::Random& random, size_t max_frame)
    : parser_(max_frame, /*expect_intro=*/true),
      responder_(static_key, std::move(cert_chain), random) {}

void ConnectionIntake::feed(core::ByteView data) {
  if (failed()) return;
  parser_.feed(data);
}

core::Status ConnectionIntake::fail(core::Status status) {
  error_ = std::move(status);
  cipher_.reset();  // no further encryption with a stream that has gone wrong
  return error_;
}

std::string ConnectionIntake::stage() const {
  if (!parser_.intro_done()) return "intro";
  switch (stage_) {
    case Stage::kHello:
      return "client_hello";
    case Stage::kFinish:
      return "client_finish";
    case Stage::kTransport:
      return "transport";
  }
  return "?";
}

core::Result<std::optional<IntakeEvent>> ConnectionIntake::next() {
  if (failed()) return error_;
  auto frame = parser_.next();
  if (!frame.ok()) return fail(frame.status().with_context("framing"));
  if (!frame->has_value()) return std::optional<IntakeEvent>();
  core::Bytes payload = std::move(**frame);
  ++frames_in_;

  IntakeEvent event;
  switch (stage_) {
    case Stage::kHello: {
      auto server_hello = responder_.on_client_hello(payload);
      if (!server_hello.ok()) return fail(server_hello.status().with_context("client hello"));
      auto framed = wa::noise::make_frame(*server_hello);
      if (!framed.ok()) return fail(framed.status().with_context("server hello"));
      event.kind = IntakeEvent::Kind::kWrite;
      event.bytes = std::move(*framed);
      stage_ = Stage::kFinish;
      return std::optional<IntakeEvent>(std::move(event));
    }
    case Stage::kFinish: {
      auto client_payload = responder_.on_client_finish(payload);
      if (!client_payload.ok()) {
        return fail(client_payload.status().with_context("client finish"));
      }
      auto cipher = responder_.finish();
      if (!cipher.ok()) return fail(cipher.status().with_context("handshake split"));
      cipher_.emplace(std::move(*cipher));
      event.kind = IntakeEvent::Kind::kClientPayload;
      event.bytes = std::move(*client_payload);
      event.client_static = core::to_bytes(responder_.client_static());
      stage_ = Stage::kTransport;
      return std::optional<IntakeEvent>(std::move(event));
    }
    case Stage::kTransport: {
      auto plain = cipher_->decrypt(payload);
      if (!plain.ok()) return fail(plain.status().with_context("transport frame"));
      auto node = wa::binary::unmarshal(*plain);
      if (!node.ok()) return fail(node.status().with_context("binary node"));
      event.kind = IntakeEvent::Kind::kNode;
      event.node = std::move(*node);
      return std::optional<IntakeEvent>(std::move(event));
    }
  }
  return fail(core::Status::internal("unknown intake stage"));
}

core::Result<core::Bytes> ConnectionIntake::encode_node(const wa::binary::Node& node) {
  if (failed()) return error_;
  if (!cipher_) return core::Status::failed_precondition("handshake not finished");
  core::Bytes plain;
  try {
    plain = wa::binary::marshal(node);
  } catch (const std::exception& e) {
    // A node the encoder cannot express is a bug in the core, not in this connection's stream;
    // nothing was encrypted, so the cipher is still in step with the peer.
    return core::Status::invalid_argument(std::string("cannot encode node <") + node.tag +
                                          ">: " + e.what());
  }
  auto sealed = cipher_->encrypt(plain);
  if (!sealed.ok()) return fail(sealed.status().with_context("encrypting frame"));
  auto framed = wa::noise::make_frame(*sealed);
  if (!framed.ok()) return fail(framed.status().with_context("framing outgoing node"));
  return framed;
}

}  // namespace sim
