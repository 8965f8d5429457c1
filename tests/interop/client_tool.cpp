// client_tool: a small program around wa::Client for the interop tests (client_*.test.mjs).
// It speaks JSON lines: commands on stdin, events on stdout (one object per line).
//
// Commands ({"cmd": …}):
//   start {ws_url, root_key (hex), media_ca_pem, push_name?, state_file?}  create the client
//                            and connect; with state_file the device state survives a process
//                            restart (a journal file, test-only)
//   restart                  destroy the Client object and build a new one on the same store
//                            and outbound queue (a process-internal restart), then connect
//   stop                     disconnect
//   pair_code {phone}        → {"event":"pair_code","code"}
//   send {to, kind, …}       kinds: text, extended (text, mentions[], quote_id, url, title),
//                            image|video|audio|ptt|document|sticker (data_b64, caption,
//                            mimetype, file_name), location (lat, lon, name), contact (name,
//                            vcard), reaction (key_id, key_from_me, key_participant, emoji),
//                            edit (key_id, text), revoke (key_id)   → {"event":"queued", id, ref}
//   burst {to, count, prefix} queue `count` texts "prefix<i>"
//   read {chat, participant?, ids[]}
//   presence {available}, typing {to, state}
//   create_group {subject, participants[]}   → group_created
//   group_info {jid}, group_participants {jid, action, jids[]}, group_subject {jid, subject},
//   leave_group {jid}
//   download {id}            download + decrypt the media of a received message → downloaded
//   logout, stats, quit
// Events: connection, qr, paired, logged_out, message, undecryptable, receipt, send_result,
// group, identity_change, presence, chat_state, plus command replies (…, error).
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/random.h"
#include "crypto/curve25519.h"
#include "crypto/hash.h"
#include "wa/client/client.h"
#include "wa/client/messages.h"
#include "wa/signal/keys.h"
#include "wa/store/in_memory_store.h"
#include "wa/transport/asio_net.h"

using json = nlohmann::json;
using namespace wa::client;
namespace transport = wa::transport;

namespace {

void emit(const json& j) { std::cout << j.dump() << "\n" << std::flush; }

json describe(const waproto::Message& m) {
  json j;
  j["kind"] = content_kind(m);
  j["text"] = content_text(m);
  if (m.has_extended_text_message()) {
    const auto& e = m.extended_text_message();
    if (e.has_context_info()) {
      j["mentions"] = json::array();
      for (const auto& x : e.context_info().mentioned_jid()) j["mentions"].push_back(x);
      if (e.context_info().has_stanza_id()) j["quote_id"] = e.context_info().stanza_id();
    }
    if (e.has_matched_text()) j["url"] = e.matched_text();
    if (e.has_title()) j["title"] = e.title();
  }
  if (auto media = media_of(m)) {
    j["media"] = {{"sha256", core::hex_encode(media->file_sha256)},
                  {"length", media->file_length},
                  {"direct_path", media->direct_path}};
    if (m.has_image_message()) j["mimetype"] = m.image_message().mimetype();
    if (m.has_video_message()) j["mimetype"] = m.video_message().mimetype();
    if (m.has_audio_message()) j["mimetype"] = m.audio_message().mimetype();
    if (m.has_document_message()) {
      j["mimetype"] = m.document_message().mimetype();
      j["file_name"] = m.document_message().file_name();
    }
    if (m.has_sticker_message()) j["mimetype"] = m.sticker_message().mimetype();
  }
  if (m.has_location_message()) {
    j["lat"] = m.location_message().degrees_latitude();
    j["lon"] = m.location_message().degrees_longitude();
    j["name"] = m.location_message().name();
  }
  if (m.has_contact_message()) {
    j["name"] = m.contact_message().display_name();
    j["vcard"] = m.contact_message().vcard();
  }
  if (m.has_reaction_message()) {
    j["key_id"] = m.reaction_message().key().id();
    j["emoji"] = m.reaction_message().text();
  }
  if (m.has_protocol_message()) {
    j["key_id"] = m.protocol_message().key().id();
    if (m.protocol_message().has_edited_message()) {
      j["text"] = content_text(m.protocol_message().edited_message());
    }
  }
  return j;
}

// A DeviceStore that survives a process restart, for the restart interop test: an in-memory
// store plus an append-only journal (one JSON line per write, replayed at start). Test-only; the
// product uses the SQL store.
class JournalStore final : public wa::store::DeviceStore {
 public:
  using Address = wa::store::SignalAddress;
  void open(const std::string& path) {
    {
      std::ifstream in(path);
      std::string line;
      while (std::getline(in, line)) replay(json::parse(line, nullptr, false));
    }
    out_.open(path, std::ios::app);
  }
  size_t pre_key_count() const { return mem_.pre_key_count(); }
  size_t session_count() const { return mem_.session_count(); }

