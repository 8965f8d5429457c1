// wa::Client against a scripted fake server (a fake Transport speaking nodes) on a manual
// scheduler and fake clock: QR rotation and expiry, pairing with ADV checks, the 515 restart,
// login with the pre-key upload, disconnect classification (401 → logged out and no reconnect,
// replaced, bad certificate, timeouts, backoff), keepalive, IQ timeouts, and 1:1 messaging with
// a virtual peer running our own Signal layer: send (usync, key fetch, pkmsg), resend after a
// drop, receive with event-before-receipt ordering, duplicate suppression and retry receipts.
#include "wa/client/client.h"

#include <gtest/gtest.h>

#include "proto/adv.pb.h"
#include "proto/client_payload.pb.h"
#include "wa/binary/printer.h"
#include "wa/pairing/adv.h"
#include "wa/signal/cipher.h"
#include "wa/signal/keys.h"
#include "wa/signal/padding.h"
#include "wa/store/in_memory_store.h"

namespace wa::client {
namespace {

using binary::Node;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kOurPn = "15550000001:7@s.whatsapp.net";
constexpr const char* kOurLid = "800000000000001:7@lid";
constexpr const char* kPeerPn = "15550000002@s.whatsapp.net";
constexpr const char* kPeerLidUser = "900000000000002";

struct Server;

class FakeTransport final : public transport::Transport {
 public:
  FakeTransport(Server& s, transport::ConnectParams p) : server_(s), params(std::move(p)) {}
  ~FakeTransport() override;
  void start(Listener* l) override;
  void send(const Node& n) override;
  void close() override { closed = true; }
  Server& server_;
  transport::ConnectParams params;
  Listener* listener = nullptr;
  bool closed = false;
};

struct Server : transport::TransportFactory {
  explicit Server(transport::Scheduler& s) : sched(s) {}
  std::unique_ptr<transport::Transport> create(const transport::ConnectParams& p) override {
    auto t = std::make_unique<FakeTransport>(*this, p);
    current = t.get();
    ++created;
    return t;
  }
  void deliver(Node n) {
    auto* t = current;
    sched.post([this, t, n = std::move(n)]() mutable {
      if (t == current && t && !t->closed && t->listener) t->listener->on_node(std::move(n));
    });
  }
  void close_with(core::Status s) {
    auto* t = current;
    sched.post([this, t, s] {
      if (t == current && t && t->listener) t->listener->on_closed(s);
    });
  }
  // The last sent node matching pred, removed from the log.
  std::optional<Node> take(const std::function<bool(const Node&)>& pred) {
    for (auto it = sent.begin(); it != sent.end(); ++it) {
      if (pred(*it)) {
        Node n = *it;
        sent.erase(it);
        return n;
      }
    }
    return std::nullopt;
  }
  std::optional<Node> take_iq(const std::string& xmlns) {
    return take([&](const Node& n) { return n.tag == "iq" && n.attr_or("xmlns", "") == xmlns; });
  }
  void reply(const Node& iq, Node::Children children = {}) {
    Node r("iq", {{"id", iq.attr_or("id", "")}, {"type", "result"}, {"from", "@s.whatsapp.net"}});
    if (!children.empty()) r.content = std::move(children);
    deliver(std::move(r));
  }
  transport::Scheduler& sched;
  FakeTransport* current = nullptr;
  int created = 0;
  std::vector<Node> sent;
};

FakeTransport::~FakeTransport() {
  if (server_.current == this) server_.current = nullptr;
}
void FakeTransport::start(Listener* l) {
  listener = l;
  server_.sched.post([this] {
    if (!closed && listener) listener->on_open();
  });
}
void FakeTransport::send(const Node& n) {
  if (!closed) server_.sent.push_back(n);
}

struct Recorder : EventHandler {
  std::vector<ConnectionEvent> conn;
  std::vector<QrEvent> qrs;
  std::vector<PairedEvent> paired;
  std::vector<LoggedOutEvent> logged_out;
  std::vector<MessageEvent> messages;
  std::vector<UndecryptableEvent> undecryptable;
  std::vector<SendResultEvent> results;
  std::vector<ReceiptEvent> receipts;
  std::function<void(const MessageEvent&)> on_msg_hook;
  void on_connection(const ConnectionEvent& e) override { conn.push_back(e); }
  void on_qr(const QrEvent& e) override { qrs.push_back(e); }
  void on_paired(const PairedEvent& e) override { paired.push_back(e); }
  void on_logged_out(const LoggedOutEvent& e) override { logged_out.push_back(e); }
  void on_message(const MessageEvent& e) override {
    if (on_msg_hook) on_msg_hook(e);
    messages.push_back(e);
  }
  void on_undecryptable(const UndecryptableEvent& e) override { undecryptable.push_back(e); }
  void on_send_result(const SendResultEvent& e) override { results.push_back(e); }
  void on_receipt(const ReceiptEvent& e) override { receipts.push_back(e); }
  bool saw_state(ConnectionState s) const {
    for (auto& c : conn)
      if (c.state == s) return true;
    return false;
  }
};

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    config_.keepalive_interval = seconds(25);
    config_.initial_pre_keys = 30;  // keep the unit test fast; the count is a config value
  }
  void make_client() {
    ClientDeps deps{sched_, server_, store_, events_, clock_, random_};
    client_ = std::make_unique<Client>(config_, deps);
  }
  // Credentials of an already paired device.
  void seed_paired() {
    auto c = pairing::new_credentials(random_);
    c.me_pn_jid = kOurPn;
    c.me_lid_jid = kOurLid;
    c.registered = true;
    c.account = core::Bytes{0x0a, 0x01, 0x00};  // stands in for the ADV identity from pairing
    ASSERT_TRUE(store_.save_credentials(c).ok());
    ASSERT_TRUE(signal::save_signed_pre_key(store_, signal::from_stored(c.signed_pre_key), 1).ok());
    creds_ = c;
  }
  void run() { sched_.run_ready(); }
  // Drives a login: success → count → (upload) → passive active → connected.
  void login(uint64_t prekey_count = 100) {
    run();
    server_.deliver(Node("success", {{"t", "1700000000"}, {"lid", kOurLid}}));
    run();
    auto count = server_.take_iq("encrypt");
    ASSERT_TRUE(count);
    ASSERT_NE(count->child("count"), nullptr);
    server_.reply(*count, {Node("count", {{"value", std::to_string(prekey_count)}})});
    run();
    if (prekey_count < 5) {
      auto upload = server_.take_iq("encrypt");
      ASSERT_TRUE(upload);
      ASSERT_NE(upload->child("list"), nullptr);
      uploaded_keys_ = upload->child("list")->children("key").size();
      server_.reply(*upload);
      run();
    }
    auto active = server_.take_iq("passive");
    ASSERT_TRUE(active);
    server_.reply(*active);
    run();
    ASSERT_EQ(client_->state(), ConnectionState::kConnected);
  }

