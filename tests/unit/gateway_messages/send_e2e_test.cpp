// End to end through the in-process sandbox simulator: a SessionManager session "alice" (linked
// by scanning its QR through the Sandbox) sends every message type to a peer — a real
// wa::client::Client linked to its own simulated account — and the test checks what the peer
// decrypted: text with mentions and a reply, every media kind (the peer downloads and compares
// the bytes), location, contact, reactions, edits and revokes; then messages still "queued" when
// the manager stopped are sent again by a new manager on the same database.
//
// One environment (simulator, database, manager, peer) is shared by the tests of this file:
// linking is the slow part. Everything runs on the test thread's io_context; the SQL pool posts
// results back to it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/net/net.h"
#include "core/random.h"
#include "gateway/api/media_fetch.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/activity.h"
#include "gateway/auth/auth.h"
#include "gateway/auth/principal.h"
#include "gateway/http/router.h"
#include "gateway/live/hub.h"
#include "gateway/services.h"
#include "gateway/sessions/sandbox.h"
#include "gateway/sessions/session_manager.h"
#include "gateway/webhooks/publisher.h"
#include "gateway/webhooks/url_policy.h"
#include "gateway/webhooks/webhook_settings.h"
#include "storage/storage.h"
#include "storage/webhook_queries.h"
#include "wa/client/client.h"
#include "wa/store/in_memory_store.h"
#include "wa/transport/asio_net.h"

namespace gw {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sessions::SessionManager;
using sessions::State;

constexpr const char* kKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* kPeerPhone = "15550004444";

// The receiving side: a plain protocol client that records what it decrypted.
struct Peer final : wa::client::EventHandler {
  sessions::Sandbox* sandbox = nullptr;
  wa::store::InMemoryStore store;
  wa::transport::AsioClientEnvironment env;
  std::unique_ptr<wa::client::Client> client;
  bool connected = false;
  bool scanned = false;
  std::vector<wa::client::MessageEvent> received;

  void on_qr(const wa::client::QrEvent& e) override {
    if (scanned) return;
    scanned = true;
    sandbox->link(kPeerPhone, e.code, [](core::Result<std::string>) {});
  }
  void on_connection(const wa::client::ConnectionEvent& e) override {
    connected = e.state == wa::client::ConnectionState::kConnected;
  }
  void on_message(const wa::client::MessageEvent& e) override { received.push_back(e); }
};

struct Env {
  net::io_context io;
  fs::path dir;
  std::unique_ptr<sessions::Sandbox> sandbox;
  std::unique_ptr<Services> services;
  UrlPolicy policy;
  std::unique_ptr<webhooks::WebhookSettings> settings;
  std::unique_ptr<webhooks::WebhookPublisher> publisher;
  SessionManager* mgr = nullptr;  // leaked on restart: old clients may still have io work
  Peer peer;
  std::string alice_jid;  // device JID
  std::string setup_error;

  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io.run_for(std::chrono::milliseconds(10));
      io.restart();
    }
    return true;
  }

  SessionManager* make_manager() {
    SessionManager::Options o;
    o.endpoint = sandbox->endpoint();
    return new SessionManager(io, *services, *publisher, *settings, nullptr, o);
  }

  bool setup() {
    auto& clock = core::SystemClock::instance();
    auto& random = core::SecureRandom::instance();
    dir = fs::temp_directory_path() / ("sl-h1-messages-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "media");
    auto sb = sessions::Sandbox::start(io, dir / "sim", true, clock, random);
    if (!sb.ok()) return fail("sandbox: " + sb.status().to_string());
    sandbox = std::move(*sb);
    storage::StorageOptions so;
    so.database.url = "sqlite://" + (dir / "test.db").string();
    so.encryption_key_hex = kKeyHex;
    so.key_file = dir / "secret.key";
    auto st = storage::Storage::open(so, clock, random);
    if (!st.ok()) return fail("storage: " + st.status().to_string());
    services = std::make_unique<Services>(
        std::move(*st), [this](std::function<void()> fn) { net::post(io, std::move(fn)); }, clock,
        random);
    settings = std::make_unique<webhooks::WebhookSettings>(
        services->storage().wa_sessions(), policy, random, webhooks::WebhookSettings::Options{});
    publisher = std::make_unique<webhooks::WebhookPublisher>(
        services->storage().db(), services->storage().webhooks(), *settings);
    mgr = make_manager();
    if (auto s = mgr->start(); !s.ok()) return fail("start: " + s.to_string());

    // Link "alice" by scanning its QR with the sandbox.
    bool created = false;
    mgr->create("alice", std::nullopt, "",
                [&](core::Result<SessionManager::Created> r) { created = r.ok(); });
    if (!run_until([&] {
          auto s = mgr->find("alice");
          return created && s && !s->qr.empty();
        })) {
      return fail("no QR for alice");
    }
    sandbox->link(sessions::Sandbox::phone_for("alice"), mgr->find("alice")->qr,
                  [](core::Result<std::string>) {});
    if (!run_until([&] { return mgr->find("alice")->state == State::kConnected; })) {
      return fail("alice did not connect");
    }
    alice_jid = mgr->find("alice")->jid;

    // The peer.
    peer.sandbox = sandbox.get();
    const auto endpoint = sandbox->endpoint();
    peer.env = wa::transport::make_asio_client_environment(net::make_strand(io), endpoint.transport,
                                                           endpoint.media_tls, clock, random);
    wa::client::ClientConfig cfg;
    cfg.initial_pre_keys = 20;
    wa::client::ClientDeps deps{
        *peer.env.scheduler, *peer.env.transports, peer.store, peer, clock, random};
    deps.http = peer.env.http.get();
    peer.client = std::make_unique<wa::client::Client>(cfg, deps);
    peer.client->connect();
    if (!run_until([&] { return peer.connected; })) return fail("peer did not connect");
    return true;
  }

  bool fail(std::string why) {
    setup_error = std::move(why);
    return false;
  }

  // Stops the manager (its clients disconnect; queued work is abandoned as in a crash) and
  // starts a new one on the same database, which restores and reconnects alice.
  bool restart() {
    mgr->stop();
    run_until([] { return false; }, std::chrono::milliseconds(200));
    mgr = make_manager();
    if (!mgr->start().ok()) return false;
    return run_until([&] {
      auto s = mgr->find("alice");
      return s && s->state == State::kConnected;
    });
  }
};

