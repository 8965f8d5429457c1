// Test-only simulator-native WhatsApp client for benchmarks: a Beast WebSocket client with our
// Noise initiator and binary codec, plus the companion side of registration and QR pairing
// (wa-protocol.md §2.3, §5.1–5.2) and the login payload (§2.2). It speaks no Signal: the
// simulator routes <enc> payloads without reading them, so a benchmark can send opaque bytes.
//
// Two modes, one after the other:
//   * blocking set-up calls (connect, noise_handshake, read_node, send_node) from a bench thread:
//     each posts its async operation to the client io_context and waits with a deadline, so a
//     broken server fails a benchmark instead of hanging it;
//   * then start_pump(): from there on the client lives entirely on the io_context's thread —
//     a read loop hands every node to a callback, and enqueue() (io thread only) writes frames
//     in order, one WebSocket message per frame as real clients do.
//
// Ownership: the caller owns the io_context and must keep it (and this client) alive until the
// pump is stopped by close_socket(). Threading: set-up calls from exactly one non-io thread;
// after start_pump(), everything but close_socket() runs on the io thread.
#pragma once

#include "core/net/net.h"  // first

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/random.h"
#include "crypto/curve25519.h"
#include "crypto/hmac.h"
#include "crypto/util.h"
#include "proto/adv.pb.h"
#include "proto/client_payload.pb.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/binary/node.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"

namespace sim::bench {

using wa::binary::Node;

// The long-lived keys of one companion device (kept across the pairing and login connections).
struct CompanionKeys {
  crypto::KeyPair noise;
  crypto::KeyPair identity;
  crypto::KeyPair signed_pre_key;
  core::Bytes adv_secret;  // 32 bytes, shown in the QR

  static CompanionKeys generate(core::Random& random) {
    return {crypto::generate_key_pair(random), crypto::generate_key_pair(random),
            crypto::generate_key_pair(random), random.bytes(32)};
  }
};

// A registration ClientPayload (wa-protocol.md §2.3) with a valid signed pre-key.
inline core::Bytes registration_payload(const CompanionKeys& keys, core::Random& random) {
  core::Bytes signed_msg{0x05};
  core::append(signed_msg, keys.signed_pre_key.public_view());
  auto sig = crypto::xeddsa_sign(keys.identity.private_view(), signed_msg, random).value();
  waproto::ClientPayload p;
  p.set_passive(false);
  auto* d = p.mutable_device_pairing_data();
  d->set_e_regid(std::string("\x00\x00\x00\x15", 4));
  d->set_e_keytype(std::string("\x05", 1));
  d->set_e_ident(core::to_string(keys.identity.public_view()));
  d->set_e_skey_id(std::string("\x00\x00\x01", 3));
  d->set_e_skey_val(core::to_string(keys.signed_pre_key.public_view()));
  d->set_e_skey_sig(core::to_string(sig));
  d->set_build_hash(std::string(16, '\x01'));
  std::string out;
  p.SerializeToString(&out);
  return core::to_bytes(out);
}

// A login ClientPayload (wa-protocol.md §2.2): username = phone number, device = D. Not passive,
// so the server marks the connection active and flushes the offline queue right away.
inline core::Bytes login_payload(const std::string& phone, uint16_t device,
                                 const std::string& push_name) {
  waproto::ClientPayload p;
  p.set_username(std::stoull(phone));
  p.set_device(device);
  p.set_passive(false);
  p.set_push_name(push_name);
  std::string out;
  p.SerializeToString(&out);
  return core::to_bytes(out);
}

// The QR string a companion shows: ref,noiseKey,identityKey,advSecret (base64).
inline std::string qr_string(const std::string& ref, const CompanionKeys& keys) {
  return ref + "," + core::base64_encode(keys.noise.public_view()) + "," +
         core::base64_encode(keys.identity.public_view()) + "," +
         core::base64_encode(keys.adv_secret);
}

// The companion's answer to pair-success (wa-protocol.md §5.1 step 7, §5.2): checks the ADV
// HMAC with our secret, signs [6,1] ‖ details ‖ own identity ‖ account key, drops the account
// signature key. InvalidArgument / Unauthenticated if the pair-success is malformed or forged.
inline core::Result<Node> pair_device_sign(const Node& pair_success_iq, const CompanionKeys& keys,
                                           core::Random& random) {
  const Node* ps = pair_success_iq.child("pair-success");
  const Node* di = ps ? ps->child("device-identity") : nullptr;
  const core::Bytes* blob = di ? di->bytes() : nullptr;
  waproto::ADVSignedDeviceIdentityHMAC wrapper;
  if (!blob || !wrapper.ParseFromArray(blob->data(), static_cast<int>(blob->size()))) {
    return core::Status::invalid_argument("pair-success has no ADVSignedDeviceIdentityHMAC");
  }
  const core::Bytes signed_bytes = core::to_bytes(wrapper.details());
  if (!crypto::constant_time_equal(crypto::hmac_sha256(keys.adv_secret, signed_bytes),
                                   core::to_bytes(wrapper.hmac()))) {
    return core::Status::unauthenticated("ADV HMAC does not verify");
  }
  waproto::ADVSignedDeviceIdentity signed_identity;
  waproto::ADVDeviceIdentity identity;
  if (!signed_identity.ParseFromString(wrapper.details()) ||
      !identity.ParseFromString(signed_identity.details()) ||
      signed_identity.account_signature_key().size() != 32) {
    return core::Status::invalid_argument("malformed ADVSignedDeviceIdentity");
  }
  const core::Bytes details = core::to_bytes(signed_identity.details());
  const core::Bytes account_key = core::to_bytes(signed_identity.account_signature_key());
  const uint8_t account_prefix[] = {6, 0};
  if (!crypto::xeddsa_verify(account_key,
                             core::concat({account_prefix, details, keys.identity.public_view()}),
                             core::to_bytes(signed_identity.account_signature()))) {
    return core::Status::unauthenticated("account signature does not verify");
  }
  const uint8_t device_prefix[] = {6, 1};
  CORE_ASSIGN_OR_RETURN(
      core::Bytes device_sig,
      crypto::xeddsa_sign(
          keys.identity.private_view(),
          core::concat({device_prefix, details, keys.identity.public_view(), account_key}),
          random));
  signed_identity.set_device_signature(core::to_string(device_sig));
  signed_identity.clear_account_signature_key();
  Node device_identity("device-identity", {{"key-index", std::to_string(identity.key_index())}},
                       core::to_bytes(signed_identity.SerializeAsString()));
  Node sign("pair-device-sign", {}, Node::Children{std::move(device_identity)});
  return Node(
      "iq",
      {{"to", "s.whatsapp.net"}, {"type", "result"}, {"id", pair_success_iq.attr_or("id", "")}},
      Node::Children{std::move(sign)});
}

class SimTestClient {
 public:
  explicit SimTestClient(net::io_context& io,
                         std::chrono::milliseconds deadline = std::chrono::seconds(10))
      : io_(io), ws_(io), deadline_(deadline) {}
  ~SimTestClient() { close_socket(); }
  SimTestClient(const SimTestClient&) = delete;
  SimTestClient& operator=(const SimTestClient&) = delete;