  core::FakeClock clock_{1700000000};
  core::FakeRandom random_{11};
  transport::ManualScheduler sched_{clock_};
  Server server_{sched_};
  store::InMemoryStore store_;
  Recorder events_;
  ClientConfig config_;
  std::unique_ptr<Client> client_;
  store::DeviceCredentials creds_;
  size_t uploaded_keys_ = 0;
};

waproto::ClientPayload payload_of(const FakeTransport& t) {
  waproto::ClientPayload p;
  p.ParseFromArray(t.params.client_payload.data(),
                   static_cast<int>(t.params.client_payload.size()));
  return p;
}

Node pair_device(int refs) {
  Node pd("pair-device");
  for (int i = 0; i < refs; ++i)
    pd.add_child(Node("ref", {}, core::to_bytes("ref" + std::to_string(i))));
  return Node("iq", {{"from", "@s.whatsapp.net"}, {"type", "set"}, {"id", "pd1"}, {"xmlns", "md"}},
              Node::Children{std::move(pd)});
}

TEST_F(ClientTest, QrCodesRotateThenExpireWithoutReconnect) {
  make_client();
  client_->connect();
  run();
  ASSERT_EQ(server_.created, 1);
  auto p = payload_of(*server_.current);
  EXPECT_TRUE(p.has_device_pairing_data()) << "a new device registers";
  server_.deliver(pair_device(3));
  run();
  ASSERT_EQ(events_.qrs.size(), 1u);
  EXPECT_EQ(events_.qrs[0].expires_at_unix, 1700000000 + 60);
  EXPECT_NE(events_.qrs[0].code.find("#ref0,"), std::string::npos);
  EXPECT_TRUE(server_.take(
      [](const Node& n) { return n.tag == "iq" && n.attr_or("type", "") == "result"; }));
  sched_.advance(seconds(59));
  EXPECT_EQ(events_.qrs.size(), 1u);
  sched_.advance(seconds(1));
  ASSERT_EQ(events_.qrs.size(), 2u);
  EXPECT_EQ(events_.qrs[1].expires_at_unix, clock_.unix_seconds() + 20);
  sched_.advance(seconds(20));
  ASSERT_EQ(events_.qrs.size(), 3u);
  sched_.advance(seconds(20));
  EXPECT_EQ(client_->state(), ConnectionState::kStopped);
  EXPECT_EQ(events_.conn.back().reason, DisconnectReason::kQrTimeout);
  sched_.advance(seconds(600));
  EXPECT_EQ(server_.created, 1) << "no QR reconnect loop";
}