  std::unique_ptr<wa::store::Transaction> begin() override { return std::make_unique<Txn>(*this); }
  core::Result<std::optional<core::Bytes>> load_identity(const Address& a) override {
    return mem_.load_identity(a);
  }
  core::Status save_identity(const Address& a, core::ByteView k) override {
    log("identity", a, k);
    return mem_.save_identity(a, k);
  }
  core::Status delete_identity(const Address& a) override {
    log("identity", a, std::nullopt);
    return mem_.delete_identity(a);
  }
  core::Result<std::optional<core::Bytes>> load_session(const Address& a) override {
    return mem_.load_session(a);
  }
  core::Status store_session(const Address& a, core::ByteView r) override {
    log("session", a, r);
    return mem_.store_session(a, r);
  }
  core::Result<std::vector<uint32_t>> list_session_devices(const std::string& n) override {
    return mem_.list_session_devices(n);
  }
  core::Status delete_session(const Address& a) override {
    log("session", a, std::nullopt);
    return mem_.delete_session(a);
  }
  core::Result<std::optional<core::Bytes>> load_pre_key(uint32_t id) override {
    return mem_.load_pre_key(id);
  }
  core::Status store_pre_key(uint32_t id, core::ByteView r) override {
    logid("pre_key", id, r);
    return mem_.store_pre_key(id, r);
  }
  core::Status remove_pre_key(uint32_t id) override {
    logid("pre_key", id, std::nullopt);
    return mem_.remove_pre_key(id);
  }
  core::Result<std::optional<core::Bytes>> load_signed_pre_key(uint32_t id) override {
    return mem_.load_signed_pre_key(id);
  }
  core::Status store_signed_pre_key(uint32_t id, core::ByteView r) override {
    logid("spk", id, r);
    return mem_.store_signed_pre_key(id, r);
  }
  core::Status remove_signed_pre_key(uint32_t id) override {
    logid("spk", id, std::nullopt);
    return mem_.remove_signed_pre_key(id);
  }
  core::Result<std::vector<uint32_t>> list_signed_pre_keys() override {
    return mem_.list_signed_pre_keys();
  }
  core::Result<std::optional<core::Bytes>> load_sender_key(
      const wa::store::SenderKeyName& n) override {
    return mem_.load_sender_key(n);
  }
  core::Status store_sender_key(const wa::store::SenderKeyName& n, core::ByteView r) override {
    logsk(n, r);
    return mem_.store_sender_key(n, r);
  }
  core::Status delete_sender_key(const wa::store::SenderKeyName& n) override {
    logsk(n, std::nullopt);
    return mem_.delete_sender_key(n);
  }
  core::Result<std::optional<wa::store::DeviceCredentials>> load_credentials() override {
    return mem_.load_credentials();
  }
  core::Status save_credentials(const wa::store::DeviceCredentials& c) override {
    json j = {{"k", "creds"}};
    auto b64 = [](core::ByteView v) { return core::base64_encode(v); };
    j["noise"] = b64(c.noise_key.private_key);
    j["identity"] = b64(c.identity_key.private_key);
    j["reg"] = c.registration_id;
    j["spk_id"] = c.signed_pre_key.id;
    j["spk"] = b64(c.signed_pre_key.key_pair.private_key);
    j["spk_sig"] = b64(c.signed_pre_key.signature);
    j["adv"] = b64(c.adv_secret_key);
    j["pn"] = c.me_pn_jid;
    j["lid"] = c.me_lid_jid;
    j["account"] = b64(c.account);
    j["platform"] = c.platform;
    j["next_pk"] = c.next_pre_key_id;
    j["registered"] = c.registered;
    write(j);
    return mem_.save_credentials(c);
  }
  core::Status store_lid_mapping(const std::string& pn, const std::string& lid) override {
    write({{"k", "lid"}, {"pn", pn}, {"lid", lid}});
    return mem_.store_lid_mapping(pn, lid);
  }
  core::Result<std::optional<std::string>> lid_for_pn(const std::string& pn) override {
    return mem_.lid_for_pn(pn);
  }
  core::Result<std::optional<std::string>> pn_for_lid(const std::string& l) override {
    return mem_.pn_for_lid(l);
  }
  core::Status upsert_contact(const wa::store::Contact& c) override {
    return mem_.upsert_contact(c);
  }
  core::Result<std::optional<wa::store::Contact>> load_contact(const std::string& j) override {
    return mem_.load_contact(j);
  }
  core::Result<std::vector<wa::store::Contact>> list_contacts() override {
    return mem_.list_contacts();
  }
  core::Status store_message_secret(const std::string& id, core::ByteView s) override {
    return mem_.store_message_secret(id, s);
  }
  core::Result<std::optional<core::Bytes>> load_message_secret(const std::string& id) override {
    return mem_.load_message_secret(id);
  }

