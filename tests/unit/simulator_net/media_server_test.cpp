#include "simulator/media_server.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/unit/simulator_net/fake_simulator.h"

namespace sim {
namespace {

X509* parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// Verifies `leaf` against `ca` for host 127.0.0.1 the way a TLS client would.
bool verifies(const MediaTls& t, const char* ip, const char* dns) {
  X509* ca = parse_cert(t.ca_pem);
  X509* leaf = parse_cert(t.cert_pem);
  if (!ca || !leaf) return false;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  if (ip) X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  if (dns) X509_VERIFY_PARAM_set1_host(param, dns, 0);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(ca);
  X509_free(leaf);
  return ok;
}

TEST(MediaTlsTest, GeneratedLeafVerifiesForLoopbackNames) {
  auto tls = generate_media_tls();
  ASSERT_TRUE(tls.ok()) << tls.status().to_string();
  EXPECT_NE(tls->ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(tls->key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(verifies(*tls, "127.0.0.1", nullptr));
  EXPECT_TRUE(verifies(*tls, nullptr, "localhost"));
  EXPECT_FALSE(verifies(*tls, "10.1.2.3", nullptr));
  EXPECT_FALSE(verifies(*tls, nullptr, "example.com"));
  // A different CA does not vouch for this leaf.
  auto other = generate_media_tls();
  ASSERT_TRUE(other.ok());
  MediaTls mixed = *tls;
  mixed.ca_pem = other->ca_pem;
  EXPECT_FALSE(verifies(mixed, "127.0.0.1", nullptr));
}

TEST(MediaTlsTest, StateDirIsReusedAcrossRestarts) {
  auto dir =
      std::filesystem::temp_directory_path() / ("sl-media-tls-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto first = load_or_create_media_tls(dir.string());
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  for (const char* f : {"media-ca.pem", "media-ca.key", "media.pem", "media.key"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  }
  auto perms = std::filesystem::status(dir / "media-ca.key").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_read, std::filesystem::perms::none);
  auto second = load_or_create_media_tls(dir.string());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->ca_pem, first->ca_pem);
  EXPECT_EQ(second->cert_pem, first->cert_pem);

  // A damaged leaf is replaced, but the CA clients already trust is kept.
  { std::ofstream(dir / "media.pem") << "garbage"; }
  auto third = load_or_create_media_tls(dir.string());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->ca_pem, first->ca_pem);
  EXPECT_NE(third->cert_pem, first->cert_pem);
  EXPECT_TRUE(verifies(*third, "127.0.0.1", nullptr));
  std::filesystem::remove_all(dir);
}

TEST(MediaTlsTest, EphemeralWritesNothing) {
  auto tls = load_or_create_media_tls("");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(verifies(*tls, "127.0.0.1", nullptr));
}

class MediaRoutesTest : public ::testing::Test {
 protected:
  core::FakeRandom random_{3};
  testing::FakeSimulator sim_{random_};
};

TEST_F(MediaRoutesTest, UploadThenDownloadWithExtraQuery) {
  auto up = handle_media_request(
      sim_, HttpRequest{"POST", "/mms/image/TOKEN_abc?auth=good%2Dauth&token=TOKEN_abc", "blob"});
  ASSERT_EQ(up.status, 200) << up.body;
  auto j = nlohmann::json::parse(up.body);
  EXPECT_EQ(j["direct_path"], "/v/t62/image/TOKEN_abc.enc?ccb=1");
  EXPECT_EQ(j["url"], "https://media.test/v/t62/image/TOKEN_abc.enc?ccb=1");

  std::string target = j["direct_path"].get<std::string>() + "&hash=xyz&mms-type=image";
  auto down = handle_media_request(sim_, HttpRequest{"GET", target, ""});
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(down.content_type, "application/octet-stream");
  EXPECT_EQ(down.body, "blob");
  ASSERT_EQ(sim_.downloads.size(), 1u);
  EXPECT_EQ(sim_.downloads[0], target);  // passed through as requested
}

TEST_F(MediaRoutesTest, PaddedTokenIsDecoded) {
  auto up = handle_media_request(
      sim_, HttpRequest{"POST", "/mms/document/abc%3D?auth=good-auth&token=abc%3D", "x"});
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_NE(up.body.find("abc=.enc"), std::string::npos);
}

TEST_F(MediaRoutesTest, Errors) {
  EXPECT_EQ(handle_media_request(sim_, HttpRequest{"POST", "/mms/image/T?auth=bad", "x"}).status,
            401);
  EXPECT_EQ(handle_media_request(sim_, HttpRequest{"POST", "/mms/image?auth=good-auth", ""}).status,
            400);
  EXPECT_EQ(handle_media_request(sim_, HttpRequest{"POST", "/mms/image/a/b", ""}).status, 400);
  EXPECT_EQ(handle_media_request(sim_, HttpRequest{"POST", "/other", ""}).status, 404);
  EXPECT_EQ(handle_media_request(sim_, HttpRequest{"GET", "/v/none.enc", ""}).status, 404);
  EXPECT_EQ(handle_media_request(sim_, HttpRequest{"DELETE", "/v/none.enc", ""}).status, 405);
}

}  // namespace
}  // namespace sim
