// Media crypto (§10): round trip, the blob layout, every check on download refusing a tampered
// blob, the HKDF info per kind and the upload URL.
#include "wa/client/media.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"

namespace wa::client {
namespace {

TEST(Media, EncryptDecryptRoundTrip) {
  core::FakeRandom r(1);
  core::Bytes plain = r.bytes(1000);
  auto e = encrypt_media(plain, MediaKind::kImage, r);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->media_key.size(), 32u);
  EXPECT_EQ(e->blob.size() % 16, 10u);  // CBC blocks + 10-byte MAC
  EXPECT_EQ(e->file_sha256, crypto::sha256(plain));
  EXPECT_EQ(e->file_enc_sha256, crypto::sha256(e->blob));
  EXPECT_EQ(e->file_length, 1000u);
  auto keys = expand_media_key(e->media_key, MediaKind::kImage);
  auto ct = core::ByteView(e->blob).subspan(0, e->blob.size() - 10);
  auto mac = crypto::hmac_sha256(keys->mac_key, core::concat({keys->iv, ct}));
  EXPECT_EQ(core::Bytes(e->blob.end() - 10, e->blob.end()),
            core::Bytes(mac.begin(), mac.begin() + 10));
  auto d =
      decrypt_media(e->blob, e->media_key, MediaKind::kImage, e->file_enc_sha256, e->file_sha256);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, plain);
}

TEST(Media, TamperingIsRefused) {
  core::FakeRandom r(2);
  core::Bytes plain = r.bytes(100);
  auto e = encrypt_media(plain, MediaKind::kDocument, r);
  auto blob = e->blob;
  blob[5] ^= 1;
  EXPECT_EQ(decrypt_media(blob, e->media_key, MediaKind::kDocument, e->file_enc_sha256, {})
                .status()
                .code(),
            core::StatusCode::kUnauthenticated);
  // Without the enc hash the MAC still catches it.
  EXPECT_EQ(decrypt_media(blob, e->media_key, MediaKind::kDocument, {}, {}).status().message(),
            "media MAC mismatch");
  // The wrong kind means the wrong keys.
  EXPECT_FALSE(decrypt_media(e->blob, e->media_key, MediaKind::kVideo, {}, {}).ok());
  // A wrong plaintext hash is refused.
  EXPECT_FALSE(
      decrypt_media(e->blob, e->media_key, MediaKind::kDocument, {}, core::Bytes(32)).ok());
  EXPECT_FALSE(decrypt_media(core::Bytes(5), e->media_key, MediaKind::kDocument, {}, {}).ok());
}

TEST(Media, InfoStringsAndUploadUrl) {
  EXPECT_EQ(media_hkdf_info(MediaKind::kSticker), "WhatsApp Image Keys");
  EXPECT_EQ(media_hkdf_info(MediaKind::kAudio), "WhatsApp Audio Keys");
  EXPECT_EQ(media_path_segment(MediaKind::kSticker), "image");
  core::Bytes sha(32, 0xfb);
  auto url = media_upload_url("127.0.0.1:8443", MediaKind::kDocument, sha, "a+b/c=");
  std::string token = core::base64url_encode(sha, false);
  EXPECT_EQ(url,
            "https://127.0.0.1:8443/mms/document/" + token + "?auth=a%2Bb%2Fc%3D&token=" + token);
  EXPECT_EQ(token.find('='), std::string::npos);
}

}  // namespace
}  // namespace wa::client