TEST_F(ClientTest, PairingVerifiesAdvRestartsOn515AndLogsIn) {
  make_client();
  client_->connect();
  run();
  server_.deliver(pair_device(2));
  run();
  auto creds = *store_.load_credentials();
  ASSERT_TRUE(creds);
  core::FakeRandom phone_random(99);
  auto phone = crypto::generate_key_pair(phone_random);
  auto hmac =
      pairing::make_device_identity_hmac(phone, creds->identity_key.public_key,
                                         creds->adv_secret_key, 3, 1700000000, false, phone_random);
  Node ps("pair-success");
  ps.add_child(Node("device-identity", {}, *hmac));
  ps.add_child(Node("platform", {{"name", "android"}}));
  ps.add_child(Node("device", {{"jid", kOurPn}, {"lid", kOurLid}}));
  server_.deliver(Node("iq", {{"from", "@s.whatsapp.net"}, {"type", "set"}, {"id", "ps1"}},
                       Node::Children{std::move(ps)}));
  run();
  ASSERT_EQ(events_.paired.size(), 1u);
  EXPECT_EQ(events_.paired[0].jid, kOurPn);
  EXPECT_EQ(events_.paired[0].platform, "android");
  auto sign = server_.take([](const Node& n) { return n.child("pair-device-sign") != nullptr; });
  ASSERT_TRUE(sign);
  EXPECT_EQ(sign->attr_or("id", ""), "ps1");
  const Node* di = sign->child("pair-device-sign")->child("device-identity");
  EXPECT_EQ(di->attr_or("key-index", ""), "3");
  waproto::ADVSignedDeviceIdentity reply;
  ASSERT_TRUE(reply.ParseFromArray(di->bytes()->data(), static_cast<int>(di->bytes()->size())));
  EXPECT_FALSE(reply.has_account_signature_key());
  core::Bytes msg{6, 1};
  core::append(msg, core::as_view(reply.details()));
  core::append(msg, creds->identity_key.public_key);
  core::append(msg, phone.public_view());
  EXPECT_TRUE(crypto::xeddsa_verify(creds->identity_key.public_key, msg,
                                    core::as_view(reply.device_signature())));

  server_.deliver(Node("stream:error", {{"code", "515"}}));
  run();
  ASSERT_EQ(server_.created, 2) << "515 reconnects at once";
  auto login_payload = payload_of(*server_.current);
  EXPECT_EQ(login_payload.username(), 15550000001u);
  EXPECT_EQ(login_payload.device(), 7u);
  EXPECT_TRUE(login_payload.passive());
  login(0);
  EXPECT_EQ(uploaded_keys_, 30u);
  EXPECT_EQ(store_.pre_key_count(), 30u);
  EXPECT_TRUE(events_.saw_state(ConnectionState::kConnected));
}

TEST_F(ClientTest, ForgedAdvSignatureRefusesThePairing) {
  make_client();
  client_->connect();
  run();
  server_.deliver(pair_device(2));
  run();
  auto creds = *store_.load_credentials();
  core::FakeRandom phone_random(98);
  auto phone = crypto::generate_key_pair(phone_random);
  auto other = crypto::generate_key_pair(phone_random);
  // Signed for another companion's identity: HMAC valid, account signature not for us.
  auto hmac = pairing::make_device_identity_hmac(phone, other.public_view(), creds->adv_secret_key,
                                                 1, 1, false, phone_random);
  Node ps("pair-success");
  ps.add_child(Node("device-identity", {}, *hmac));
  ps.add_child(Node("device", {{"jid", kOurPn}, {"lid", kOurLid}}));
  server_.deliver(Node("iq", {{"type", "set"}, {"id", "ps2"}}, Node::Children{std::move(ps)}));
  run();
  EXPECT_TRUE(events_.paired.empty());
  auto err = server_.take([](const Node& n) { return n.attr_or("type", "") == "error"; });
  ASSERT_TRUE(err);
  EXPECT_EQ(err->child("error")->attr_or("code", ""), "401");
  EXPECT_EQ(err->child("error")->attr_or("text", ""), "signature-mismatch");
  EXPECT_EQ(client_->state(), ConnectionState::kStopped);
  EXPECT_EQ(events_.conn.back().reason, DisconnectReason::kPairingFailed);
  EXPECT_FALSE((*store_.load_credentials())->registered);
}