  // --- blocking set-up (bench thread) ---

  // TCP connect + WebSocket upgrade.
  beast::error_code connect(uint16_t port, const std::string& path = "/ws/chat") {
    net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    auto ec = run([&](auto handler) { beast::get_lowest_layer(ws_).async_connect(ep, handler); });
    if (ec) return ec;
    return run([&](auto handler) {
      beast::get_lowest_layer(ws_).socket().set_option(net::ip::tcp::no_delay(true));
      ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(http::field::origin, "https://web.whatsapp.com");
      }));
      ws_.binary(true);
      ws_.async_handshake("127.0.0.1", path, handler);
    });
  }

  // Intro + clientHello, serverHello, clientFinish(payload) with `static_key` as the client's
  // Noise key (a login must reuse the key the device paired with). False if any step failed.
  bool noise_handshake(const crypto::KeyPair& static_key, core::ByteView trusted_root,
                       core::ByteView client_payload, core::Random& random) {
    wa::noise::NoiseInitiator initiator(static_key, trusted_root, core::SystemClock::instance(),
                                        random);
    auto hello = initiator.client_hello();
    if (!hello.ok()) return false;
    core::Bytes first = wa::noise::make_intro();
    core::append(first, wa::noise::make_frame(*hello).value());
    if (write_raw(first)) return false;
    auto server_hello = read_frame();
    if (!server_hello) return false;
    auto finish = initiator.on_server_hello(*server_hello, client_payload);
    if (!finish.ok()) return false;
    if (write_raw(wa::noise::make_frame(*finish).value())) return false;
    auto cipher = initiator.finish();
    if (!cipher.ok()) return false;
    cipher_.emplace(std::move(*cipher));
    return true;
  }

  beast::error_code send_node(const Node& node) { return write_raw(seal(node)); }

  // The next node, nullopt on error / close / deadline.
  std::optional<Node> read_node() {
    auto frame = read_frame();
    if (!frame) return std::nullopt;
    return open(*frame);
  }

  // Reads until a node with `tag` arrives (skipping others); nullopt if the stream ends first.
  std::optional<Node> read_until(std::string_view tag) {
    for (;;) {
      auto n = read_node();
      if (!n || n->tag == tag) return n;
    }
  }

  // --- pump mode (io thread after start) ---

  // Starts the read loop; `on_node` runs on the io thread for every node, `on_error` once when
  // the stream ends or a frame does not decrypt. Call from the bench thread after set-up.
  void start_pump(std::function<void(Node&)> on_node, std::function<void()> on_error) {
    on_node_ = std::move(on_node);
    on_error_ = std::move(on_error);
    net::post(io_, [this] { read_more(); });
  }

  // Queues one node for writing (io thread only).
  void enqueue(const Node& node) {
    out_.push_back(seal(node));
    if (out_.size() == 1) write_next();
  }

  void close_socket() {
    if (io_.stopped()) {  // nothing runs concurrently any more
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return;
    }
    std::promise<void> done;
    auto f = done.get_future();
    net::post(io_, [&] {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      done.set_value();
    });
    f.wait_for(deadline_);
  }

 private:
  core::Bytes seal(const Node& node) {
    auto sealed = cipher_->encrypt(wa::binary::marshal(node)).value();
    return wa::noise::make_frame(sealed).value();
  }

  std::optional<Node> open(core::ByteView frame) {
    auto plain = cipher_->decrypt(frame);
    if (!plain.ok()) return std::nullopt;
    auto node = wa::binary::unmarshal(*plain);
    if (!node.ok()) return std::nullopt;
    return std::move(*node);
  }

  beast::error_code write_raw(const core::Bytes& bytes) {
    return run([&](auto handler) { ws_.async_write(net::buffer(bytes), handler); });
  }

  std::optional<core::Bytes> read_frame() {
    for (;;) {
      auto f = parser_.next();
      if (!f.ok()) return std::nullopt;
      if (f->has_value()) return std::move(**f);
      beast::flat_buffer buffer;
      auto ec = run([&](auto handler) { ws_.async_read(buffer, handler); });
      if (ec) return std::nullopt;
      auto d = buffer.cdata();
      parser_.feed(core::ByteView(static_cast<const uint8_t*>(d.data()), d.size()));
    }
  }

  void fail() {
    if (failed_) return;
    failed_ = true;
    if (on_error_) on_error_();
  }

  void read_more() {
    // Frames already buffered first (the set-up reads may have left some behind).
    for (;;) {
      auto f = parser_.next();
      if (!f.ok()) return fail();
      if (!f->has_value()) break;
      auto node = open(**f);
      if (!node) return fail();
      on_node_(*node);
    }
    ws_.async_read(in_, [this](beast::error_code ec, size_t) {
      if (ec) return fail();
      auto d = in_.cdata();
      parser_.feed(core::ByteView(static_cast<const uint8_t*>(d.data()), d.size()));
      in_.consume(in_.size());
      read_more();
    });
  }

  void write_next() {
    ws_.async_write(net::buffer(out_.front()), [this](beast::error_code ec, size_t) {
      if (ec) return fail();
      out_.pop_front();
      if (!out_.empty()) write_next();
    });
  }

  // Posts `initiate(handler)` to the io_context and waits for the handler's error code.
  template <class Initiate>
  beast::error_code run(Initiate initiate) {
    auto promise = std::make_shared<std::promise<beast::error_code>>();
    auto future = promise->get_future();
    net::post(io_, [&, promise] {
      initiate([promise](beast::error_code ec, auto&&...) { promise->set_value(ec); });
    });
    if (future.wait_for(deadline_) != std::future_status::ready) {
      close_socket();  // completes the pending operation with an error
      future.wait_for(deadline_);
      return net::error::timed_out;
    }
    return future.get();
  }

  net::io_context& io_;
  websocket::stream<beast::tcp_stream> ws_;
  std::chrono::milliseconds deadline_;
  std::optional<wa::noise::TransportCipher> cipher_;
  wa::noise::FrameParser parser_{wa::noise::kMaxFramePayload, false};
  beast::flat_buffer in_;
  std::deque<core::Bytes> out_;
  std::function<void(Node&)> on_node_;
  std::function<void()> on_error_;
  bool failed_ = false;
};

}  // namespace sim::bench