 private:
  class Txn final : public wa::store::OverlayTransaction {
   public:
    explicit Txn(JournalStore& s) : OverlayTransaction(s), s_(s) {}

   protected:
    core::Status apply(const wa::store::SignalWriteSet& w,
                       std::vector<CommitHook>& hooks) override {
      for (auto& h : hooks) CORE_RETURN_IF_ERROR(h());
      for (auto& [a, v] : w.identities)
        CORE_RETURN_IF_ERROR(v ? s_.save_identity(a, *v) : s_.delete_identity(a));
      for (auto& [a, v] : w.sessions)
        CORE_RETURN_IF_ERROR(v ? s_.store_session(a, *v) : s_.delete_session(a));
      for (auto& [id, v] : w.pre_keys)
        CORE_RETURN_IF_ERROR(v ? s_.store_pre_key(id, *v) : s_.remove_pre_key(id));
      for (auto& [id, v] : w.signed_pre_keys)
        CORE_RETURN_IF_ERROR(v ? s_.store_signed_pre_key(id, *v) : s_.remove_signed_pre_key(id));
      for (auto& [n, v] : w.sender_keys)
        CORE_RETURN_IF_ERROR(v ? s_.store_sender_key(n, *v) : s_.delete_sender_key(n));
      return core::Status();
    }

   private:
    JournalStore& s_;
  };