Env* g_env = nullptr;

// Stops the shared environment after every suite that uses it has run.
class EnvCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!g_env) return;
    if (g_env->mgr) g_env->mgr->stop();
    if (g_env->peer.client) g_env->peer.client->disconnect();
    g_env->run_until([] { return false; }, std::chrono::milliseconds(200));
    if (g_env->services) g_env->services->stop();
    std::error_code ec;
    fs::remove_all(g_env->dir, ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kCleanup =
    ::testing::AddGlobalTestEnvironment(new EnvCleanup);

class SendE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_env) return;
    g_env = new Env();  // deliberately leaked: clients and timers belong to its io_context
    if (!g_env->setup() && g_env->setup_error.empty()) g_env->setup_error = "setup failed";
  }
  void SetUp() override { ASSERT_TRUE(g_env->setup_error.empty()) << g_env->setup_error; }

  Env& env() { return *g_env; }
  std::string peer_jid() const { return std::string(kPeerPhone) + "@s.whatsapp.net"; }
  std::string alice_user_jid() const {
    const std::string& j = g_env->alice_jid;
    return j.substr(0, j.find_first_of(":@")) + "@s.whatsapp.net";
  }

  core::Result<sessions::SendOutcome> send_message(sessions::OutgoingMessage m) {
    std::optional<core::Result<sessions::SendOutcome>> out;
    env().mgr->send("alice", std::move(m),
                    [&](core::Result<sessions::SendOutcome> r) { out = std::move(r); });
    if (!env().run_until([&] { return out.has_value(); })) {
      return core::Status::deadline_exceeded("send did not answer");
    }
    return std::move(*out);
  }

  core::Result<sessions::SendOutcome> send_json(json item) {
    if (!item.contains("to")) item["to"] = kPeerPhone;
    auto parsed = api::parse_message(item);
    if (!parsed.ok()) return parsed.status();
    return send_message(std::move(*parsed));
  }

  // The message the peer received with this id (nullptr after the timeout).
  const wa::client::MessageEvent* received(const std::string& id) {
    const wa::client::MessageEvent* found = nullptr;
    env().run_until([&] {
      for (const auto& e : env().peer.received) {
        if (e.info.id == id) found = &e;
      }
      return found != nullptr;
    });
    return found;
  }

  // Sends `item` and returns what the peer decrypted.
  waproto::Message round_trip(const json& item, std::string* id_out = nullptr) {
    auto r = send_json(item);
    EXPECT_TRUE(r.ok()) << item.dump() << ": " << r.status().to_string();
    if (!r.ok()) return {};
    if (id_out) *id_out = r->record.message_id;
    last_sent_id_ = r->record.message_id;
    auto* e = received(r->record.message_id);
    EXPECT_NE(e, nullptr) << "peer did not receive " << item.dump();
    return e ? e->message : waproto::Message();
  }

  // A stored upload of alice (as POST /api/v1/media would leave it); session "" = nobody's.
  std::string add_media(const core::Bytes& bytes, const std::string& mime,
                        const std::string& session = "alice", const std::string& name = "f") {
    static int n = 0;
    const fs::path path = env().dir / "media" / ("file" + std::to_string(n++));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<long>(bytes.size()));
    storage::MediaFile f;
    if (!session.empty()) f.session_id = session;
    f.path = path.string();
    f.sha256 = std::string(64, '0');
    f.mime = mime;
    f.size = static_cast<long long>(bytes.size());
    f.original_name = name;
    auto added = env().services->storage().media().add(f);
    EXPECT_TRUE(added.ok()) << added.status().to_string();
    return added.ok() ? added->id : "";
  }

  core::Bytes download(const waproto::Message& m) {
    auto media = wa::client::media_of(m);
    EXPECT_TRUE(media.has_value());
    if (!media) return {};
    std::optional<core::Result<core::Bytes>> out;
    env().peer.client->download_media(*media,
                                      [&](core::Result<core::Bytes> r) { out = std::move(r); });
    env().run_until([&] { return out.has_value(); });
    EXPECT_TRUE(out && out->ok()) << (out ? out->status().to_string() : "no answer");
    return out && out->ok() ? **out : core::Bytes();
  }

  // A message the peer sends to alice, once alice has recorded it.
  std::string inbound_from_peer(const std::string& text) {
    const std::string alice = alice_user_jid();
    const std::string id = env().peer.client->send(alice, wa::client::make_text(text));
    env().run_until([&] {
      auto r = env().services->storage().messages().find("alice", peer_jid(), "in", id);
      return r.ok() && r->has_value();
    });
    return id;
  }

  std::string last_sent_id_;

  static core::Bytes bytes_with(std::string_view magic, size_t size) {
    core::Bytes b(magic.begin(), magic.end());
    while (b.size() < size) b.push_back(static_cast<uint8_t>(b.size() * 7));
    return b;
  }
};

