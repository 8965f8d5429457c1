// A scriptable stand-in for sim::Simulator, so the network shell (WebSocket server, control API,
// media routing) can be tested without the protocol core: it records every call, answers control
// requests from fields the test sets, and on the wire echoes every node back with tag "echo".
//
// Threading: used from one thread (the test's io_context thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "simulator/simulator.h"
#include "wa/noise/cert_chain.h"

namespace sim::testing {

class FakeSimulator final : public Simulator {
 public:
  explicit FakeSimulator(core::Random& random) : random_(random) {
    root_ = crypto::generate_key_pair(random);
    keys_.root = root_;
    keys_.intermediate = crypto::generate_key_pair(random);
    keys_.intermediate_serial = 7;
    keys_.leaf_serial = 8;
    static_ = crypto::generate_key_pair(random);
    chain_ =
        wa::noise::create_cert_chain(keys_, static_.public_view(), 0, 4000000000LL, random).value();
  }

  // --- Noise identity ---
  const crypto::KeyPair& noise_static_key() const override { return static_; }
  core::Bytes cert_chain() const override { return chain_; }
  core::ByteView root_public_key() const override { return root_.public_view(); }

  // --- Connections ---
  ConnId on_connected(std::shared_ptr<ConnectionSink> sink) override {
    ConnId id = next_id_++;
    sinks[id] = std::move(sink);
    ++connected;
    return id;
  }
  void on_client_payload(ConnId conn, core::ByteView client_static,
                         core::ByteView payload) override {
    payloads.push_back({conn, core::to_bytes(client_static), core::to_bytes(payload)});
    // The first server node, as the real core would send success / pair-device.
    wa::binary::Node hello("hello", {{"conn", std::to_string(conn)}});
    sinks[conn]->send(hello);
  }
  void on_node(ConnId conn, const wa::binary::Node& node) override {
    nodes.push_back({conn, node});
    if (node.tag == "close-me") return sinks[conn]->close();
    if (node.tag == "drop-me") return sinks[conn]->drop();
    if (node.tag == "burst") {
      // Several frames queued at once, then a flushing close: all must arrive, in order.
      for (int i = 0; i < 20; ++i)
        sinks[conn]->send(wa::binary::Node("n", {{"i", std::to_string(i)}}));
      return sinks[conn]->close();
    }
    wa::binary::Node echo = node;
    echo.tag = "echo";
    sinks[conn]->send(echo);
  }
  void on_disconnected(ConnId conn) override {
    disconnected.push_back(conn);
    sinks.erase(conn);
  }
  int outgoing_delay_ms(ConnId) const override { return delay_ms; }

  // --- Control API ---
  core::Result<AccountInfo> create_account(const std::string& phone, const std::string& name,
                                           VirtualKind kind) override {
    if (phone.empty() || phone.find_first_not_of("0123456789") != std::string::npos) {
      return core::Status::invalid_argument("bad phone number");
    }
    for (const auto& a : accounts) {
      if (a.phone == phone) return core::Status::already_exists("account exists");
    }
    AccountInfo a;
    a.phone = phone;
    a.lid = "9" + phone;
    a.name = name;
    a.virtual_kind = kind;
    accounts.push_back(a);
    return a;
  }
  std::vector<AccountInfo> list_accounts() const override { return accounts; }
  void scan_qr(const std::string& phone, const std::string& qr,
               std::function<void(core::Result<std::string>)> done) override {
    scans.push_back({phone, qr});
    pending_link = std::move(done);
  }
  void enter_pair_code(const std::string& phone, const std::string& code,
                       std::function<void(core::Result<std::string>)> done) override {
    scans.push_back({phone, code});
    pending_link = std::move(done);
  }
  core::Status remove_device(const std::string& phone, uint16_t device) override {
    removed.push_back({phone, device});
    return remove_status;
  }
  core::Status virtual_send(const std::string& phone, const std::string& to,
                            const std::string& text) override {
    sent.push_back({phone, to, text});
    return send_status;
  }
  void add_fault(const Fault& fault) override { faults.push_back(fault); }
  Stats stats() const override { return stats_value; }

  // --- Media ---
  core::Result<MediaUploadResult> media_upload(const std::string& media_type,
                                               const std::string& token, const std::string& auth,
                                               core::Bytes body) override {
    if (auth != "good-auth") return core::Status::unauthenticated("bad media auth");
    std::string path = "/v/t62/" + media_type + "/" + token + ".enc?ccb=1";
    blobs["/v/t62/" + media_type + "/" + token + ".enc"] = std::move(body);
    return MediaUploadResult{"https://media.test" + path, path};
  }
  core::Result<core::Bytes> media_download(const std::string& path_and_query) override {
    downloads.push_back(path_and_query);
    auto path = path_and_query.substr(0, path_and_query.find('?'));
    auto it = blobs.find(path);
    if (it == blobs.end()) return core::Status::not_found("no such media");
    return it->second;
  }

  struct Payload {
    ConnId conn;
    core::Bytes client_static;
    core::Bytes payload;
  };
  struct Received {
    ConnId conn;
    wa::binary::Node node;
  };
  struct Sent {
    std::string phone, to, text;
  };

  std::map<ConnId, std::shared_ptr<ConnectionSink>> sinks;
  std::vector<Payload> payloads;
  std::vector<Received> nodes;
  std::vector<ConnId> disconnected;
  int connected = 0;
  int delay_ms = 0;

  std::vector<AccountInfo> accounts;
  std::vector<std::pair<std::string, std::string>> scans;
  std::function<void(core::Result<std::string>)> pending_link;
  std::vector<std::pair<std::string, uint16_t>> removed;
  core::Status remove_status;
  std::vector<Sent> sent;
  core::Status send_status;
  std::vector<Fault> faults;
  Stats stats_value;
  std::map<std::string, core::Bytes> blobs;
  std::vector<std::string> downloads;

 private:
  core::Random& random_;
  crypto::KeyPair root_;
  wa::noise::CertChainKeys keys_;
  crypto::KeyPair static_;
  core::Bytes chain_;
  ConnId next_id_ = 1;
};

}  // namespace sim::testing