  void write(const json& j) {
    if (replaying_ || !out_.is_open()) return;
    out_ << j.dump() << "\n";
    out_.flush();
  }
  static json val(std::optional<core::ByteView> v) {
    return v ? json(core::base64_encode(*v)) : json(nullptr);
  }
  void log(const char* k, const Address& a, std::optional<core::ByteView> v) {
    write({{"k", k}, {"name", a.name}, {"dev", a.device_id}, {"v", val(v)}});
  }
  void logid(const char* k, uint32_t id, std::optional<core::ByteView> v) {
    write({{"k", k}, {"id", id}, {"v", val(v)}});
  }
  void logsk(const wa::store::SenderKeyName& n, std::optional<core::ByteView> v) {
    write({{"k", "sk"},
           {"g", n.group_id},
           {"name", n.sender.name},
           {"dev", n.sender.device_id},
           {"v", val(v)}});
  }
  void replay(const json& j) {
    if (j.is_discarded()) return;
    replaying_ = true;
    auto bytes = [&](const char* f) { return *core::base64_decode(j.value(f, std::string())); };
    std::string k = j.value("k", "");
    bool del = j.contains("v") && j["v"].is_null();
    core::Bytes v = j.contains("v") && !del ? bytes("v") : core::Bytes{};
    Address a{j.value("name", ""), j.value("dev", 0u)};
    uint32_t id = j.value("id", 0u);
    if (k == "identity") (void)(del ? mem_.delete_identity(a) : mem_.save_identity(a, v));
    if (k == "session") (void)(del ? mem_.delete_session(a) : mem_.store_session(a, v));
    if (k == "pre_key") (void)(del ? mem_.remove_pre_key(id) : mem_.store_pre_key(id, v));
    if (k == "spk") (void)(del ? mem_.remove_signed_pre_key(id) : mem_.store_signed_pre_key(id, v));
    if (k == "sk") {
      wa::store::SenderKeyName n{j.value("g", ""), a};
      (void)(del ? mem_.delete_sender_key(n) : mem_.store_sender_key(n, v));
    }
    if (k == "lid") (void)mem_.store_lid_mapping(j.value("pn", ""), j.value("lid", ""));
    if (k == "creds") {
      wa::store::DeviceCredentials c;
      auto kp = [](const core::Bytes& priv) {
        return wa::signal::to_stored(*crypto::key_pair_from_private(priv));
      };
      c.noise_key = kp(bytes("noise"));
      c.identity_key = kp(bytes("identity"));
      c.registration_id = j.value("reg", 0u);
      c.signed_pre_key.id = j.value("spk_id", 0u);
      c.signed_pre_key.key_pair = kp(bytes("spk"));
      c.signed_pre_key.signature = bytes("spk_sig");
      c.adv_secret_key = bytes("adv");
      c.me_pn_jid = j.value("pn", "");
      c.me_lid_jid = j.value("lid", "");
      c.account = bytes("account");
      c.platform = j.value("platform", "");
      c.next_pre_key_id = j.value("next_pk", 1u);
      c.registered = j.value("registered", false);
      (void)mem_.save_credentials(c);
    }
    replaying_ = false;
  }

  wa::store::InMemoryStore mem_;
  std::ofstream out_;
  bool replaying_ = false;
};

class Tool final : public EventHandler {
 public:
  explicit Tool(net::io_context& io) : io_(io), strand_(net::make_strand(io)) {}

  void on_connection(const ConnectionEvent& e) override {
    emit({{"event", "connection"},
          {"state", to_string(e.state)},
          {"reason", to_string(e.reason)},
          {"code", e.code},
          {"detail", e.detail},
          {"reconnect_in_ms", e.reconnect_in.count()}});
  }
  void on_qr(const QrEvent& e) override {
    emit({{"event", "qr"}, {"code", e.code}, {"expires", e.expires_at_unix}, {"index", e.index}});
  }
  void on_paired(const PairedEvent& e) override {
    emit({{"event", "paired"}, {"jid", e.jid}, {"lid", e.lid}, {"platform", e.platform}});
  }
  void on_logged_out(const LoggedOutEvent& e) override {
    emit({{"event", "logged_out"}, {"code", e.code}, {"detail", e.detail}});
  }
  void on_message(const MessageEvent& e) override {
    json j = describe(e.message);
    j["event"] = "message";
    j["id"] = e.info.id;
    j["chat"] = e.info.chat;
    j["sender"] = e.info.sender;
    j["sender_pn"] = e.info.sender_pn;
    j["sender_lid"] = e.info.sender_lid;
    j["from_me"] = e.info.from_me;
    j["is_group"] = e.info.is_group;
    j["push_name"] = e.info.push_name;
    j["t"] = e.info.timestamp;
    if (auto m = media_of(e.message)) received_media_[e.info.id] = *m;
    emit(j);
  }
  void on_undecryptable(const UndecryptableEvent& e) override {
    emit({{"event", "undecryptable"},
          {"id", e.info.id},
          {"sender", e.info.sender},
          {"error", e.error}});
  }
  void on_receipt(const ReceiptEvent& e) override {
    emit({{"event", "receipt"},
          {"chat", e.chat},
          {"participant", e.participant},
          {"type", e.type},
          {"ids", e.ids}});
  }
  void on_send_result(const SendResultEvent& e) override {
    emit({{"event", "send_result"},
          {"id", e.id},
          {"chat", e.chat},
          {"ok", e.ok},
          {"code", e.error_code},
          {"detail", e.detail}});
  }
  void on_group(const GroupEvent& e) override {
    emit({{"event", "group"},
          {"group", e.group},
          {"action", e.action},
          {"participants", e.participants},
          {"subject", e.subject}});
  }
  void on_identity_change(const IdentityChangeEvent& e) override {
    emit({{"event", "identity_change"}, {"jid", e.jid}});
  }
  void on_presence(const PresenceEvent& e) override {
    emit({{"event", "presence"}, {"from", e.from}, {"available", e.available}});
  }
  void on_chat_state(const ChatStateEvent& e) override {
    emit({{"event", "chat_state"}, {"chat", e.chat}, {"sender", e.sender}, {"state", e.state}});
  }