TEST_F(SendE2eTest, TextWithMentionsAndAReplyToOurOwnMessage) {
  std::string first;
  auto m1 = round_trip({{"type", "text"}, {"text", {{"body", "first message"}}}}, &first);
  EXPECT_EQ(m1.conversation(), "first message");

  auto m2 = round_trip({{"type", "text"},
                        {"text", {{"body", "@15550001111 see above"}}},
                        {"mentions", {"15550001111"}},
                        {"quoted", first}});
  ASSERT_TRUE(m2.has_extended_text_message());
  const auto& x = m2.extended_text_message();
  EXPECT_EQ(x.text(), "@15550001111 see above");
  ASSERT_EQ(x.context_info().mentioned_jid_size(), 1);
  EXPECT_EQ(x.context_info().mentioned_jid(0), "15550001111@s.whatsapp.net");
  EXPECT_EQ(x.context_info().stanza_id(), first);
  EXPECT_EQ(x.context_info().participant(), alice_user_jid());
  EXPECT_EQ(x.context_info().quoted_message().conversation(), "first message");
}

TEST_F(SendE2eTest, ReplyToAnInboundMessage) {
  const std::string ping = inbound_from_peer("ping from peer");
  auto m = round_trip({{"type", "text"}, {"text", {{"body", "pong"}}}, {"quoted", ping}});
  ASSERT_TRUE(m.has_extended_text_message());
  const auto& ci = m.extended_text_message().context_info();
  EXPECT_EQ(ci.stanza_id(), ping);
  EXPECT_EQ(ci.participant(), peer_jid());
  EXPECT_EQ(ci.quoted_message().conversation(), "ping from peer");
}

// An inbound 1:1 message recorded under the peer's LID chat is found from the phone number.
TEST_F(SendE2eTest, InboundMessageOfALidChatIsFoundByPhoneNumber) {
  auto& storage = env().services->storage();
  ASSERT_TRUE(storage.device_store("alice")->store_lid_mapping("15550006666", "88880006666").ok());
  storage::MessageRecord in;
  in.session_id = "alice";
  in.direction = "in";
  in.chat_jid = "88880006666@lid";
  in.sender_jid = "88880006666@lid";
  in.message_id = "LIDCHATMSG1";
  in.body_json = json{{"text", "from a lid chat"}}.dump();
  in.status = "received";
  ASSERT_TRUE(storage.messages().record_inbound(in).ok());
  auto parsed = api::parse_message({{"to", "15550006666"},
                                    {"type", "text"},
                                    {"text", {{"body", "re"}}},
                                    {"quoted", "LIDCHATMSG1"}});
  ASSERT_TRUE(parsed.ok());
  auto r = send_message(std::move(*parsed));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto rec = storage.messages().find_outbound("alice", r->record.message_id);
  ASSERT_TRUE(rec.ok() && *rec);
  auto body = json::parse((*rec)->body_json);
  waproto::Message sent;
  auto raw = core::base64_decode(body["_wa"].get<std::string>());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(sent.ParseFromArray(raw->data(), static_cast<int>(raw->size())));
  EXPECT_EQ(sent.extended_text_message().context_info().stanza_id(), "LIDCHATMSG1");
  EXPECT_EQ(sent.extended_text_message().context_info().participant(), "88880006666@lid");
  EXPECT_EQ(sent.extended_text_message().context_info().quoted_message().conversation(),
            "from a lid chat");
}

