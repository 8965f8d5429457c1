// interop_tool: the test-only bridge through which node's test runner (tests/interop/*.test.mjs)
// drives our protocol core against real Baileys. Not part of the product.
//
//   interop_tool codec       JSON lines on stdin/stdout, one response line per request:
//     {"op":"encode","nodes":[N,...]}  -> {"ok":true,"hex":["<marshal(N) hex>",...]}
//     {"op":"decode","hex":["..",...]} -> {"ok":true,"nodes":[N or {"error":msg},...]}
//     N = {"tag":s,"attrs":{k:v,...},"content":null | {"hex":".."} | [N,...]}
//     (attribute order is preserved: ordered_json on both ends)
//   interop_tool responder   A one-connection WebSocket server on 127.0.0.1 (random port) running
//     our Noise XX responder. Prints {"ready",port,root_key}, then one JSON event per step:
//     client_payload, sent (our encrypted pair-device iq), received (the client's first
//     encrypted node), or error (exit 1). A 60 s watchdog makes a hang impossible.
//
// Ownership: everything lives in main's stack frames. Threading: single-threaded, blocking I/O.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/net/net.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "proto/client_payload.pb.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/binary/node.h"
#include "wa/binary/printer.h"
#include "wa/noise/cert_chain.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"

namespace {

using Json = nlohmann::ordered_json;
using wa::binary::Node;

// Invalid UTF-8 (possible in decoded attributes) must not make dump() throw.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void emit(const Json& j) { std::cout << dump(j) << std::endl; }

// ---------- Node <-> JSON ----------

constexpr int kMaxJsonDepth = 64;

Node node_from_json(const Json& j, int depth = 0) {
  if (depth > kMaxJsonDepth) throw std::invalid_argument("node nesting too deep");
  if (!j.is_object()) throw std::invalid_argument("node must be an object");
  Node n(j.at("tag").get<std::string>());
  if (auto it = j.find("attrs"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw std::invalid_argument("attrs must be an object");
    for (const auto& [key, value] : it->items())
      n.attrs.emplace_back(key, value.get<std::string>());
  }
  if (auto it = j.find("content"); it != j.end() && !it->is_null()) {
    if (it->is_array()) {
      Node::Children children;
      children.reserve(it->size());
      for (const Json& c : *it) children.push_back(node_from_json(c, depth + 1));
      n.content = std::move(children);
    } else if (it->is_object() && it->contains("hex")) {
      auto bytes = core::hex_decode(it->at("hex").get<std::string>());
      if (!bytes.ok()) throw std::invalid_argument("content hex: " + bytes.status().to_string());
      n.content = std::move(bytes).value();
    } else {
      throw std::invalid_argument("content must be null, {\"hex\":..} or a list");
    }
  }
  return n;
}

Json node_to_json(const Node& n) {
  Json attrs = Json::object();
  for (const auto& [key, value] : n.attrs) attrs[key] = value;
  Json content = nullptr;
  if (const core::Bytes* b = n.bytes()) {
    content = Json{{"hex", core::hex_encode(*b)}};
  } else if (const Node::Children* list = n.child_list()) {
    content = Json::array();
    for (const Node& c : *list) content.push_back(node_to_json(c));
  }
  return Json{{"tag", n.tag}, {"attrs", std::move(attrs)}, {"content", std::move(content)}};
}

// ---------- codec mode ----------

Json handle_codec_request(const Json& req) {
  const std::string op = req.at("op").get<std::string>();
  if (op == "encode") {
    Json hex = Json::array();
    for (const Json& n : req.at("nodes"))
      hex.push_back(core::hex_encode(wa::binary::marshal(node_from_json(n))));
    return Json{{"ok", true}, {"hex", std::move(hex)}};
  }
  if (op == "decode") {
    Json nodes = Json::array();
    for (const Json& h : req.at("hex")) {
      auto bytes = core::hex_decode(h.get<std::string>());
      if (!bytes.ok()) {
        nodes.push_back(Json{{"error", "bad hex: " + bytes.status().to_string()}});
        continue;
      }
      auto node = wa::binary::unmarshal(*bytes);
      if (node.ok()) {
        nodes.push_back(node_to_json(*node));
      } else {
        nodes.push_back(Json{{"error", node.status().to_string()}});
      }
    }
    return Json{{"ok", true}, {"nodes", std::move(nodes)}};
  }
  throw std::invalid_argument("unknown op " + op);
}

int run_codec() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    Json response;
    try {
      response = handle_codec_request(Json::parse(line));
    } catch (const std::exception& e) {
      response = Json{{"ok", false}, {"error", e.what()}};
    }
    emit(response);
  }
  return 0;
}

// ---------- responder mode ----------

constexpr unsigned kWatchdogSeconds = 60;

extern "C" void on_watchdog(int) {
  static const char kMsg[] =
      "{\"event\":\"error\",\"message\":\"watchdog: no progress in 60 s\"}\n";
  [[maybe_unused]] ssize_t ignored = write(STDOUT_FILENO, kMsg, sizeof(kMsg) - 1);
  _exit(1);
}

[[noreturn]] void fail(const std::string& message) {
  emit(Json{{"event", "error"}, {"message", message}});
  std::exit(1);
}

template <typename T>
T check(core::Result<T> r, const char* what) {
  if (!r.ok()) fail(std::string(what) + ": " + r.status().to_string());
  return std::move(r).value();
}

// "2@" + base64 of random bytes: the shape of real refs (wa-protocol.md §5.1).
std::string make_ref(core::Random& random) { return "2@" + core::base64_encode(random.bytes(30)); }

