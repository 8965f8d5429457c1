// Linking crypto and payloads: registration / login ClientPayload fields, ADV verification
// (good, bad HMAC, bad account signature, hosted prefixes), the pairing-code crypto checked
// against an independent implementation of the phone side, QR strings and their rendering.
#include <gtest/gtest.h>
#include <zlib.h>

#include "core/encoding.h"
#include "crypto/aes.h"
#include "crypto/curve25519.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "proto/adv.pb.h"
#include "proto/client_payload.pb.h"
#include "wa/pairing/adv.h"
#include "wa/pairing/credentials.h"
#include "wa/pairing/pair_code.h"
#include "wa/pairing/qr.h"
#include "wa/signal/keys.h"

namespace wa::pairing {
namespace {

TEST(Credentials, RegistrationPayloadCarriesTheDeviceKeys) {
  core::FakeRandom r(1);
  auto c = new_credentials(r);
  DeviceConfig cfg;
  auto bytes = registration_payload(c, cfg);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  waproto::ClientPayload p;
  ASSERT_TRUE(p.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())));
  EXPECT_FALSE(p.passive());
  EXPECT_FALSE(p.has_username());
  const auto& d = p.device_pairing_data();
  EXPECT_EQ(d.e_regid(), core::to_string(core::uint_be_bytes(c.registration_id, 4)));
  EXPECT_EQ(d.e_keytype(), std::string(1, '\x05'));
  EXPECT_EQ(d.e_ident(),
            std::string(c.identity_key.public_key.begin(), c.identity_key.public_key.end()));
  EXPECT_EQ(d.e_skey_id(), std::string("\0\0\1", 3));
  EXPECT_EQ(d.build_hash().size(), 16u);
  EXPECT_EQ(d.build_hash(), core::to_string(crypto::md5(core::as_view(version_string(cfg)))));
  // The signed pre-key signature covers 0x05 ‖ key and verifies with the identity.
  EXPECT_TRUE(signal::verify_signed_pre_key(c.identity_key.public_key,
                                            c.signed_pre_key.key_pair.public_key,
                                            core::as_view(d.e_skey_sig())));
  waproto::DeviceProps props;
  ASSERT_TRUE(props.ParseFromString(d.device_props()));
  EXPECT_EQ(props.os(), cfg.os);
  EXPECT_EQ(p.user_agent().platform(), waproto::ClientPayload::UserAgent::WEB);
}

TEST(Credentials, LoginPayloadNamesTheDevice) {
  core::FakeRandom r(2);
  auto c = new_credentials(r);
  EXPECT_EQ(login_payload(c, {}).status().code(), core::StatusCode::kFailedPrecondition);
  c.me_pn_jid = "15551234567:7@s.whatsapp.net";
  c.registered = true;
  auto bytes = login_payload(c, {});
  ASSERT_TRUE(bytes.ok());
  waproto::ClientPayload p;
  ASSERT_TRUE(p.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())));
  EXPECT_EQ(p.username(), 15551234567u);
  EXPECT_EQ(p.device(), 7u);
  EXPECT_TRUE(p.passive());
  EXPECT_TRUE(p.pull());
  EXPECT_FALSE(p.has_device_pairing_data());
}

class AdvTest : public ::testing::Test {
 protected:
  core::FakeRandom r_{3};
  crypto::KeyPair phone_ = crypto::generate_key_pair(r_);
  crypto::KeyPair companion_ = crypto::generate_key_pair(r_);
  core::Bytes secret_ = r_.bytes(32);
};

TEST_F(AdvTest, ValidIdentityIsSignedAndTheReplyDropsTheAccountKey) {
  auto hmac = make_device_identity_hmac(phone_, companion_.public_view(), secret_, 4, 1700000000,
                                        false, r_);
  ASSERT_TRUE(hmac.ok());
  auto out = verify_and_sign_device_identity(*hmac, secret_, companion_, r_);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->key_index, 4u);
  EXPECT_EQ(out->account_signature_key, core::to_bytes(phone_.public_view()));
  waproto::ADVSignedDeviceIdentity reply, account;
  ASSERT_TRUE(reply.ParseFromArray(out->reply.data(), static_cast<int>(out->reply.size())));
  ASSERT_TRUE(account.ParseFromArray(out->account.data(), static_cast<int>(out->account.size())));
  EXPECT_FALSE(reply.has_account_signature_key());
  EXPECT_TRUE(account.has_account_signature_key());
  // The server checks our device signature with the account key it already knows.
  core::Bytes msg{6, 1};
  core::append(msg, core::as_view(reply.details()));
  core::append(msg, companion_.public_view());
  core::append(msg, phone_.public_view());
  EXPECT_TRUE(crypto::xeddsa_verify(companion_.public_view(), msg,
                                    core::as_view(reply.device_signature())));
}

