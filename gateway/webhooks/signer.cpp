#include "gateway/webhooks/signer.h"

#include "core/bytes.h"
#include "core/encoding.h"
#include "crypto/hmac.h"
#include "crypto/util.h"

namespace gw::webhooks {

std::string signature_header_value(std::string_view body, std::string_view secret) {
  core::Bytes mac = crypto::hmac_sha256(core::as_view(secret), core::as_view(body));
  return std::string(kSignaturePrefix) + core::hex_encode(mac);
}

bool verify_signature(std::string_view body, std::string_view secret,
                      std::string_view header_value) {
  std::string expected = signature_header_value(body, secret);
  // Hex case is not significant for the receiver; normalise before comparing.
  std::string got(header_value);
  for (char& c : got) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return crypto::constant_time_equal(core::as_view(expected), core::as_view(got));
}

std::vector<std::pair<std::string, std::string>> webhook_headers(const SignInput& in) {
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("User-Agent", "SuperLight/" + std::string(in.version));
  h.emplace_back("X-Event-Id", std::string(in.event_id));
  h.emplace_back("X-Timestamp", std::to_string(in.timestamp_seconds));
  if (in.secret && !in.secret->empty()) {
    h.emplace_back(std::string(kSignatureHeader), signature_header_value(in.body, *in.secret));
  }
  if (in.replay) h.emplace_back("X-Event-Replay", "1");
  return h;
}

}  // namespace gw::webhooks