TEST_F(ClientTest, Failure401IsLoggedOutWithoutReconnect) {
  seed_paired();
  make_client();
  client_->connect();
  run();
  server_.deliver(Node("failure", {{"reason", "401"}}));
  run();
  ASSERT_EQ(events_.logged_out.size(), 1u);
  EXPECT_EQ(events_.logged_out[0].code, 401);
  EXPECT_EQ(client_->state(), ConnectionState::kLoggedOut);
  sched_.advance(seconds(3600));
  EXPECT_EQ(server_.created, 1);
  EXPECT_FALSE((*store_.load_credentials())->registered);
}

TEST_F(ClientTest, DeviceRemovedStreamErrorIsLoggedOut) {
  seed_paired();
  make_client();
  client_->connect();
  login();
  Node se("stream:error", {{"code", "401"}});
  se.add_child(Node("conflict", {{"type", "device_removed"}}));
  server_.deliver(se);
  run();
  EXPECT_EQ(client_->state(), ConnectionState::kLoggedOut);
  sched_.advance(seconds(3600));
  EXPECT_EQ(server_.created, 1);
}

TEST_F(ClientTest, ReplacedStopsAndReports) {
  seed_paired();
  make_client();
  client_->connect();
  login();
  Node se("stream:error");
  se.add_child(Node("conflict", {{"type", "replaced"}}));
  server_.deliver(se);
  run();
  EXPECT_EQ(client_->state(), ConnectionState::kReplaced);
  EXPECT_EQ(events_.conn.back().code, 440);
  sched_.advance(seconds(3600));
  EXPECT_EQ(server_.created, 1);
}

TEST_F(ClientTest, BadCertificateRefusesToConnectAndDoesNotRetry) {
  seed_paired();
  make_client();
  client_->connect();
  run();
  server_.close_with(core::Status::unauthenticated("certificate chain: bad signature")
                         .with_context("noise handshake"));
  run();
  EXPECT_EQ(client_->state(), ConnectionState::kStopped);
  EXPECT_EQ(events_.conn.back().reason, DisconnectReason::kBadCertificate);
  sched_.advance(seconds(3600));
  EXPECT_EQ(server_.created, 1);
}

TEST_F(ClientTest, NetworkLossReconnectsWithGrowingBackoff) {
  seed_paired();
  make_client();
  client_->connect();
  login();
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) {
    server_.close_with(core::Status::deadline_exceeded("connect/handshake timed out"));
    run();
    ASSERT_EQ(client_->state(), ConnectionState::kDisconnected);
    auto d = events_.conn.back().reconnect_in;
    EXPECT_EQ(events_.conn.back().reason, DisconnectReason::kTimeout);
    delays.push_back(d.count());
    int before = server_.created;
    sched_.advance(d - milliseconds(1));
    EXPECT_EQ(server_.created, before);
    sched_.advance(milliseconds(1));
    EXPECT_EQ(server_.created, before + 1);
  }
  for (size_t i = 1; i < delays.size(); ++i) EXPECT_GT(delays[i], delays[i - 1]);
  EXPECT_LE(delays.back(), 60000);
  // A successful login resets the schedule.
  login();
  server_.close_with(core::Status::unavailable("reset"));
  run();
  EXPECT_LE(events_.conn.back().reconnect_in.count(), 1200);
}

TEST_F(ClientTest, KeepaliveDetectsADeadConnection) {
  seed_paired();
  make_client();
  client_->connect();
  login();
  sched_.advance(seconds(31));
  auto ping = server_.take_iq("w:p");
  ASSERT_TRUE(ping);
  server_.reply(*ping);
  run();
  EXPECT_EQ(client_->state(), ConnectionState::kConnected);
  sched_.advance(seconds(31));
  ASSERT_TRUE(server_.take_iq("w:p"));  // never answered
  sched_.advance(seconds(10) + milliseconds(1));
  bool dead = false;
  for (auto& c : events_.conn) {
    dead |= c.state == ConnectionState::kDisconnected && c.reason == DisconnectReason::kTimeout;
  }
  EXPECT_TRUE(dead) << "the unanswered ping closes the connection";
  sched_.advance(seconds(2));
  EXPECT_EQ(server_.created, 2) << "and a reconnect follows";
}