  void command(const json& c) {
    std::string cmd = c.value("cmd", "");
    std::string ref = c.value("ref", "");
    auto reply = [ref](json j) {
      if (!ref.empty()) j["ref"] = ref;
      emit(j);
    };
    auto fail = [&](const std::string& why) {
      reply({{"event", "error"}, {"cmd", cmd}, {"error", why}});
    };
    if (cmd == "start") {
      transport::TransportConfig tc;
      tc.url = c.value("ws_url", tc.url);
      if (c.contains("root_key"))
        tc.noise_root_key = *core::hex_decode(c["root_key"].get<std::string>());
      tls_.ca_pem = c.value("media_ca_pem", "");
      if (c.contains("state_file") && !store_opened_) {
        store_.open(c["state_file"].get<std::string>());
        store_opened_ = true;
      }
      config_ = tc;
      client_config_.device.push_name = c.value("push_name", "");
      client_config_.backoff.initial = std::chrono::milliseconds(c.value("backoff_ms", 500));
      make_client();
      client_->connect();
      return;
    }
    if (cmd == "quit") {
      client_.reset();
      io_.stop();
      return;
    }
    if (cmd == "stats") {
      struct rusage ru {};
      getrusage(RUSAGE_SELF, &ru);
      reply({{"event", "stats"},
             {"max_rss_kb", ru.ru_maxrss},
             {"pending", client_ ? client_->pending_sends() : 0},
             {"pre_keys", store_.pre_key_count()},
             {"sessions", store_.session_count()}});
      return;
    }
    if (!client_) return fail("not started");
    if (cmd == "restart") {
      client_.reset();
      make_client();
      client_->connect();
    } else if (cmd == "stop") {
      client_->disconnect();
    } else if (cmd == "pair_code") {
      client_->request_pair_code(c.value("phone", ""), [reply](core::Result<std::string> r) {
        if (!r.ok())
          return reply(
              {{"event", "error"}, {"cmd", "pair_code"}, {"error", r.status().to_string()}});
        reply({{"event", "pair_code"}, {"code", *r}});
      });
    } else if (cmd == "send") {
      send(c, reply);
    } else if (cmd == "burst") {
      int n = c.value("count", 0);
      std::string to = c.value("to", ""), prefix = c.value("prefix", "m");
      for (int i = 0; i < n; ++i) client_->send(to, make_text(prefix + std::to_string(i)));
      reply({{"event", "burst_queued"}, {"count", n}});
    } else if (cmd == "read") {
      client_->mark_read(c.value("chat", ""), c.value("participant", ""),
                         c.value("ids", std::vector<std::string>{}));
      reply({{"event", "read_sent"}});
    } else if (cmd == "presence") {
      client_->send_presence(c.value("available", true));
    } else if (cmd == "typing") {
      client_->send_chat_state(c.value("to", ""), c.value("state", "composing"));
    } else if (cmd == "create_group") {
      client_->create_group(
          c.value("subject", ""), c.value("participants", std::vector<std::string>{}),
          [reply](core::Result<GroupInfo> r) {
            if (!r.ok())
              return reply(
                  {{"event", "error"}, {"cmd", "create_group"}, {"error", r.status().to_string()}});
            json p = json::array();
            for (auto& x : r->participants)
              p.push_back({{"jid", x.jid}, {"phone_number", x.phone_number}});
            reply({{"event", "group_created"},
                   {"jid", r->jid},
                   {"participants", p},
                   {"addressing_mode", r->addressing_mode}});
          });
    } else if (cmd == "group_info") {
      client_->group_metadata(c.value("jid", ""), true, [reply](core::Result<GroupInfo> r) {
        if (!r.ok())
          return reply(
              {{"event", "error"}, {"cmd", "group_info"}, {"error", r.status().to_string()}});
        json p = json::array();
        for (auto& x : r->participants)
          p.push_back({{"jid", x.jid}, {"role", x.role}, {"phone_number", x.phone_number}});
        reply({{"event", "group_info"},
               {"jid", r->jid},
               {"subject", r->subject},
               {"participants", p}});
      });
    } else if (cmd == "group_participants") {
      std::string a = c.value("action", "add");
      ParticipantAction act = a == "remove"    ? ParticipantAction::kRemove
                              : a == "promote" ? ParticipantAction::kPromote
                              : a == "demote"  ? ParticipantAction::kDemote
                                               : ParticipantAction::kAdd;
      client_->update_group_participants(
          c.value("jid", ""), act, c.value("jids", std::vector<std::string>{}),
          [reply](core::Result<std::vector<std::pair<std::string, int>>> r) {
            if (!r.ok())
              return reply({{"event", "error"},
                            {"cmd", "group_participants"},
                            {"error", r.status().to_string()}});
            json out = json::array();
            for (auto& [j, e] : *r) out.push_back({{"jid", j}, {"error", e}});
            reply({{"event", "group_participants"}, {"result", out}});
          });
    } else if (cmd == "group_subject") {
      client_->set_group_subject(
          c.value("jid", ""), c.value("subject", ""), [reply](core::Status s) {
            reply({{"event", "group_subject"}, {"ok", s.ok()}, {"error", s.to_string()}});
          });
    } else if (cmd == "leave_group") {
      client_->leave_group(c.value("jid", ""), [reply](core::Status s) {
        reply({{"event", "left_group"}, {"ok", s.ok()}, {"error", s.to_string()}});
      });
    } else if (cmd == "download") {
      auto it = received_media_.find(c.value("id", ""));
      if (it == received_media_.end()) return fail("no media for that id");
      client_->download_media(it->second, [reply](core::Result<core::Bytes> r) {
        if (!r.ok())
          return reply(
              {{"event", "error"}, {"cmd", "download"}, {"error", r.status().to_string()}});
        reply({{"event", "downloaded"},
               {"sha256", core::hex_encode(crypto::sha256(*r))},
               {"length", r->size()}});
      });
    } else if (cmd == "logout") {
      client_->logout([reply](core::Status s) {
        reply({{"event", "logout_done"}, {"ok", s.ok()}});
      });
    } else {
      fail("unknown command");
    }
  }

