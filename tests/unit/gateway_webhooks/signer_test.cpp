#include "gateway/webhooks/signer.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>

namespace gw::webhooks {
namespace {

// Independent of crypto/hmac.h: OpenSSL's one-shot HMAC().
std::string openssl_hex_hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

TEST(Signer, Rfc4231Case2) {
  EXPECT_EQ(signature_header_value("what do ya want for nothing?", "Jefe"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signer, MatchesIndependentHmacOverRawBody) {
  std::string body = R"({"event":"new-message","sessionId":"s1","data":{"t":"héllo"}})";
  std::string secret = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
  EXPECT_EQ(signature_header_value(body, secret), "sha256=" + openssl_hex_hmac(secret, body));
}

// Expected value computed outside this code base with
//   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"
// (and checked with the Node and Python recipes in docs/webhooks.md).
TEST(Signer, KnownAnswerFromOpensslCli) {
  EXPECT_EQ(
      signature_header_value(R"({"event":"session-status","sessionId":"s1","status":"CONNECTED"})",
                             "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"),
      "sha256=0d12f1b66bb5017b4f1071fca1a164af2673e8cda93db50173844f6df12264eb");
}

TEST(Signer, Verify) {
  std::string body = "{\"a\":1}";
  std::string sig = signature_header_value(body, "k");
  EXPECT_TRUE(verify_signature(body, "k", sig));
  std::string upper = sig;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(verify_signature(body, "k", upper));
  EXPECT_FALSE(verify_signature(body, "other", sig));
  EXPECT_FALSE(verify_signature("{\"a\":2}", "k", sig));
  EXPECT_FALSE(verify_signature(body, "k", sig.substr(0, sig.size() - 1)));
  EXPECT_FALSE(verify_signature(body, "k", ""));
}

TEST(Signer, Headers) {
  SignInput in;
  in.body = "{}";
  in.secret = "s3cret";
  in.event_id = "0b7c1d1e-0000-4000-8000-000000000000";
  in.timestamp_seconds = 1700000000;
  in.version = "1.2.3";
  auto list = webhook_headers(in);
  std::map<std::string, std::string> h(list.begin(), list.end());
  EXPECT_EQ(h["Content-Type"], "application/json");
  EXPECT_EQ(h["User-Agent"], "SuperLight/1.2.3");
  EXPECT_EQ(h["X-Event-Id"], in.event_id);
  EXPECT_EQ(h["X-Timestamp"], "1700000000");
  EXPECT_EQ(h["X-Signature-256"], "sha256=" + openssl_hex_hmac("s3cret", "{}"));
  EXPECT_EQ(h.count("X-Event-Replay"), 0u);
  in.secret.reset();
  in.replay = true;
  auto unsigned_list = webhook_headers(in);
  std::map<std::string, std::string> u(unsigned_list.begin(), unsigned_list.end());
  EXPECT_EQ(u.count("X-Signature-256"), 0u);
  EXPECT_EQ(u["X-Event-Replay"], "1");
}

}  // namespace
}  // namespace gw::webhooks