TEST_F(ClientTest, IqTimesOut) {
  seed_paired();
  make_client();
  client_->connect();
  login();
  std::optional<core::Status> got;
  client_->query(Node("iq", {{"to", "@s.whatsapp.net"}, {"type", "get"}, {"xmlns", "x"}}),
                 [&](core::Result<Node> r) { got = r.status(); });
  run();
  sched_.advance(seconds(29));
  EXPECT_FALSE(got);
  sched_.advance(seconds(2));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->code(), core::StatusCode::kDeadlineExceeded);
}

// ---------------------------------------------------------------- messaging with a peer

class MessagingTest : public ClientTest {
 protected:
  void SetUp() override {
    seed_paired();
    make_client();
    client_->connect();
    login();
    peer_identity_ = signal::generate_identity_key_pair(random_);
    peer_spk_ = *signal::generate_signed_pre_key(peer_identity_, 1, random_);
    peer_pk_ = signal::generate_pre_keys(50, 3, random_);
    ASSERT_TRUE(signal::save_signed_pre_key(peer_store_, peer_spk_, 1).ok());
    ASSERT_TRUE(signal::save_pre_keys(peer_store_, peer_pk_).ok());
    peer_ = *signal::SignalProtocol::create(peer_store_, {peer_identity_, 4242}, &random_);
  }
  Node bytes_node(std::string tag, core::Bytes b) { return Node(std::move(tag), {}, std::move(b)); }
  // Answers the usync (peer: device 0 + LID; us: only our own device) and the key fetch.
  void answer_setup() {
    run();
    auto usync = server_.take_iq("usync");
    ASSERT_TRUE(usync) << "expected a usync query";
    Node list("list");
    for (const Node* u : usync->child("usync")->child("list")->children("user")) {
      std::string jid = u->attr_or("jid", "");
      Node user("user", {{"jid", jid}});
      Node dl("device-list");
      if (jid == kPeerPn) {
        dl.add_child(Node("device", {{"id", "0"}}));
        user.add_child(Node("lid", {{"val", std::string(kPeerLidUser) + "@lid"}}));
      } else {
        dl.add_child(Node("device", {{"id", "7"}, {"key-index", "1"}}));
      }
      Node devices("devices");
      devices.add_child(std::move(dl));
      user.add_child(std::move(devices));
      list.add_child(std::move(user));
    }
    Node us("usync");
    us.add_child(std::move(list));
    server_.reply(*usync, {std::move(us)});
    run();
    auto fetch = server_.take_iq("encrypt");
    ASSERT_TRUE(fetch) << "expected a key fetch";
    auto users = fetch->child("key")->children("user");
    ASSERT_EQ(users.size(), 1u);
    // LID-first: the session is keyed, and the bundle asked for, by the LID address.
    EXPECT_EQ(users[0]->attr_or("jid", ""), std::string(kPeerLidUser) + "@lid");
    Node u("user", {{"jid", users[0]->attr_or("jid", "")}});
    u.add_child(bytes_node("registration", core::uint_be_bytes(4242, 4)));
    u.add_child(bytes_node("type", {5}));
    u.add_child(bytes_node("identity", core::to_bytes(peer_identity_.public_view())));
    Node skey("skey");
    skey.add_child(bytes_node("id", core::uint_be_bytes(1, 3)));
    skey.add_child(bytes_node("value", core::to_bytes(peer_spk_.key_pair.public_view())));
    skey.add_child(bytes_node("signature", peer_spk_.signature));
    u.add_child(std::move(skey));
    Node key("key");
    key.add_child(bytes_node("id", core::uint_be_bytes(peer_pk_[0].id, 3)));
    key.add_child(bytes_node("value", core::to_bytes(peer_pk_[0].key_pair.public_view())));
    u.add_child(std::move(key));
    Node l2("list");
    l2.add_child(std::move(u));
    server_.reply(*fetch, {std::move(l2)});
    run();
  }
  // The peer decrypts what we sent to its device 0.
  waproto::Message peer_decrypt(const Node& stanza) {
    const Node* to = stanza.child("participants")->children("to")[0];
    EXPECT_EQ(to->attr_or("jid", ""), kPeerPn);
    const Node* enc = to->child("enc");
    auto type = *signal::parse_message_type(enc->attr_or("type", ""));
    auto d = peer_->decrypt(our_address_, type, *enc->bytes());
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    waproto::Message m;
    if (!d.ok()) return m;
    auto plain = signal::unpad(d->plaintext);
    m.ParseFromArray(plain->data(), static_cast<int>(plain->size()));
    return m;
  }
  Node peer_message(const std::string& id, const waproto::Message& m) {
    auto enc =
        peer_->encrypt(our_address_, signal::pad(core::as_view(m.SerializeAsString()), random_));
    EXPECT_TRUE(enc.ok()) << enc.status().to_string();
    Node msg("message", {{"from", kPeerPn},
                         {"id", id},
                         {"t", "1700000100"},
                         {"type", "text"},
                         {"notify", "Peer"},
                         {"sender_lid", std::string(kPeerLidUser) + "@lid"}});
    msg.add_child(
        Node("enc", {{"v", "2"}, {"type", std::string(enc->type_name())}}, enc->ciphertext));
    return msg;
  }

