// Presence, chat state, read receipts, media upload/download and group management.
#include <nlohmann/json.hpp>

#include <charconv>

#include "core/encoding.h"
#include "wa/client/client_impl.h"

namespace wa::client {

void Client::Impl::send_presence_available() {
  Node p("presence", {{"type", "available"}});
  if (!config_.device.push_name.empty()) p.set("name", config_.device.push_name);
  send_node(p);
}

void Client::send_presence(bool available) {
  Node p("presence", {{"type", available ? "available" : "unavailable"}});
  if (!impl_->config_.device.push_name.empty()) p.set("name", impl_->config_.device.push_name);
  impl_->send_node(p);
}

void Client::subscribe_presence(const std::string& jid) {
  impl_->send_node(Node("presence", {{"type", "subscribe"}, {"to", jid}}));
}

void Client::send_chat_state(const std::string& to, const std::string& state,
                             const std::string& media) {
  Node child(state == "paused" ? "paused" : "composing");
  if (!media.empty()) child.set("media", media);
  impl_->send_node(Node("chatstate", {{"to", to}}, Node::Children{std::move(child)}));
}

void Client::mark_read(const std::string& chat, const std::string& participant,
                       const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  Node r("receipt", {{"id", ids.front()},
                     {"to", chat},
                     {"type", "read"},
                     {"t", std::to_string(impl_->deps_.clock.unix_seconds())}});
  if (!participant.empty()) r.set("participant", participant);
  if (ids.size() > 1) {
    Node list("list");
    for (size_t i = 1; i < ids.size(); ++i) list.add_child(Node("item", {{"id", ids[i]}}));
    r.add_child(std::move(list));
  }
  impl_->send_node(r);
}

// ------------------------------------------------------------------ media

void Client::upload_media(MediaKind kind, core::Bytes data,
                          std::function<void(core::Result<UploadedMedia>)> done) {
  auto& I = *impl_;
  if (I.deps_.http == nullptr) return done(core::Status::failed_precondition("no HTTP client"));
  auto enc = encrypt_media(data, kind, I.deps_.random);
  if (!enc.ok()) return done(enc.status());
  auto em = std::make_shared<EncryptedMedia>(std::move(*enc));
  auto with_conn = [&I, kind, em, done](core::Status st) mutable {
    if (!st.ok()) return done(st);
    const auto& mc = *I.media_conn_;
    transport::HttpRequest req;
    req.method = "POST";
    req.url = media_upload_url(mc.hosts.front(), kind, em->file_enc_sha256, mc.auth);
    req.headers["Origin"] = "https://web.whatsapp.com";
    req.headers["Content-Type"] = "application/octet-stream";
    req.body = em->blob;
    auto alive = I.alive_;
    I.deps_.http->request(std::move(req), [&I, alive, kind, em,
                                           done](core::Result<transport::HttpResponse> r) {
      if (!*alive) return;
      if (!r.ok()) return done(r.status());
      if (r->status != 200) {
        return done(core::Status::unavailable("media upload HTTP " + std::to_string(r->status)));
      }
      auto j = nlohmann::json::parse(r->body.begin(), r->body.end(), nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        return done(core::Status::invalid_argument("media upload: bad JSON"));
      }
      UploadedMedia up;
      up.kind = kind;
      up.url = j.value("url", "");
      up.direct_path = j.value("direct_path", "");
      up.media_key = em->media_key;
      up.file_sha256 = em->file_sha256;
      up.file_enc_sha256 = em->file_enc_sha256;
      up.file_length = em->file_length;
      up.media_key_timestamp = I.deps_.clock.unix_seconds();
      if (up.direct_path.empty()) return done(core::Status::invalid_argument("no direct_path"));
      done(std::move(up));
    });
  };
  if (I.media_conn_ && I.media_conn_->expires > I.deps_.clock.steady_now()) {
    return with_conn(core::Status());
  }
  I.send_iq(make_iq("", kServerJid, "set", "w:m", {Node("media_conn")}),
            [&I, with_conn](core::Result<Node> r) mutable {
              if (!r.ok()) return with_conn(r.status());
              const Node* mc = r->child("media_conn");
              if (!mc) return with_conn(core::Status::invalid_argument("no media_conn"));
              Impl::MediaConn c;
              c.auth = mc->attr_or("auth", "");
              uint64_t ttl = attr_uint(*mc, "ttl");
              c.expires = I.deps_.clock.steady_now() + std::chrono::seconds(ttl ? ttl : 300);
              for (const Node* h : mc->children("host"))
                c.hosts.push_back(h->attr_or("hostname", ""));
              if (c.hosts.empty()) return with_conn(core::Status::unavailable("no media hosts"));
              I.media_conn_ = std::move(c);
              with_conn(core::Status());
            });
}

void Client::download_media(const UploadedMedia& media,
                            std::function<void(core::Result<core::Bytes>)> done) {
  auto& I = *impl_;
  if (I.deps_.http == nullptr) return done(core::Status::failed_precondition("no HTTP client"));
  transport::HttpRequest req;
  if (!media.url.empty() && media.url.rfind("https://", 0) == 0) {
    req.url = media.url;
  } else if (!media.direct_path.empty() && I.media_conn_ && !I.media_conn_->hosts.empty()) {
    req.url = "https://" + I.media_conn_->hosts.front() + media.direct_path;
  } else if (!media.direct_path.empty()) {
    req.url = "https://mmg.whatsapp.net" + media.direct_path;
  } else {
    return done(core::Status::invalid_argument("media has no URL"));
  }
  req.headers["Origin"] = "https://web.whatsapp.com";
  auto alive = I.alive_;
  auto m = media;
  I.deps_.http->request(std::move(req), [alive, m, done](core::Result<transport::HttpResponse> r) {
    if (!*alive) return;
    if (!r.ok()) return done(r.status());
    if (r->status != 200) {
      return done(core::Status::unavailable("media download HTTP " + std::to_string(r->status)));
    }
    done(decrypt_media(r->body, m.media_key, m.kind, m.file_enc_sha256, m.file_sha256));
  });
}

// ------------------------------------------------------------------ groups

void Client::create_group(const std::string& subject, const std::vector<std::string>& participants,
                          std::function<void(core::Result<GroupInfo>)> done) {
  auto& I = *impl_;
  Node create("create", {{"subject", subject}, {"key", I.next_id()}});
  for (const auto& p : participants) create.add_child(Node("participant", {{"jid", p}}));
  I.send_iq(make_iq("", "@g.us", "set", "w:g2", {std::move(create)}),
            [&I, done = std::move(done)](core::Result<Node> r) {
              if (!r.ok()) return done(r.status());
              const Node* g = r->child("group");
              if (!g) return done(core::Status::invalid_argument("create result without group"));
              auto info = parse_group(*g);
              if (info.ok()) I.groups_[info->jid] = *info;
              done(std::move(info));
            });
}

void Client::group_metadata(const std::string& group, bool refresh,
                            std::function<void(core::Result<GroupInfo>)> done) {
  auto& I = *impl_;
  if (!refresh) {
    auto it = I.groups_.find(group);
    if (it != I.groups_.end()) return done(it->second);
  }
  I.send_iq(make_iq("", group, "get", "w:g2", {Node("query", {{"request", "interactive"}})}),
            [&I, done = std::move(done)](core::Result<Node> r) {
              if (!r.ok()) return done(r.status());
              const Node* g = r->child("group");
              if (!g) return done(core::Status::invalid_argument("no <group> in result"));
              auto info = parse_group(*g);
              if (info.ok()) I.groups_[info->jid] = *info;
              done(std::move(info));
            });
}

void Client::update_group_participants(
    const std::string& group, ParticipantAction action, const std::vector<std::string>& jids,
    std::function<void(core::Result<std::vector<std::pair<std::string, int>>>)> done) {
  auto& I = *impl_;
  const char* tag = action == ParticipantAction::kAdd       ? "add"
                    : action == ParticipantAction::kRemove  ? "remove"
                    : action == ParticipantAction::kPromote ? "promote"
                                                            : "demote";
  Node op(tag);
  for (const auto& j : jids) op.add_child(Node("participant", {{"jid", j}}));
  I.groups_.erase(group);
  I.skdm_sent_.erase(group);
  I.send_iq(make_iq("", group, "set", "w:g2", {std::move(op)}),
            [tag, done = std::move(done)](core::Result<Node> r) {
              if (!r.ok()) return done(r.status());
              std::vector<std::pair<std::string, int>> out;
              if (const Node* res = r->child(tag)) {
                for (const Node* p : res->children("participant")) {
                  // No error attribute means success; a value that is not a number is not a
                  // success.
                  const std::string e = p->attr_or("error", "0");
                  int code = 0;
                  auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), code);
                  if (ec != std::errc() || end != e.data() + e.size()) code = 500;
                  out.emplace_back(p->attr_or("jid", ""), code);
                }
              }
              done(std::move(out));
            });
}

void Client::leave_group(const std::string& group, std::function<void(core::Status)> done) {
  auto& I = *impl_;
  Node leave("leave", {}, Node::Children{Node("group", {{"id", group}})});
  I.groups_.erase(group);
  I.skdm_sent_.erase(group);
  I.send_iq(make_iq("", "@g.us", "set", "w:g2", {std::move(leave)}),
            [done = std::move(done)](core::Result<Node> r) { done(r.status()); });
}

void Client::set_group_subject(const std::string& group, const std::string& subject,
                               std::function<void(core::Status)> done) {
  auto& I = *impl_;
  I.groups_.erase(group);
  I.send_iq(make_iq("", group, "set", "w:g2", {Node("subject", {}, core::to_bytes(subject))}),
            [done = std::move(done)](core::Result<Node> r) { done(r.status()); });
}

}  // namespace wa::client