 private:
  template <typename Reply>
  void send(const json& c, Reply reply) {
    std::string to = c.value("to", "");
    std::string kind = c.value("kind", "text");
    auto queue = [this, to, reply](const waproto::Message& m) {
      std::string id = client_->send(to, m);
      reply({{"event", "queued"}, {"id", id}});
    };
    auto key = [&]() {
      return make_key(c.value("key_remote", to), c.value("key_id", ""),
                      c.value("key_from_me", true), c.value("key_participant", ""));
    };
    if (kind == "text") return queue(make_text(c.value("text", "")));
    if (kind == "extended") {
      QuotedMessage q;
      bool has_q = c.contains("quote_id");
      if (has_q) {
        q.id = c["quote_id"];
        q.sender = c.value("quote_sender", "");
        q.message = make_text(c.value("quote_text", ""));
      }
      return queue(make_extended_text(c.value("text", ""),
                                      c.value("mentions", std::vector<std::string>{}),
                                      has_q ? &q : nullptr, c.value("url", ""),
                                      c.value("title", ""), c.value("description", "")));
    }
    if (kind == "location") {
      return queue(make_location(c.value("lat", 0.0), c.value("lon", 0.0), c.value("name", ""),
                                 c.value("address", "")));
    }
    if (kind == "contact") return queue(make_contact(c.value("name", ""), c.value("vcard", "")));
    if (kind == "reaction")
      return queue(make_reaction(key(), c.value("emoji", ""), clock_.unix_millis()));
    if (kind == "edit") return queue(make_edit(key(), c.value("text", ""), clock_.unix_millis()));
    if (kind == "revoke") return queue(make_revoke(key()));
    MediaKind mk = kind == "image"                    ? MediaKind::kImage
                   : kind == "video"                  ? MediaKind::kVideo
                   : kind == "sticker"                ? MediaKind::kSticker
                   : kind == "audio" || kind == "ptt" ? MediaKind::kAudio
                                                      : MediaKind::kDocument;
    auto data = core::base64_decode(c.value("data_b64", ""));
    if (!data.ok()) return reply({{"event", "error"}, {"cmd", "send"}, {"error", "bad data_b64"}});
    MediaOptions o;
    o.caption = c.value("caption", "");
    o.mimetype = c.value("mimetype", "");
    o.file_name = c.value("file_name", "");
    o.ptt = kind == "ptt";
    o.width = c.value("width", 0u);
    o.height = c.value("height", 0u);
    o.seconds = c.value("seconds", 0u);
    client_->upload_media(
        mk, std::move(*data), [this, o, queue, reply](core::Result<UploadedMedia> r) {
          if (!r.ok())
            return reply({{"event", "error"}, {"cmd", "send"}, {"error", r.status().to_string()}});
          queue(make_media(*r, o));
        });
  }

