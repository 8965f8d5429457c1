// Webhook request signing. Every POST carries
//   Content-Type: application/json
//   User-Agent: SuperLight/<version>
//   X-Event-Id: <uuid>            (stable across retries and replays; dedupe on it)
//   X-Timestamp: <unix seconds>   (when the event was queued; stable across retries)
//   X-Signature-256: sha256=<lowercase hex HMAC-SHA256(raw body, session webhook secret)>
// The secret is the session's webhook secret as text (64 hex characters; its ASCII bytes are
// the HMAC key — receivers must not hex-decode it). With no secret configured the signature
// header is left out. docs/webhooks.md has the verification recipe.
//
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::webhooks {

inline constexpr std::string_view kSignatureHeader = "X-Signature-256";
inline constexpr std::string_view kSignaturePrefix = "sha256=";

// "sha256=<hex>".
std::string signature_header_value(std::string_view body, std::string_view secret);

// Constant-time check of a received X-Signature-256 value (for tests, tools and docs).
bool verify_signature(std::string_view body, std::string_view secret,
                      std::string_view header_value);

struct SignInput {
  std::string_view body;
  std::optional<std::string> secret;
  std::string_view event_id;
  long long timestamp_seconds = 0;
  std::string_view version;  // "0.1.0"
  bool replay = false;       // adds "X-Event-Replay: 1"
};

// The request headers, in order, as (name, value) pairs.
std::vector<std::pair<std::string, std::string>> webhook_headers(const SignInput& in);

}  // namespace gw::webhooks