TEST_F(SendE2eTest, UnknownQuotedMessageIsAnItemError) {
  auto r = send_json({{"type", "text"}, {"text", {{"body", "x"}}}, {"quoted", "3EB0NOSUCH"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "quoted message 3EB0NOSUCH not found");
}

TEST_F(SendE2eTest, ImageWithCaptionMentionAndReply) {
  std::string first;
  round_trip({{"type", "text"}, {"text", {{"body", "look at this"}}}}, &first);
  const core::Bytes png = bytes_with("\x89PNG\r\n\x1A\n", 3000);
  const std::string id = add_media(png, "image/png");
  auto m = round_trip({{"type", "image"},
                       {"image", {{"id", id}, {"caption", "a picture"}}},
                       {"mentions", {"15550001111"}},
                       {"quoted", first}});
  ASSERT_TRUE(m.has_image_message());
  const auto& img = m.image_message();
  EXPECT_EQ(img.caption(), "a picture");
  EXPECT_EQ(img.mimetype(), "image/png");
  EXPECT_EQ(img.context_info().mentioned_jid(0), "15550001111@s.whatsapp.net");
  EXPECT_EQ(img.context_info().stanza_id(), first);
  EXPECT_EQ(download(m), png);

  // A reply to that image quotes an image (caption and type), not an empty text.
  const std::string image_id = last_sent_id_;
  auto reply =
      round_trip({{"type", "text"}, {"text", {{"body", "nice pic"}}}, {"quoted", image_id}});
  ASSERT_TRUE(reply.has_extended_text_message());
  const auto& quoted = reply.extended_text_message().context_info().quoted_message();
  ASSERT_TRUE(quoted.has_image_message());
  EXPECT_EQ(quoted.image_message().caption(), "a picture");
  EXPECT_EQ(quoted.image_message().mimetype(), "image/png");
}

TEST_F(SendE2eTest, VideoAudioPttDocumentAndSticker) {
  const core::Bytes mp4 = bytes_with(std::string_view("\0\0\0\x18"
                                                      "ftypmp42",
                                                      12),
                                     4000);
  auto v = round_trip(
      {{"type", "video"}, {"video", {{"id", add_media(mp4, "video/mp4")}, {"caption", "clip"}}}});
  ASSERT_TRUE(v.has_video_message());
  EXPECT_EQ(v.video_message().caption(), "clip");
  EXPECT_EQ(v.video_message().mimetype(), "video/mp4");
  EXPECT_EQ(download(v), mp4);

  const core::Bytes ogg = bytes_with("OggS", 2500);
  auto a = round_trip(
      {{"type", "audio"}, {"audio", {{"id", add_media(ogg, "audio/ogg")}, {"ptt", true}}}});
  ASSERT_TRUE(a.has_audio_message());
  EXPECT_TRUE(a.audio_message().ptt());
  EXPECT_EQ(a.audio_message().mimetype(), "audio/ogg; codecs=opus");
  EXPECT_EQ(download(a), ogg);

  const core::Bytes mp3 = bytes_with("ID3", 2000);
  auto music = round_trip({{"type", "audio"}, {"audio", {{"id", add_media(mp3, "audio/mpeg")}}}});
  ASSERT_TRUE(music.has_audio_message());
  EXPECT_FALSE(music.audio_message().ptt());
  EXPECT_EQ(music.audio_message().mimetype(), "audio/mpeg");

  const core::Bytes pdf = bytes_with("%PDF-1.7", 5000);
  auto d = round_trip({{"type", "document"},
                       {"document",
                        {{"id", add_media(pdf, "application/pdf", "alice", "upload.pdf")},
                         {"caption", "the report"}}}});
  ASSERT_TRUE(d.has_document_message());
  EXPECT_EQ(d.document_message().file_name(), "upload.pdf") << "the upload's name by default";
  EXPECT_EQ(d.document_message().caption(), "the report");
  EXPECT_EQ(d.document_message().mimetype(), "application/pdf");
  EXPECT_EQ(download(d), pdf);

  auto named = round_trip(
      {{"type", "document"},
       {"document", {{"id", add_media(pdf, "application/pdf")}, {"filename", "Q3.pdf"}}}});
  EXPECT_EQ(named.document_message().file_name(), "Q3.pdf");

  const core::Bytes webp = bytes_with(std::string_view("RIFF\x10\0\0\0WEBPVP8 ", 16), 1500);
  auto s = round_trip({{"type", "sticker"}, {"sticker", {{"id", add_media(webp, "image/webp")}}}});
  ASSERT_TRUE(s.has_sticker_message());
  EXPECT_EQ(s.sticker_message().mimetype(), "image/webp");
  EXPECT_EQ(download(s), webp);
}

TEST_F(SendE2eTest, MediaMustFitTheTypeAndBelongToTheSession) {
  const std::string png = add_media(bytes_with("\x89PNG\r\n\x1A\n", 100), "image/png");
  auto r = send_json({{"type", "video"}, {"video", {{"id", png}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("image/png"), std::string::npos);
  r = send_json({{"type", "sticker"}, {"sticker", {{"id", png}}}});
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);

  const std::string other = add_media(bytes_with("\x89PNG\r\n\x1A\n", 100), "image/png", "");
  r = send_json({{"type", "image"}, {"image", {{"id", other}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  r = send_json({{"type", "image"}, {"image", {{"id", "nosuchmedia"}}}});
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
}

TEST_F(SendE2eTest, LocationAndContact) {
  auto loc = round_trip({{"type", "location"},
                         {"location",
                          {{"latitude", 48.8584},
                           {"longitude", 2.2945},
                           {"name", "Tour Eiffel"},
                           {"address", "Champ de Mars"}}}});
  ASSERT_TRUE(loc.has_location_message());
  EXPECT_DOUBLE_EQ(loc.location_message().degrees_latitude(), 48.8584);
  EXPECT_DOUBLE_EQ(loc.location_message().degrees_longitude(), 2.2945);
  EXPECT_EQ(loc.location_message().name(), "Tour Eiffel");
  EXPECT_EQ(loc.location_message().address(), "Champ de Mars");

  auto c = round_trip(
      {{"type", "contact"}, {"contact", {{"name", "Support"}, {"phones", {"+1 555 000 9999"}}}}});
  ASSERT_TRUE(c.has_contact_message());
  EXPECT_EQ(c.contact_message().display_name(), "Support");
  EXPECT_NE(c.contact_message().vcard().find("waid=15550009999"), std::string::npos);
}

TEST_F(SendE2eTest, ReactionsToOwnAndInboundMessages) {
  std::string own;
  round_trip({{"type", "text"}, {"text", {{"body", "react to me"}}}}, &own);
  auto r1 = round_trip({{"type", "reaction"}, {"reaction", {{"message_id", own}, {"emoji", "👍"}}}});
  ASSERT_TRUE(r1.has_reaction_message());
  EXPECT_EQ(r1.reaction_message().text(), "👍");
  EXPECT_EQ(r1.reaction_message().key().id(), own);
  EXPECT_TRUE(r1.reaction_message().key().from_me());
  EXPECT_EQ(r1.reaction_message().key().remote_jid(), peer_jid());

  const std::string theirs = inbound_from_peer("nice");
  auto r2 = round_trip(
      {{"type", "reaction"}, {"reaction", {{"message_id", theirs}, {"emoji", "❤️"}}}});
  ASSERT_TRUE(r2.has_reaction_message());
  EXPECT_EQ(r2.reaction_message().key().id(), theirs);
  EXPECT_FALSE(r2.reaction_message().key().from_me());

  auto removal =
      round_trip({{"type", "reaction"}, {"reaction", {{"message_id", theirs}, {"emoji", ""}}}});
  EXPECT_EQ(removal.reaction_message().text(), "");

  auto missing =
      send_json({{"type", "reaction"}, {"reaction", {{"message_id", "3EB0GONE"}, {"emoji", "x"}}}});
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
}

TEST_F(SendE2eTest, EditOnlyOwnTextMessages) {
  std::string own;
  round_trip({{"type", "text"}, {"text", {{"body", "teh typo"}}}}, &own);
  auto e = round_trip({{"type", "edit"}, {"edit", {{"message_id", own}, {"text", "the typo"}}}});
  ASSERT_TRUE(e.has_protocol_message());
  EXPECT_EQ(e.protocol_message().type(), waproto::Message_ProtocolMessage::MESSAGE_EDIT);
  EXPECT_EQ(e.protocol_message().key().id(), own);
  EXPECT_TRUE(e.protocol_message().key().from_me());
  EXPECT_EQ(e.protocol_message().edited_message().conversation(), "the typo");

  const std::string theirs = inbound_from_peer("not yours to edit");
  auto r = send_json({{"type", "edit"}, {"edit", {{"message_id", theirs}, {"text", "x"}}}});
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);

  std::string loc;
  round_trip({{"type", "location"}, {"location", {{"latitude", 1}, {"longitude", 2}}}}, &loc);
  r = send_json({{"type", "edit"}, {"edit", {{"message_id", loc}, {"text", "x"}}}});
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(SendE2eTest, RevokeOwnMessage) {
  std::string own;
  round_trip({{"type", "text"}, {"text", {{"body", "oops"}}}}, &own);
  auto r = send_message(api::revoke_message(peer_jid(), own));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->record.type, "revoke");
  auto* e = received(r->record.message_id);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->message.has_protocol_message());
  EXPECT_EQ(e->message.protocol_message().type(), waproto::Message_ProtocolMessage::REVOKE);
  EXPECT_EQ(e->message.protocol_message().key().id(), own);
  EXPECT_TRUE(e->message.protocol_message().key().from_me());

  // Someone else's message, an unknown id, or the right id in the wrong chat: not found.
  const std::string theirs = inbound_from_peer("keep me");
  EXPECT_EQ(send_message(api::revoke_message(peer_jid(), theirs)).status().code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(send_message(api::revoke_message(peer_jid(), "3EB0UNKNOWN")).status().code(),
            core::StatusCode::kNotFound);
  EXPECT_FALSE(send_message(api::revoke_message("15550007777@s.whatsapp.net", own)).ok());
}

TEST_F(SendE2eTest, IdempotencyKeyAnswersTheFirstRecord) {
  auto item = api::parse_message({{"to", kPeerPhone},
                                  {"type", "location"},
                                  {"location", {{"latitude", 3}, {"longitude", 4}}}});
  ASSERT_TRUE(item.ok());
  item->idempotency_key = "h1-idem-1";
  auto first = send_message(*item);
  ASSERT_TRUE(first.ok());
  auto again = send_message(*item);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->record.message_id, first->record.message_id);
}

// The REST routes over the same manager (no auth middleware: the master principal is attached
// by hand, as the middleware would).
class RoutesE2eTest : public SendE2eTest {
 protected:
  void SetUp() override {
    SendE2eTest::SetUp();
    activity_ = std::make_unique<auth::ActivityLog>(*env().services);
    auth_ = std::make_unique<auth::AuthService>(*env().services, *activity_, auth::AuthOptions{});
    queries_ = std::make_unique<storage::WebhookQueries>(env().services->storage().db(),
                                                         core::SystemClock::instance());
    deps_ = std::make_unique<api::MessagingDeps>(
        api::MessagingDeps{*env().services, *auth_, *activity_, hub_, *env().mgr, *env().settings,
                           *queries_, env().sandbox.get(), true});
    api::install_messages_routes(router_, *deps_);
    api::install_message_delete_route(router_, *deps_);
  }

  std::pair<int, json> call(const std::string& method, const std::string& target,
                            const json& body = nullptr) {
    auto req = std::make_shared<gw::http::Request>();
    req->method = method;
    req->set_target(target);
    if (!body.is_null()) {
      req->body = body.dump();
      req->headers.set("Content-Type", "application/json");
    }
    req->set_attribute(std::make_shared<auth::Principal>(auth::Principal::master()));
    std::optional<gw::http::Response> out;
    router_.dispatch(req, gw::http::Responder([&](gw::http::Response r) { out = std::move(r); }));
    env().run_until([&] { return out.has_value(); });
    if (!out) return {0, nullptr};
    return {out->status, json::parse(out->body, nullptr, false)};
  }

  gw::http::Router router_;
  live::LiveHub hub_;
  std::unique_ptr<auth::ActivityLog> activity_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<storage::WebhookQueries> queries_;
  std::unique_ptr<api::MessagingDeps> deps_;
};

TEST_F(RoutesE2eTest, PostArrayGivesPerItemResultsAndGetHidesResendData) {
  auto [status, body] =
      call("POST", "/api/v1/messages?sessionId=alice",
           json::array({{{"to", kPeerPhone}, {"type", "text"}, {"text", {{"body", "via REST"}}}},
                        {{"to", kPeerPhone},
                         {"type", "location"},
                         {"location", {{"latitude", 95}, {"longitude", 0}}}},
                        {{"to", kPeerPhone},
                         {"type", "image"},
                         {"image", {{"link", "https://example.com/a.png"}}}},
                        {{"to", kPeerPhone},
                         {"type", "reaction"},
                         {"reaction", {{"message_id", "3EB0NOPE"}, {"emoji", "x"}}}}}));
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body.size(), 4u) << body.dump();
  EXPECT_EQ(body[0]["status"], "success");
  EXPECT_EQ(body[0]["message"], "Message sent to " + peer_jid());
  EXPECT_EQ(body[1]["status"], "error");
  EXPECT_NE(body[1]["message"].get<std::string>().find("latitude"), std::string::npos);
  EXPECT_EQ(body[2]["status"], "error");
  EXPECT_NE(body[2]["message"].get<std::string>().find("link"), std::string::npos);
  EXPECT_EQ(body[3]["message"], "message 3EB0NOPE not found");
  const std::string id = body[0]["messageId"];
  auto* e = received(id);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->message.conversation(), "via REST");

  auto [gs, got] = call("GET", "/api/v1/messages/" + id + "?sessionId=alice");
  ASSERT_EQ(gs, 200) << got.dump();
  const json& content = got["message"]["content"];
  EXPECT_EQ(content["text"], "via REST");
  EXPECT_FALSE(content.contains("_wa")) << content.dump();
  EXPECT_FALSE(content.contains("_media"));
}

// Serves `body` once on 127.0.0.1 (one request, then closes): the remote end of a `link`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[1024];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                               std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n";
      const std::string out = head + body_;
      (void)!::write(c, out.data(), out.size());
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(RoutesE2eTest, LinkMediaIsFetchedThenSent) {
  UrlPolicy::Options po;
  po.allow_private = true;  // the test server is on loopback
  UrlPolicy policy(po);
  api::MediaFetcher fetcher(*env().services, policy,
                            api::MediaFetcher::Options{.dir = env().dir / "media"});
  deps_->media_fetcher = &fetcher;
  const core::Bytes png = bytes_with("\x89PNG\r\n\x1A\n", 2500);
  OneShotServer server(std::string(png.begin(), png.end()));
  auto [status, body] =
      call("POST", "/api/v1/messages?sessionId=alice",
           {{"to", kPeerPhone},
            {"type", "image"},
            {"image", {{"link", server.url("/cat.png")}, {"caption", "from a link"}}}});
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body[0]["status"], "success") << body.dump();
  auto* e = received(body[0]["messageId"].get<std::string>());
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->message.has_image_message());
  EXPECT_EQ(e->message.image_message().caption(), "from a link");
  EXPECT_EQ(download(e->message), png);

  // A link whose content is not the requested kind is an item error, nothing is sent.
  OneShotServer pdf(std::string("%PDF-1.7 not an image"));
  auto [s2, b2] =
      call("POST", "/api/v1/messages?sessionId=alice",
           {{"to", kPeerPhone}, {"type", "image"}, {"image", {{"link", pdf.url("/a")}}}});
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(b2[0]["status"], "error") << b2.dump();
  deps_->media_fetcher = nullptr;
}

TEST_F(RoutesE2eTest, DeleteMessageSendsARevoke) {
  std::string own;
  round_trip({{"type", "text"}, {"text", {{"body", "delete me"}}}}, &own);
  auto [status, body] =
      call("DELETE", "/api/v1/message",
           {{"sessionId", "alice"}, {"messageId", own}, {"remoteJid", peer_jid()}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["status"], "success");
  EXPECT_EQ(body["message"], "Attempted to delete message ID " + own);
  auto* e = received(body["revokeId"].get<std::string>());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->message.protocol_message().type(), waproto::Message_ProtocolMessage::REVOKE);
  EXPECT_EQ(e->message.protocol_message().key().id(), own);

  auto missing = call("DELETE", "/api/v1/message", {{"sessionId", "alice"}, {"messageId", own}});
  EXPECT_EQ(missing.first, 400);
  EXPECT_EQ(missing.second["status"], "error");
  EXPECT_TRUE(missing.second["error"].contains("code"));
  auto unknown =
      call("DELETE", "/api/v1/message",
           {{"sessionId", "alice"}, {"messageId", "3EB0NONE"}, {"remoteJid", peer_jid()}});
  EXPECT_EQ(unknown.first, 404);
  EXPECT_EQ(unknown.second["message"], "Message 3EB0NONE not found.");
  auto no_session = call("DELETE", "/api/v1/message",
                         {{"sessionId", "nobody"}, {"messageId", own}, {"remoteJid", peer_jid()}});
  EXPECT_EQ(no_session.first, 404);
  auto bad_jid = call("DELETE", "/api/v1/message",
                      {{"sessionId", "alice"}, {"messageId", own}, {"remoteJid", "x@evil.com"}});
  EXPECT_EQ(bad_jid.first, 400);
}

// A LOGGED_OUT session can be linked again: ensure_qr (what GET …/qr calls) wipes the old
// device and a fresh registration produces a new QR, which links a new device.
TEST_F(SendE2eTest, LoggedOutSessionCanBeLinkedAgain) {
  SessionManager& mgr = *env().mgr;
  bool created = false;
  mgr.create("carol", std::nullopt, "",
             [&](core::Result<SessionManager::Created> r) { created = r.ok(); });
  ASSERT_TRUE(env().run_until([&] {
    auto s = mgr.find("carol");
    return created && s && !s->qr.empty();
  }));
  const std::string phone = sessions::Sandbox::phone_for("carol");
  env().sandbox->link(phone, mgr.find("carol")->qr, [](core::Result<std::string>) {});
  ASSERT_TRUE(env().run_until([&] { return mgr.find("carol")->state == State::kConnected; }));
  const std::string first_device = mgr.find("carol")->jid;

  std::optional<core::Status> out;
  mgr.logout("carol", [&](core::Status st) { out = st; });
  ASSERT_TRUE(env().run_until([&] { return out.has_value(); }));
  ASSERT_TRUE(out->ok()) << out->to_string();
  ASSERT_EQ(mgr.find("carol")->state, State::kLoggedOut);

  mgr.ensure_qr("carol");
  ASSERT_TRUE(env().run_until([&] {
    auto s = mgr.find("carol");
    return s->state == State::kGeneratingQr && !s->qr.empty();
  })) << sessions::state_name(mgr.find("carol")->state);
  EXPECT_FALSE(mgr.find("carol")->paired);
  env().sandbox->link(phone, mgr.find("carol")->qr, [](core::Result<std::string>) {});
  ASSERT_TRUE(env().run_until([&] { return mgr.find("carol")->state == State::kConnected; }));
  EXPECT_NE(mgr.find("carol")->jid, first_device) << "a new companion device";

  // The new device can send.
  auto parsed = api::parse_message(
      {{"to", kPeerPhone}, {"type", "text"}, {"text", {{"body", "carol is back"}}}});
  ASSERT_TRUE(parsed.ok());
  std::optional<core::Result<sessions::SendOutcome>> sent;
  mgr.send("carol", std::move(*parsed),
           [&](core::Result<sessions::SendOutcome> r) { sent = std::move(r); });
  ASSERT_TRUE(env().run_until([&] { return sent.has_value(); }));
  ASSERT_TRUE(sent->ok());
  auto* e = received((*sent)->record.message_id);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->message.conversation(), "carol is back");
}

// A message accepted just before the process stops is still "queued"; a new manager sends it,
// same id, after reconnecting — for media the file is uploaded again.
TEST_F(SendE2eTest, QueuedMessagesOfEveryKindAreSentAfterARestart) {
  const core::Bytes png = bytes_with("\x89PNG\r\n\x1A\n", 2000);
  const std::string media_id = add_media(png, "image/png");
  std::string first;
  round_trip({{"type", "text"}, {"text", {{"body", "before the crash"}}}}, &first);
  const std::vector<json> items = {
      {{"type", "image"}, {"image", {{"id", media_id}, {"caption", "again"}}}, {"quoted", first}},
      {{"type", "location"}, {"location", {{"latitude", 10}, {"longitude", 20}}}},
      {{"type", "reaction"}, {"reaction", {{"message_id", first}, {"emoji", "🔥"}}}},
  };
  for (const auto& item : items) {
    json full = item;
    full["to"] = kPeerPhone;
    auto parsed = api::parse_message(full);
    ASSERT_TRUE(parsed.ok());
    std::optional<core::Result<sessions::SendOutcome>> out;
    SessionManager* old = env().mgr;
    old->send("alice", std::move(*parsed), [&, old](core::Result<sessions::SendOutcome> r) {
      out = std::move(r);
      old->stop();  // "crash" right after the 200: the client never sends it
    });
    ASSERT_TRUE(env().run_until([&] { return out.has_value(); }));
    ASSERT_TRUE(out->ok()) << out->status().to_string();
    const std::string id = (*out)->record.message_id;
    auto rec = env().services->storage().messages().find_outbound("alice", id);
    ASSERT_TRUE(rec.ok() && *rec);
    EXPECT_EQ((*rec)->status, "queued") << item.dump();

    ASSERT_TRUE(env().restart());
    auto* e = received(id);
    ASSERT_NE(e, nullptr) << "not resent: " << item.dump();
    if (item["type"] == "image") {
      ASSERT_TRUE(e->message.has_image_message());
      EXPECT_EQ(e->message.image_message().caption(), "again");
      EXPECT_EQ(e->message.image_message().context_info().stanza_id(), first);
      EXPECT_EQ(download(e->message), png);
    } else if (item["type"] == "location") {
      EXPECT_DOUBLE_EQ(e->message.location_message().degrees_latitude(), 10);
    } else {
      EXPECT_EQ(e->message.reaction_message().text(), "🔥");
      EXPECT_EQ(e->message.reaction_message().key().id(), first);
    }
    // …and the ack moves it forward.
    EXPECT_TRUE(env().run_until([&] {
      auto r = env().services->storage().messages().find_outbound("alice", id);
      return r.ok() && *r && (*r)->status != "queued";
    }));
  }
}

}  // namespace
}  // namespace gw