  void make_client() {
    env_ = transport::make_asio_client_environment(strand_, config_, tls_, clock_, random_);
    ClientDeps deps{*env_.scheduler, *env_.transports, store_, *this, clock_, random_};
    deps.outbox = &outbox_;
    deps.http = env_.http.get();
    client_ = std::make_unique<Client>(client_config_, deps);
  }

  net::io_context& io_;
  net::strand<net::io_context::executor_type> strand_;
  core::SystemClock clock_;
  core::SecureRandom random_;
  JournalStore store_;
  InMemoryOutboundQueue outbox_;
  transport::TransportConfig config_;
  transport::TlsConfig tls_;
  ClientConfig client_config_;
  transport::AsioClientEnvironment env_;
  std::unique_ptr<Client> client_;
  bool store_opened_ = false;
  std::map<std::string, UploadedMedia> received_media_;
};

}  // namespace

int main() {
  (void)core::init_logging({.level = getenv("CLIENT_LOG") ? getenv("CLIENT_LOG") : "warn"});
  net::io_context io;
  Tool tool(io);
  net::posix::stream_descriptor in(io, ::dup(STDIN_FILENO));
  net::streambuf buf;
  std::function<void()> read_line = [&] {
    net::async_read_until(in, buf, '\n', [&](boost::system::error_code ec, size_t) {
      if (ec) {
        io.stop();
        return;
      }
      std::istream is(&buf);
      std::string line;
      std::getline(is, line);
      if (!line.empty()) {
        auto j = json::parse(line, nullptr, false);
        if (j.is_discarded()) {
          emit({{"event", "error"}, {"error", "bad JSON"}});
        } else {
          try {
            tool.command(j);
          } catch (const std::exception& e) {
            emit({{"event", "error"}, {"error", e.what()}});
          }
        }
      }
      read_line();
    });
  };
  read_line();
  io.run();
  return 0;
}