  store::InMemoryStore peer_store_;
  crypto::KeyPair peer_identity_;
  signal::SignedPreKey peer_spk_;
  std::vector<signal::PreKey> peer_pk_;
  std::unique_ptr<signal::SignalProtocol> peer_;
  signal::Address our_address_{"800000000000001_1", 7};
};

TEST_F(MessagingTest, SendFetchesKeysEncryptsAndResendsAfterADrop) {
  std::string id = client_->send(kPeerPn, make_text("hello peer"));
  answer_setup();
  auto stanza = server_.take([](const Node& n) { return n.tag == "message"; });
  ASSERT_TRUE(stanza);
  EXPECT_EQ(stanza->attr_or("id", ""), id);
  EXPECT_EQ(stanza->attr_or("type", ""), "text");
  EXPECT_NE(stanza->child("device-identity"), nullptr) << "pkmsg carries our ADV identity";
  EXPECT_EQ(stanza->child("participants")->children("to")[0]->child("enc")->attr_or("type", ""),
            "pkmsg");
  EXPECT_EQ(peer_decrypt(*stanza).conversation(), "hello peer");
  server_.deliver(Node("ack", {{"class", "message"}, {"id", id}, {"from", kPeerPn}, {"t", "5"}}));
  run();
  ASSERT_EQ(events_.results.size(), 1u);
  EXPECT_TRUE(events_.results[0].ok);
  EXPECT_EQ(client_->pending_sends(), 0u);

  // A second message is on the wire when the connection dies: it is sent again after the
  // reconnect, with the same id, and not lost.
  std::string id2 = client_->send(kPeerPn, make_text("second"));
  run();
  auto s2 = server_.take([](const Node& n) { return n.tag == "message"; });
  ASSERT_TRUE(s2);
  EXPECT_EQ(peer_decrypt(*s2).conversation(), "second");
  server_.close_with(core::Status::unavailable("drop"));
  run();
  EXPECT_EQ(client_->pending_sends(), 1u);
  sched_.advance(seconds(2));
  login();
  run();
  // It may have reached the server: held until the offline backlog has been handed over.
  EXPECT_FALSE(server_.take([](const Node& n) { return n.tag == "message"; }));
  server_.deliver(
      Node("ib", {{"from", "s.whatsapp.net"}}, Node::Children{Node("offline", {{"count", "0"}})}));
  run();
  auto s3 = server_.take([](const Node& n) { return n.tag == "message"; });
  ASSERT_TRUE(s3) << "the unacked message is resent";
  EXPECT_EQ(s3->attr_or("id", ""), id2);
  EXPECT_EQ(peer_decrypt(*s3).conversation(), "second");
  server_.deliver(Node("ack", {{"class", "message"}, {"id", id2}, {"from", kPeerPn}}));
  run();
  EXPECT_EQ(client_->pending_sends(), 0u);
  EXPECT_EQ(events_.results.size(), 2u);

  // Third message: the peer's delivery receipt arrives in the offline backlog after the drop,
  // which proves the server had it: acked, not sent again.
  std::string id3 = client_->send(kPeerPn, make_text("third"));
  run();
  ASSERT_TRUE(server_.take([](const Node& n) { return n.tag == "message"; }));
  server_.close_with(core::Status::unavailable("drop"));
  run();
  sched_.advance(seconds(2));
  login();
  run();
  server_.deliver(Node("receipt", {{"id", id3}, {"from", kPeerPn}, {"t", "9"}}));
  server_.deliver(
      Node("ib", {{"from", "s.whatsapp.net"}}, Node::Children{Node("offline", {{"count", "1"}})}));
  run();
  EXPECT_FALSE(server_.take([](const Node& n) { return n.tag == "message"; }))
      << "a message the peer confirmed is not sent twice";
  EXPECT_EQ(client_->pending_sends(), 0u);
  ASSERT_EQ(events_.results.size(), 3u);
  EXPECT_TRUE(events_.results[2].ok);
  EXPECT_EQ(events_.results[2].id, id3);

  // Fourth: a server that never sends the offline marker still gets the message, after the wait.
  std::string id4 = client_->send(kPeerPn, make_text("fourth"));
  run();
  ASSERT_TRUE(server_.take([](const Node& n) { return n.tag == "message"; }));
  server_.close_with(core::Status::unavailable("drop"));
  run();
  sched_.advance(seconds(2));
  login();
  run();
  EXPECT_FALSE(server_.take([](const Node& n) { return n.tag == "message"; }));
  sched_.advance(seconds(10));  // kOfflineResendWait
  run();
  auto s4 = server_.take([](const Node& n) { return n.tag == "message"; });
  ASSERT_TRUE(s4) << "resent after the wait without an offline marker";
  EXPECT_EQ(s4->attr_or("id", ""), id4);
}

