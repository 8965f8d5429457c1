// Per-session webhook configuration: the URL (persisted in wa_sessions, falling back to
// WEBHOOK_URL) and the signing secret (32 random bytes as 64 hex characters, generated when a
// session is created or its secret rotated, sealed at rest by the storage layer's SecretBox).
// URLs are checked against the UrlPolicy when saved; the delivery worker checks them again
// before every request.
//
// Ownership: holds references to the session repository, the UrlPolicy and the Random; they
// must outlive it.
// Threading: thread-safe if the Random is (SecureRandom is); every call that touches the
// repository, or resolves a host, blocks — run it on the BlockingExecutor. Calls inside a
// Database::transaction() on the same thread join that transaction.
#pragma once

#include <optional>
#include <string>

#include "core/random.h"
#include "core/status.h"
#include "gateway/webhooks/url_policy.h"
#include "storage/session_repositories.h"

namespace gw::webhooks {

inline constexpr size_t kSecretBytes = 32;

struct WebhookTarget {
  std::string url;
  std::optional<std::string> secret;  // nullopt: the request goes out unsigned
  bool is_default = false;            // WEBHOOK_URL, not a per-session URL
};

class WebhookSettings {
 public:
  struct Options {
    std::optional<std::string> default_url;  // WEBHOOK_URL
    // WEBHOOK_SECRET: signs events whose session has no secret of its own (sessions imported
    // from the Node server) and events without a session.
    std::optional<std::string> default_secret;
    // Reads WEBHOOK_URL / WEBHOOK_SECRET; InvalidArgument when WEBHOOK_URL is not a valid
    // http(s) URL (syntax only — its host may not resolve yet at start-up).
    static core::Result<Options> from_environment(const UrlPolicy& policy);
  };

  WebhookSettings(storage::WaSessionRepository& sessions, const UrlPolicy& policy,
                  core::Random& random, Options options)
      : sessions_(sessions), policy_(policy), random_(random), options_(std::move(options)) {}

  // 64 lowercase hex characters from 32 random bytes.
  static std::string generate_secret(core::Random& random);

  // For session creation, before WaSessionRepository::create(session): gives the session a
  // fresh secret and checks its webhook_url (if any) against the policy.
  core::Status prepare_new_session(storage::WaSession& session) const;

  // A new secret, persisted (sealed) and returned once so the API can show it. NotFound for
  // an unknown session.
  core::Result<std::string> rotate_secret(const std::string& session_id);

  // Sets (or with nullopt clears) the per-session URL after the save-time policy check
  // (InvalidArgument / PermissionDenied / NotFound). Keeps the secret; creates one when the
  // session has none.
  core::Status set_url(const std::string& session_id, const std::optional<std::string>& url);

  // The per-session URL only (the seed's GET /api/v1/webhook answers with this).
  core::Result<std::optional<std::string>> session_url(const std::string& session_id);

  // The URL and secret an event of `session_id` goes to (session URL, else WEBHOOK_URL);
  // nullopt when there is none, or when the session no longer exists.
  core::Result<std::optional<WebhookTarget>> target(const std::optional<std::string>& session_id);

  const Options& options() const { return options_; }

 private:
  storage::WaSessionRepository& sessions_;
  const UrlPolicy& policy_;
  core::Random& random_;
  Options options_;
};

}  // namespace gw::webhooks
