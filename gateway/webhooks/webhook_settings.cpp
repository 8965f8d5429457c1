#include "gateway/webhooks/webhook_settings.h"

#include <cstdlib>

#include "core/encoding.h"

namespace gw::webhooks {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

}  // namespace

core::Result<WebhookSettings::Options> WebhookSettings::Options::from_environment(
    const UrlPolicy& policy) {
  Options o;
  o.default_url = env("WEBHOOK_URL");
  o.default_secret = env("WEBHOOK_SECRET");
  if (o.default_url) {
    auto parsed = policy.parse(*o.default_url);
    if (!parsed.ok()) {
      return core::Status::invalid_argument("WEBHOOK_URL: " + parsed.status().message());
    }
    o.default_url = parsed->url;
  }
  return o;
}

std::string WebhookSettings::generate_secret(core::Random& random) {
  return core::hex_encode(random.bytes(kSecretBytes));
}

core::Status WebhookSettings::prepare_new_session(storage::WaSession& session) const {
  if (session.webhook_url) {
    auto parsed = policy_.check_for_save(*session.webhook_url);
    if (!parsed.ok()) return parsed.status();
    session.webhook_url = parsed->url;
  }
  session.webhook_secret = generate_secret(random_);
  return core::Status();
}

core::Result<std::string> WebhookSettings::rotate_secret(const std::string& session_id) {
  CORE_ASSIGN_OR_RETURN(std::optional<storage::WaSession> s, sessions_.find(session_id));
  if (!s) return core::Status::not_found("no session " + session_id);
  std::string secret = generate_secret(random_);
  CORE_RETURN_IF_ERROR(sessions_.set_webhook(session_id, s->webhook_url, secret));
  return secret;
}

core::Status WebhookSettings::set_url(const std::string& session_id,
                                      const std::optional<std::string>& url) {
  std::optional<std::string> normalised;
  if (url) {
    auto parsed = policy_.check_for_save(*url);
    if (!parsed.ok() && parsed.status().code() == core::StatusCode::kNotFound) {
      // An unresolvable host is a bad URL from the caller's point of view, not a missing
      // resource: the route answers 400.
      return core::Status::invalid_argument("webhook URL refused: " + parsed.status().message());
    }
    if (!parsed.ok()) return parsed.status();
    normalised = parsed->url;
  }
  CORE_ASSIGN_OR_RETURN(std::optional<storage::WaSession> s, sessions_.find(session_id));
  if (!s) return core::Status::not_found("no session " + session_id);
  std::optional<std::string> secret = s->webhook_secret;
  if (!secret || secret->empty()) secret = generate_secret(random_);
  return sessions_.set_webhook(session_id, normalised, secret);
}

core::Result<std::optional<std::string>> WebhookSettings::session_url(
    const std::string& session_id) {
  CORE_ASSIGN_OR_RETURN(std::optional<storage::WaSession> s, sessions_.find(session_id));
  if (!s) return core::Status::not_found("no session " + session_id);
  return s->webhook_url;
}

core::Result<std::optional<WebhookTarget>> WebhookSettings::target(
    const std::optional<std::string>& session_id) {
  std::optional<std::string> url;
  std::optional<std::string> secret;
  if (session_id) {
    CORE_ASSIGN_OR_RETURN(std::optional<storage::WaSession> s, sessions_.find(*session_id));
    if (!s) return std::optional<WebhookTarget>();
    url = s->webhook_url;
    secret = s->webhook_secret;
  }
  bool is_default = false;
  if (!url || url->empty()) {
    if (!options_.default_url) return std::optional<WebhookTarget>();
    url = options_.default_url;
    is_default = true;
  }
  if (!secret || secret->empty()) secret = options_.default_secret;
  return std::optional<WebhookTarget>(WebhookTarget{*url, secret, is_default});
}

}  // namespace gw::webhooks