TEST_F(AdvTest, WrongSecretIsAnHmacMismatch) {
  auto hmac = make_device_identity_hmac(phone_, companion_.public_view(), secret_, 1, 1, false, r_);
  auto other = r_.bytes(32);
  auto out = verify_and_sign_device_identity(*hmac, other, companion_, r_);
  EXPECT_EQ(out.status().code(), core::StatusCode::kUnauthenticated);
  EXPECT_EQ(out.status().message(), "hmac-mismatch");
}

TEST_F(AdvTest, AccountSignatureForAnotherCompanionIsRefused) {
  // Signed for a different companion identity: the HMAC is fine, the signature is not ours.
  auto stranger = crypto::generate_key_pair(r_);
  auto hmac = make_device_identity_hmac(phone_, stranger.public_view(), secret_, 1, 1, false, r_);
  auto out = verify_and_sign_device_identity(*hmac, secret_, companion_, r_);
  EXPECT_EQ(out.status().code(), core::StatusCode::kUnauthenticated);
  EXPECT_EQ(out.status().message(), "signature-mismatch");
}

TEST_F(AdvTest, TamperedSignatureBytesAreRefused) {
  auto hmac = make_device_identity_hmac(phone_, companion_.public_view(), secret_, 1, 1, false, r_);
  waproto::ADVSignedDeviceIdentityHMAC c;
  ASSERT_TRUE(c.ParseFromArray(hmac->data(), static_cast<int>(hmac->size())));
  waproto::ADVSignedDeviceIdentity s;
  ASSERT_TRUE(s.ParseFromString(c.details()));
  std::string sig = s.account_signature();
  sig[10] ^= 1;
  s.set_account_signature(sig);
  c.set_details(s.SerializeAsString());
  auto mac = crypto::hmac_sha256(secret_, core::as_view(c.details()));
  c.set_hmac(mac.data(), mac.size());
  std::string tampered = c.SerializeAsString();
  auto out = verify_and_sign_device_identity(core::as_view(tampered), secret_, companion_, r_);
  EXPECT_EQ(out.status().message(), "signature-mismatch");
}

TEST_F(AdvTest, HostedDevicesUseTheirPrefixes) {
  auto hmac = make_device_identity_hmac(phone_, companion_.public_view(), secret_, 2, 1, true, r_);
  auto out = verify_and_sign_device_identity(*hmac, secret_, companion_, r_);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(out->hosted);
  waproto::ADVSignedDeviceIdentity reply;
  ASSERT_TRUE(reply.ParseFromArray(out->reply.data(), static_cast<int>(out->reply.size())));
  core::Bytes msg{6, 6};
  core::append(msg, core::as_view(reply.details()));
  core::append(msg, companion_.public_view());
  core::append(msg, phone_.public_view());
  EXPECT_TRUE(crypto::xeddsa_verify(companion_.public_view(), msg,
                                    core::as_view(reply.device_signature())));
}

TEST_F(AdvTest, GarbageIsInvalidArgument) {
  core::Bytes junk{1, 2, 3, 0xff, 0xff};
  auto out = verify_and_sign_device_identity(junk, secret_, companion_, r_);
  EXPECT_FALSE(out.ok());
}

TEST(PairCode, CodeAlphabetAndWrapRoundTrip) {
  core::FakeRandom r(4);
  for (int i = 0; i < 20; ++i) {
    auto code = generate_pair_code(r);
    ASSERT_EQ(code.size(), 8u);
    for (char ch : code) EXPECT_NE(kPairCodeAlphabet.find(ch), std::string_view::npos);
  }
  auto key = r.bytes(32);
  auto wrapped = wrap_with_code("ABCD2345", key, r);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->size(), 80u);
  EXPECT_EQ(*unwrap_with_code("ABCD2345", *wrapped), key);
  EXPECT_NE(*unwrap_with_code("ABCD2346", *wrapped), key);
  EXPECT_FALSE(unwrap_with_code("ABCD2345", core::Bytes(79)).ok());
  EXPECT_FALSE(PairCodeSession::start(r, std::string("SHORT")).ok());
  EXPECT_FALSE(PairCodeSession::start(r, std::string("ABCDEFGI")).ok());  // I is not allowed
}