TEST_F(MessagingTest, ReceiveEmitsBeforeReceiptAndSuppressesDuplicates) {
  // Establish the peer's session with us through our first message.
  client_->send(kPeerPn, make_text("hi"));
  answer_setup();
  auto s = server_.take([](const Node& n) { return n.tag == "message"; });
  peer_decrypt(*s);
  server_.sent.clear();

  bool receipt_before_event = false;
  events_.on_msg_hook = [&](const MessageEvent& e) {
    for (auto& n : server_.sent) {
      receipt_before_event |= n.tag == "receipt" && n.attr_or("id", "") == e.info.id;
    }
  };
  Node m1 = peer_message("IN1", make_text("one"));
  Node m2 = peer_message("IN2", make_text("two"));
  server_.deliver(m1);
  server_.deliver(m2);
  run();
  ASSERT_EQ(events_.messages.size(), 2u);
  EXPECT_FALSE(receipt_before_event) << "the receipt goes out only after the event and commit";
  EXPECT_EQ(events_.messages[0].message.conversation(), "one");
  EXPECT_EQ(events_.messages[1].message.conversation(), "two");
  EXPECT_EQ(events_.messages[0].info.sender_lid, std::string(kPeerLidUser) + "@lid");
  EXPECT_EQ(events_.messages[0].info.push_name, "Peer");
  EXPECT_TRUE(server_.take(
      [](const Node& n) { return n.tag == "receipt" && n.attr_or("id", "") == "IN1"; }));
  EXPECT_TRUE(server_.take(
      [](const Node& n) { return n.tag == "receipt" && n.attr_or("id", "") == "IN2"; }));

  // The server redelivers IN1 (our receipt got lost): no second event, the receipt is repeated.
  server_.deliver(m1);
  run();
  EXPECT_EQ(events_.messages.size(), 2u);
  EXPECT_TRUE(server_.take(
      [](const Node& n) { return n.tag == "receipt" && n.attr_or("id", "") == "IN1"; }));
}

TEST_F(MessagingTest, UndecryptableMessagesAskForRetriesWithKeysThenGiveUp) {
  Node bad("message",
           {{"from", "15550000003@s.whatsapp.net"}, {"id", "BAD1"}, {"t", "9"}, {"type", "text"}});
  core::Bytes junk = random_.bytes(60);
  junk[0] = 0x33;
  bad.add_child(Node("enc", {{"v", "2"}, {"type", "msg"}}, junk));
  for (uint32_t i = 1; i <= 5; ++i) {
    server_.deliver(bad);
    run();
    auto r = server_.take(
        [](const Node& n) { return n.tag == "receipt" && n.attr_or("type", "") == "retry"; });
    ASSERT_TRUE(r) << "retry " << i;
    EXPECT_EQ(r->child("retry")->attr_or("count", ""), std::to_string(i));
    EXPECT_EQ(r->child("keys") != nullptr, i >= 2) << "keys from the second retry on";
  }
  server_.deliver(bad);
  run();
  ASSERT_EQ(events_.undecryptable.size(), 1u);
  EXPECT_EQ(events_.undecryptable[0].info.id, "BAD1");
  EXPECT_TRUE(events_.messages.empty());
}