Node make_pair_device(const std::string& id, const std::vector<std::string>& refs) {
  Node::Children ref_nodes;
  for (const auto& r : refs) ref_nodes.emplace_back("ref", Node::Attrs{}, core::to_bytes(r));
  Node pair("pair-device", {}, std::move(ref_nodes));
  // "@s.whatsapp.net" (not the bare token) so that `from` goes out as a JID_PAIR, like the real
  // server's (wa-protocol.md §0 item 3).
  return Node("iq",
              {{"from", wa::binary::server_jid().to_string()},
               {"type", "set"},
               {"id", id},
               {"xmlns", "md"}},
              Node::Children{std::move(pair)});
}

class Responder {
 public:
  Responder() = default;

  int run() {
    using tcp = net::ip::tcp;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    crypto::KeyPair root = crypto::generate_key_pair(random_);
    crypto::KeyPair intermediate = crypto::generate_key_pair(random_);
    crypto::KeyPair server_static = crypto::generate_key_pair(random_);
    core::Bytes chain =
        check(wa::noise::create_cert_chain(root, intermediate, server_static.public_view(), 1, 2,
                                           now - 3600, now + 3600, random_),
              "create_cert_chain");
    responder_.emplace(server_static, std::move(chain), random_);

    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    emit(Json{{"ready", true},
              {"port", acceptor.local_endpoint().port()},
              {"root_key", core::hex_encode(root.public_view())}});

    tcp::socket socket = acceptor.accept();
    acceptor.close();
    websocket::stream<tcp::socket> ws(std::move(socket));
    // Beast declines permessage-deflate unless enabled, and does not check Origin or the path.
    ws.accept();
    ws.binary(true);

    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      buffer.clear();
      ws.read(buffer, ec);
      if (ec) {
        if (step_ == Step::kDone) return 0;  // the client hung up after our exchange
        fail("websocket read: " + ec.message());
      }
      auto data = buffer.cdata();
      parser_.feed(core::ByteView(static_cast<const uint8_t*>(data.data()), data.size()));
      for (;;) {
        auto frame = check(parser_.next(), "frame parser");
        if (!frame) break;
        on_frame(ws, *frame);
      }
    }
  }

 private:
  enum class Step { kHello, kFinish, kTransport, kDone };

  void send_frame(websocket::stream<net::ip::tcp::socket>& ws, core::ByteView payload) {
    core::Bytes framed = check(wa::noise::make_frame(payload), "make_frame");
    beast::error_code ec;
    ws.write(net::buffer(framed), ec);
    if (ec) fail("websocket write: " + ec.message());
  }

  void on_frame(websocket::stream<net::ip::tcp::socket>& ws, const core::Bytes& frame) {
    switch (step_) {
      case Step::kHello: {
        core::Bytes server_hello = check(responder_->on_client_hello(frame), "on_client_hello");
        send_frame(ws, server_hello);
        step_ = Step::kFinish;
        return;
      }
      case Step::kFinish: {
        core::Bytes payload_bytes = check(responder_->on_client_finish(frame), "on_client_finish");
        waproto::ClientPayload payload;
        if (!payload.ParseFromArray(payload_bytes.data(), static_cast<int>(payload_bytes.size()))) {
          fail("ClientPayload does not parse");
        }
        const auto& v = payload.user_agent().app_version();
        emit(
            Json{{"event", "client_payload"},
                 {"client_static", core::hex_encode(responder_->client_static())},
                 {"passive", payload.passive()},
                 {"has_pairing_data", payload.has_device_pairing_data()},
                 {"platform", static_cast<int>(payload.user_agent().platform())},
                 {"app_version", std::to_string(v.primary()) + "." + std::to_string(v.secondary()) +
                                     "." + std::to_string(v.tertiary())}});
        cipher_.emplace(check(responder_->finish(), "finish"));

        std::vector<std::string> refs{make_ref(random_), make_ref(random_), make_ref(random_)};
        iq_id_ = core::hex_encode(random_.bytes(8));
        core::Bytes plain = wa::binary::marshal(make_pair_device(iq_id_, refs));
        send_frame(ws, check(cipher_->encrypt(plain), "encrypt"));
        emit(Json{{"event", "sent"}, {"id", iq_id_}, {"refs", refs}});
        step_ = Step::kTransport;
        return;
      }
      case Step::kTransport: {
        core::Bytes plain = check(cipher_->decrypt(frame), "decrypt");
        Node node = check(wa::binary::unmarshal(plain), "unmarshal");
        emit(Json{{"event", "received"},
                  {"xml", wa::binary::to_xml(node)},
                  {"node", node_to_json(node)}});
        step_ = Step::kDone;
        return;
      }
      case Step::kDone:
        // Further frames (none expected) are ignored until the client closes.
        return;
    }
  }

  core::SecureRandom random_;
  std::optional<wa::noise::NoiseResponder> responder_;
  std::optional<wa::noise::TransportCipher> cipher_;
  wa::noise::FrameParser parser_ = wa::noise::FrameParser::for_server();
  std::string iq_id_;
  Step step_ = Step::kHello;
};

int run_responder() {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_watchdog);
  alarm(kWatchdogSeconds);
  try {
    return Responder().run();
  } catch (const std::exception& e) {
    fail(std::string("exception: ") + e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "codec") return run_codec();
  if (mode == "responder") return run_responder();
  std::cerr << "usage: interop_tool codec|responder\n";
  return 2;
}
