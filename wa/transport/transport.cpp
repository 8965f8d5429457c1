#include "wa/transport/transport.h"

#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/noise/cert_chain.h"
#include "wa/noise/handshake.h"

namespace wa::transport {

NoiseTransport::NoiseTransport(std::unique_ptr<WebSocketChannel> channel,
                               const TransportConfig& config, ConnectParams params,
                               Scheduler& scheduler, core::Clock& clock, core::Random& random)
    : channel_(std::move(channel)),
      connect_timeout_(config.connect_timeout),
      params_(std::move(params)),
      scheduler_(scheduler) {
  core::ByteView root = config.noise_root_key.empty() ? core::ByteView(noise::kWhatsAppRootKey)
                                                      : core::ByteView(config.noise_root_key);
  initiator_ = std::make_unique<noise::NoiseInitiator>(params_.noise_key, root, clock, random);
}

NoiseTransport::~NoiseTransport() {
  *alive_ = false;
  if (channel_) channel_->close();
}

void NoiseTransport::start(Listener* listener) {
  listener_ = listener;
  timeout_ = scheduler_.after(connect_timeout_, [this] {
    fail(core::Status::deadline_exceeded("connect/handshake timed out"));
  });
  WebSocketChannel::Handlers h;
  h.on_open = [this](core::Status s) { on_channel_open(std::move(s)); };
  h.on_message = [this](core::Bytes b) { on_channel_message(std::move(b)); };
  h.on_closed = [this](core::Status s) { fail(std::move(s)); };
  channel_->open(std::move(h));
}

void NoiseTransport::on_channel_open(core::Status status) {
  if (closed_) return;
  if (!status.ok()) return fail(status);
  auto hello = initiator_->client_hello();
  if (!hello.ok()) return fail(hello.status());
  auto frame = noise::make_frame(*hello);
  if (!frame.ok()) return fail(frame.status());
  // Baileys sends the intro and the first frame in one WebSocket message; so do we.
  core::Bytes first = noise::make_intro(params_.routing_info);
  core::append(first, *frame);
  channel_->send(std::move(first));
}

void NoiseTransport::on_channel_message(core::Bytes data) {
  if (closed_) return;
  parser_.feed(data);
  auto alive = alive_;
  for (;;) {
    auto next = parser_.next();
    if (!next.ok()) return fail(next.status().with_context("framing"));
    if (!next->has_value()) return;
    core::Bytes payload = std::move(**next);
    if (!cipher_) {
      auto finish = initiator_->on_server_hello(payload, params_.client_payload);
      if (!finish.ok()) return fail(finish.status().with_context("noise handshake"));
      auto frame = noise::make_frame(*finish);
      if (!frame.ok()) return fail(frame.status());
      channel_->send(std::move(*frame));
      auto cipher = initiator_->finish();
      if (!cipher.ok()) return fail(cipher.status());
      cipher_.emplace(std::move(*cipher));
      initiator_.reset();
      params_.client_payload.clear();
      params_.client_payload.shrink_to_fit();
      timeout_.reset();
      if (listener_) listener_->on_open();
      if (!*alive || closed_) return;
      continue;
    }
    auto plain = cipher_->decrypt(payload);
    if (!plain.ok()) return fail(plain.status().with_context("frame decrypt"));
    auto node = binary::unmarshal(*plain);
    if (!node.ok()) return fail(node.status().with_context("frame decode"));
    if (listener_) listener_->on_node(std::move(*node));
    if (!*alive || closed_) return;
  }
}

void NoiseTransport::send(const binary::Node& node) {
  if (closed_ || !cipher_) return;
  auto enc = cipher_->encrypt(binary::marshal(node));
  if (!enc.ok()) return fail(enc.status());
  auto frame = noise::make_frame(*enc);
  if (!frame.ok()) return fail(frame.status());
  channel_->send(std::move(*frame));
}

void NoiseTransport::close() {
  if (closed_) return;
  closed_ = true;
  timeout_.reset();
  if (channel_) channel_->close();
}

void NoiseTransport::fail(core::Status status) {
  if (closed_) return;
  closed_ = true;
  timeout_.reset();
  if (channel_) channel_->close();
  // Deliver on a fresh stack so the listener may destroy us from inside on_closed.
  auto alive = alive_;
  auto* listener = listener_;
  scheduler_.post([alive, listener, status = std::move(status)] {
    if (*alive && listener) listener->on_closed(status);
  });
}

std::unique_ptr<Transport> NoiseTransportFactory::create(const ConnectParams& params) {
  return std::make_unique<NoiseTransport>(channels_.create(config_), config_, params, scheduler_,
                                          clock_, random_);
}

}  // namespace wa::transport