TEST_F(MessagingTest, ReceiptsAreReportedAndAcked) {
  Node r("receipt", {{"from", kPeerPn}, {"id", "X1"}, {"type", "read"}, {"t", "7"}});
  Node list("list");
  list.add_child(Node("item", {{"id", "X2"}}));
  r.add_child(std::move(list));
  server_.deliver(r);
  run();
  ASSERT_EQ(events_.receipts.size(), 1u);
  EXPECT_EQ(events_.receipts[0].type, "read");
  EXPECT_EQ(events_.receipts[0].ids, (std::vector<std::string>{"X1", "X2"}));
  auto ack = server_.take([](const Node& n) { return n.tag == "ack"; });
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->attr_or("class", ""), "receipt");
  EXPECT_EQ(ack->attr_or("id", ""), "X1");
}

TEST_F(MessagingTest, RetryRequestFromThePeerIsAnsweredWithAResend) {
  std::string id = client_->send(kPeerPn, make_text("please retry me"));
  answer_setup();
  auto first = server_.take([](const Node& n) { return n.tag == "message"; });
  ASSERT_TRUE(first);
  server_.deliver(Node("ack", {{"class", "message"}, {"id", id}, {"from", kPeerPn}}));
  run();
  // The peer lost it: it asks for a retry (count 1, no keys).
  Node retry("receipt", {{"from", kPeerPn}, {"id", id}, {"type", "retry"}, {"t", "9"}});
  retry.add_child(Node("retry", {{"count", "1"}, {"id", id}, {"t", "9"}, {"v", "1"}}));
  retry.add_child(Node("registration", {}, core::uint_be_bytes(4242, 4)));
  server_.deliver(retry);
  run();
  EXPECT_TRUE(server_.take(
      [](const Node& n) { return n.tag == "ack" && n.attr_or("class", "") == "receipt"; }));
  auto resend = server_.take([](const Node& n) { return n.tag == "message"; });
  ASSERT_TRUE(resend) << "a retry receipt is answered";
  EXPECT_EQ(resend->attr_or("id", ""), id);
  EXPECT_EQ(resend->attr_or("to", ""), kPeerPn);
  EXPECT_EQ(resend->attr_or("device_fanout", ""), "false");
  const Node* enc = resend->child("enc");
  ASSERT_NE(enc, nullptr);
  EXPECT_EQ(enc->attr_or("count", ""), "1");
  auto type = *signal::parse_message_type(enc->attr_or("type", ""));
  auto d = peer_->decrypt(our_address_, type, *enc->bytes());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  waproto::Message m;
  auto plain = signal::unpad(d->plaintext);
  ASSERT_TRUE(m.ParseFromArray(plain->data(), static_cast<int>(plain->size())));
  EXPECT_EQ(m.conversation(), "please retry me");
  // More than max_retries requests for the same device are ignored.
  for (int i = 0; i < 6; ++i) server_.deliver(retry);
  run();
  int resends = 0;
  while (server_.take([](const Node& n) { return n.tag == "message"; })) ++resends;
  EXPECT_EQ(resends, 4);
}

TEST_F(MessagingTest, PresenceTypingAndLogout) {
  client_->send_chat_state(kPeerPn, "composing");
  auto cs = server_.take([](const Node& n) { return n.tag == "chatstate"; });
  ASSERT_TRUE(cs);
  EXPECT_EQ(cs->attr_or("to", ""), kPeerPn);
  EXPECT_NE(cs->child("composing"), nullptr);
  client_->send_presence(true);
  auto pr = server_.take([](const Node& n) { return n.tag == "presence"; });
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->attr_or("type", ""), "available");

  std::optional<core::Status> done;
  client_->logout([&](core::Status s) { done = s; });
  run();
  auto rm = server_.take_iq("md");
  ASSERT_TRUE(rm);
  ASSERT_NE(rm->child("remove-companion-device"), nullptr);
  EXPECT_EQ(rm->child("remove-companion-device")->attr_or("jid", ""), kOurPn);
  server_.reply(*rm);
  run();
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->ok());
  EXPECT_EQ(client_->state(), ConnectionState::kLoggedOut);
  EXPECT_EQ(events_.logged_out.size(), 1u);
  sched_.advance(seconds(600));
  EXPECT_EQ(server_.created, 1);
}

}  // namespace
}  // namespace wa::client