// The phone's side written independently from the spec (§5.3), to check both ends agree on the
// ADV secret and the phone can open the key bundle.
TEST(PairCode, PhoneAndCompanionDeriveTheSameAdvSecret) {
  core::FakeRandom r(5);
  auto companion_identity = crypto::generate_key_pair(r);
  auto session = PairCodeSession::start(r, std::string("K7PQ2XZ9"));
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->display_code(), "K7PQ-2XZ9");

  // Phone: unwrap the companion ephemeral with the typed code.
  auto companion_eph = unwrap_with_code("K7PQ2XZ9", session->wrapped_companion_ephemeral());
  ASSERT_TRUE(companion_eph.ok());
  EXPECT_EQ(*companion_eph, core::to_bytes(session->ephemeral().public_view()));
  auto primary_eph = crypto::generate_key_pair(r);
  auto primary_identity = crypto::generate_key_pair(r);
  auto wrapped_primary = wrap_with_code("K7PQ2XZ9", primary_eph.public_view(), r);

  auto fin = session->on_primary_hello(*wrapped_primary, primary_identity.public_view(),
                                       companion_identity, r);
  ASSERT_TRUE(fin.ok()) << fin.status().to_string();

  // Phone: open the bundle and derive the secret.
  auto shared = crypto::x25519(primary_eph.private_view(), *companion_eph);
  core::ByteView b = fin->wrapped_key_bundle;
  auto bundle_key = crypto::hkdf_sha256(
      *shared, b.subspan(0, 32), core::as_view("link_code_pairing_key_bundle_encryption_key"), 32);
  auto plain = crypto::aes256_gcm_decrypt(*bundle_key, b.subspan(32, 12), b.subspan(44), {});
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->size(), 96u);
  EXPECT_EQ(core::Bytes(plain->begin(), plain->begin() + 32),
            core::to_bytes(companion_identity.public_view()));
  EXPECT_EQ(core::Bytes(plain->begin() + 32, plain->begin() + 64),
            core::to_bytes(primary_identity.public_view()));
  core::Bytes adv_random(plain->begin() + 64, plain->end());
  auto id_shared =
      crypto::x25519(primary_identity.private_view(), companion_identity.public_view());
  auto secret = crypto::hkdf_sha256(core::concat({*shared, *id_shared, adv_random}), {},
                                    core::as_view("adv_secret"), 32);
  EXPECT_EQ(*secret, fin->adv_secret);
}

TEST(Qr, StringAndLifetimes) {
  core::Bytes k1(32, 1), k2(32, 2), k3(32, 3);
  auto s = make_qr_string("2@abc", k1, k2, k3, "1");
  EXPECT_EQ(s, "https://wa.me/settings/linked_devices#2@abc," + core::base64_encode(k1) + "," +
                   core::base64_encode(k2) + "," + core::base64_encode(k3) + ",1");
  EXPECT_EQ(qr_ref_lifetime(0).count(), 60);
  EXPECT_EQ(qr_ref_lifetime(1).count(), 20);
  EXPECT_EQ(qr_ref_lifetime(5).count(), 20);
}

TEST(Qr, RenderingsAreWellFormed) {
  std::string text = "https://wa.me/settings/linked_devices#2@example,AAAA,BBBB,CCCC,1";
  auto m = encode_qr(text);
  ASSERT_TRUE(m.ok());
  EXPECT_GE(m->size, 21);
  EXPECT_TRUE(m->dark(0, 0));  // finder pattern corner

  auto svg = render_qr_svg(text, 4);
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->rfind("<svg", 0), 0u);
  EXPECT_NE(svg->find("</svg>"), std::string::npos);

  auto png = render_qr_png(text, 2);
  ASSERT_TRUE(png.ok());
  ASSERT_GT(png->size(), 40u);
  EXPECT_EQ(core::Bytes(png->begin(), png->begin() + 8),
            (core::Bytes{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}));
  uint32_t w = static_cast<uint32_t>(core::get_uint_be(core::ByteView(*png).subspan(16, 4), 4));
  uint32_t h = static_cast<uint32_t>(core::get_uint_be(core::ByteView(*png).subspan(20, 4), 4));
  EXPECT_EQ(w, static_cast<uint32_t>((m->size + 8) * 2));
  EXPECT_EQ(w, h);
  // IDAT inflates to height rows of (1 + width) bytes.
  uint32_t idat_len =
      static_cast<uint32_t>(core::get_uint_be(core::ByteView(*png).subspan(33, 4), 4));
  ASSERT_EQ(core::to_string(core::ByteView(*png).subspan(37, 4)), "IDAT");
  uLongf out_len = (w + 1) * h + 16;
  core::Bytes raw(out_len);
  ASSERT_EQ(uncompress(raw.data(), &out_len, png->data() + 41, idat_len), Z_OK);
  EXPECT_EQ(out_len, static_cast<uLongf>((w + 1) * h));
  // The IHDR CRC is the zlib CRC-32 of type ‖ data.
  uLong crc = crc32(0L, png->data() + 12, 17);
  EXPECT_EQ(core::get_uint_be(core::ByteView(*png).subspan(29, 4), 4), crc);

  auto term = render_qr_terminal(text);
  ASSERT_TRUE(term.ok());
  EXPECT_NE(term->find("\u2588"), std::string::npos);
  EXPECT_FALSE(encode_png_gray(2, 2, core::Bytes(3)).ok());
}

}  // namespace
}  // namespace wa::pairing
