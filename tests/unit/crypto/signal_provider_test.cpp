#include <gtest/gtest.h>

#include <fingerprint.h>
#include <hkdf.h>
#include <key_helper.h>
#include <signal_protocol.h>

#include <cstdlib>
#include <memory>
#include <thread>

#include "core/random.h"
#include "crypto/aes.h"
#include "crypto/curve25519.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/signal_provider.h"
#include "tests/unit/crypto/test_hex.h"

namespace crypto {
namespace {

using testing::hex;
using testing::repeat;
using testing::to_hex;

struct ContextFree {
  void operator()(signal_context* c) const { signal_context_destroy(c); }
};
using ContextPtr = std::unique_ptr<signal_context, ContextFree>;

struct BufferFree {
  void operator()(signal_buffer* b) const { signal_buffer_free(b); }
};
using BufferPtr = std::unique_ptr<signal_buffer, BufferFree>;

core::Bytes to_bytes(const signal_buffer* b) {
  const uint8_t* data = signal_buffer_const_data(b);
  return core::Bytes(data, data + signal_buffer_len(b));
}

// A private context (not the shared one) the way wa/signal builds its per-client contexts.
ContextPtr make_context() {
  signal_context* ctx = nullptr;
  if (signal_context_create(&ctx, nullptr) != 0) return nullptr;
  ContextPtr owned(ctx);
  if (signal_context_set_crypto_provider(ctx, &openssl_signal_provider()) != 0) return nullptr;
  return owned;
}

// Strips Signal's 0x05 type byte from a serialized public key.
core::Bytes raw_public(const ec_public_key* key) {
  signal_buffer* buf = nullptr;
  EXPECT_EQ(ec_public_key_serialize(&buf, key), 0);
  BufferPtr owned(buf);
  core::Bytes b = to_bytes(buf);
  EXPECT_EQ(b.size(), 33u);
  EXPECT_EQ(b[0], 0x05);
  return core::Bytes(b.begin() + 1, b.end());
}

core::Bytes raw_private(const ec_private_key* key) {
  signal_buffer* buf = nullptr;
  EXPECT_EQ(ec_private_key_serialize(&buf, key), 0);
  BufferPtr owned(buf);
  return to_bytes(buf);
}

TEST(SignalProviderTest, IdentityKeySignatureInteroperatesWithXeddsa) {
  ContextPtr ctx = make_context();
  ASSERT_TRUE(ctx);
  ratchet_identity_key_pair* identity = nullptr;
  ASSERT_EQ(signal_protocol_key_helper_generate_identity_key_pair(&identity, ctx.get()), 0);
  ec_public_key* pub = ratchet_identity_key_pair_get_public(identity);
  ec_private_key* priv = ratchet_identity_key_pair_get_private(identity);

  const core::Bytes raw_pub = raw_public(pub);
  const core::Bytes raw_priv = raw_private(priv);
  auto kp = key_pair_from_private(raw_priv);
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(core::Bytes(kp->public_key.begin(), kp->public_key.end()), raw_pub);

  const auto msg = core::as_view("libsignal signs, crypto verifies");
  signal_buffer* sig = nullptr;
  ASSERT_EQ(curve_calculate_signature(ctx.get(), &sig, priv, msg.data(), msg.size()), 0);
  BufferPtr sig_owned(sig);
  const core::Bytes sig_bytes = to_bytes(sig);
  EXPECT_EQ(curve_verify_signature(pub, msg.data(), msg.size(), sig_bytes.data(), sig_bytes.size()),
            1);
  EXPECT_TRUE(xeddsa_verify(raw_pub, msg, sig_bytes));

  core::FakeRandom random(5);
  auto ours = xeddsa_sign(raw_priv, msg, random);
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(curve_verify_signature(pub, msg.data(), msg.size(), ours->data(), ours->size()), 1);
  SIGNAL_UNREF(identity);
}

// libsignal's HKDF (message version 3 is plain RFC 5869) runs on the provider's HMAC callbacks.
TEST(SignalProviderTest, LibsignalHkdfMatchesRfc5869Case1) {
  ContextPtr ctx = make_context();
  ASSERT_TRUE(ctx);
  hkdf_context* hkdf = nullptr;
  ASSERT_EQ(hkdf_create(&hkdf, 3, ctx.get()), 0);
  const core::Bytes ikm = repeat(0x0b, 22);
  const core::Bytes salt = testing::range(0x00, 0x0c);
  const core::Bytes info = testing::range(0xf0, 0xf9);
  uint8_t* out = nullptr;
  ssize_t n = hkdf_derive_secrets(hkdf, &out, ikm.data(), ikm.size(), salt.data(), salt.size(),
                                  info.data(), info.size(), 42);
  ASSERT_EQ(n, 42);
  EXPECT_EQ(to_hex({out, 42}),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
  free(out);
  SIGNAL_UNREF(hkdf);
}

// The displayable fingerprint iterates SHA-512 on one context (exercising reset after final);
// both parties must compute the same text.
TEST(SignalProviderTest, FingerprintIsSymmetric) {
  ContextPtr ctx = make_context();
  ASSERT_TRUE(ctx);
  ec_key_pair* alice = nullptr;
  ec_key_pair* bob = nullptr;
  ASSERT_EQ(curve_generate_key_pair(ctx.get(), &alice), 0);
  ASSERT_EQ(curve_generate_key_pair(ctx.get(), &bob), 0);
  fingerprint_generator* gen = nullptr;
  ASSERT_EQ(fingerprint_generator_create(&gen, 1024, 1, ctx.get()), 0);
  fingerprint* fa = nullptr;
  fingerprint* fb = nullptr;
  ASSERT_EQ(fingerprint_generator_create_for(gen, "+14152222222", ec_key_pair_get_public(alice),
                                             "+14153333333", ec_key_pair_get_public(bob), &fa),
            0);
  ASSERT_EQ(fingerprint_generator_create_for(gen, "+14153333333", ec_key_pair_get_public(bob),
                                             "+14152222222", ec_key_pair_get_public(alice), &fb),
            0);
  std::string ta = displayable_fingerprint_text(fingerprint_get_displayable(fa));
  std::string tb = displayable_fingerprint_text(fingerprint_get_displayable(fb));
  EXPECT_EQ(ta.size(), 60u);
  EXPECT_EQ(ta, tb);
  SIGNAL_UNREF(fa);
  SIGNAL_UNREF(fb);
  fingerprint_generator_free(gen);
  SIGNAL_UNREF(alice);
  SIGNAL_UNREF(bob);
}

TEST(SignalProviderTest, Sha512CallbacksResetAfterFinal) {
  const signal_crypto_provider& p = openssl_signal_provider();
  void* ctx = nullptr;
  ASSERT_EQ(p.sha512_digest_init_func(&ctx, p.user_data), 0);
  const auto abc = core::as_view("abc");
  ASSERT_EQ(p.sha512_digest_update_func(ctx, abc.data(), 1, p.user_data), 0);
  ASSERT_EQ(p.sha512_digest_update_func(ctx, abc.data() + 1, 2, p.user_data), 0);
  signal_buffer* out = nullptr;
  ASSERT_EQ(p.sha512_digest_final_func(ctx, &out, p.user_data), 0);
  EXPECT_EQ(to_bytes(out), sha512(abc));
  signal_buffer_free(out);
  out = nullptr;
  // Reused without new input: the digest of the empty string.
  ASSERT_EQ(p.sha512_digest_final_func(ctx, &out, p.user_data), 0);
  EXPECT_EQ(to_bytes(out), sha512({}));
  signal_buffer_free(out);
  p.sha512_digest_cleanup_func(ctx, p.user_data);
}

TEST(SignalProviderTest, HmacCallbacksMatchHmacSha256) {
  const signal_crypto_provider& p = openssl_signal_provider();
  const core::Bytes key = core::to_bytes("Jefe");
  const auto data = core::as_view("what do ya want for nothing?");
  void* ctx = nullptr;
  ASSERT_EQ(p.hmac_sha256_init_func(&ctx, key.data(), key.size(), p.user_data), 0);
  ASSERT_EQ(p.hmac_sha256_update_func(ctx, data.data(), 10, p.user_data), 0);
  ASSERT_EQ(p.hmac_sha256_update_func(ctx, data.data() + 10, data.size() - 10, p.user_data), 0);
  signal_buffer* out = nullptr;
  ASSERT_EQ(p.hmac_sha256_final_func(ctx, &out, p.user_data), 0);
  EXPECT_EQ(to_hex(to_bytes(out)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  signal_buffer_free(out);
  p.hmac_sha256_cleanup_func(ctx, p.user_data);

  ASSERT_EQ(p.hmac_sha256_init_func(&ctx, nullptr, 0, p.user_data), 0);
  out = nullptr;
  ASSERT_EQ(p.hmac_sha256_final_func(ctx, &out, p.user_data), 0);
  EXPECT_EQ(to_bytes(out), hmac_sha256({}, {}));
  signal_buffer_free(out);
  p.hmac_sha256_cleanup_func(ctx, p.user_data);
}

core::Result<core::Bytes> run_cipher(bool encrypt, int cipher, core::ByteView key,
                                     core::ByteView iv, core::ByteView input) {
  const signal_crypto_provider& p = openssl_signal_provider();
  signal_buffer* out = nullptr;
  int rc = (encrypt ? p.encrypt_func : p.decrypt_func)(&out, cipher, key.data(), key.size(),
                                                       iv.data(), iv.size(), input.data(),
                                                       input.size(), p.user_data);
  if (rc != 0) return core::Status::internal("rc " + std::to_string(rc));
  BufferPtr owned(out);
  return to_bytes(out);
}

TEST(SignalProviderTest, CipherCallbacksMatchCryptoAes) {
  const core::Bytes iv = testing::range(0x00, 0x0f);
  const core::Bytes plain = core::to_bytes("a message that spans more than two AES blocks!");
  for (size_t key_size : {16u, 24u, 32u}) {
    core::Bytes key(key_size);
    for (size_t i = 0; i < key_size; ++i) key[i] = static_cast<uint8_t>(0x40 + i);

    auto ctr = run_cipher(true, SG_CIPHER_AES_CTR_NOPADDING, key, iv, plain);
    ASSERT_TRUE(ctr.ok()) << key_size;
    auto expected_ctr = aes_ctr(key, iv, plain);
    ASSERT_TRUE(expected_ctr.ok());
    EXPECT_EQ(*ctr, *expected_ctr) << key_size;
    auto ctr_back = run_cipher(false, SG_CIPHER_AES_CTR_NOPADDING, key, iv, *ctr);
    ASSERT_TRUE(ctr_back.ok());
    EXPECT_EQ(*ctr_back, plain);

    auto cbc = run_cipher(true, SG_CIPHER_AES_CBC_PKCS5, key, iv, plain);
    ASSERT_TRUE(cbc.ok()) << key_size;
    EXPECT_EQ(cbc->size(), 48u);
    if (key_size == 32) {
      auto expected_cbc = aes256_cbc_encrypt(key, iv, plain);
      ASSERT_TRUE(expected_cbc.ok());
      EXPECT_EQ(*cbc, *expected_cbc);
    }
    auto cbc_back = run_cipher(false, SG_CIPHER_AES_CBC_PKCS5, key, iv, *cbc);
    ASSERT_TRUE(cbc_back.ok()) << key_size;
    EXPECT_EQ(*cbc_back, plain);
  }
}

TEST(SignalProviderTest, CipherCallbacksRejectBadInput) {
  const signal_crypto_provider& p = openssl_signal_provider();
  const core::Bytes key = repeat(1, 32);
  const core::Bytes iv = repeat(2, 16);
  const core::Bytes data = repeat(3, 32);
  signal_buffer* out = nullptr;
  EXPECT_EQ(p.encrypt_func(&out, 99, key.data(), 32, iv.data(), 16, data.data(), 32, nullptr),
            SG_ERR_INVAL);
  EXPECT_EQ(p.encrypt_func(&out, SG_CIPHER_AES_CBC_PKCS5, key.data(), 20, iv.data(), 16,
                           data.data(), 32, nullptr),
            SG_ERR_INVAL);
  EXPECT_EQ(p.decrypt_func(&out, SG_CIPHER_AES_CTR_NOPADDING, key.data(), 32, iv.data(), 12,
                           data.data(), 32, nullptr),
            SG_ERR_INVAL);
  EXPECT_EQ(p.decrypt_func(&out, SG_CIPHER_AES_CBC_PKCS5, key.data(), 32, iv.data(), 16,
                           data.data(), 31, nullptr),
            SG_ERR_INVAL);
  EXPECT_EQ(out, nullptr);

  // Flipping the first block's last byte turns the padding block's final 0x10 into 0x11.
  auto ct = aes256_cbc_encrypt(key, iv, repeat(7, 16));
  ASSERT_TRUE(ct.ok());
  core::Bytes bad = *ct;
  bad[15] ^= 0x01;
  EXPECT_LT(p.decrypt_func(&out, SG_CIPHER_AES_CBC_PKCS5, key.data(), 32, iv.data(), 16, bad.data(),
                           bad.size(), nullptr),
            0);
  EXPECT_EQ(out, nullptr);
}

TEST(SignalProviderTest, RandomCallbackFollowsScopedRandom) {
  const signal_crypto_provider& p = openssl_signal_provider();
  uint8_t a[24], b[24];
  {
    core::FakeRandom r(11);
    ScopedProviderRandom scope(r);
    ASSERT_EQ(p.random_func(a, sizeof(a), p.user_data), 0);
  }
  core::FakeRandom expected(11);
  core::Bytes want = expected.bytes(sizeof(a));
  EXPECT_EQ(core::Bytes(a, a + sizeof(a)), want);
  // Outside the scope it is libsodium again: not the FakeRandom stream.
  ASSERT_EQ(p.random_func(b, sizeof(b), p.user_data), 0);
  EXPECT_NE(core::Bytes(b, b + sizeof(b)), want);
}

TEST(SignalProviderTest, ScopedRandomMakesLibsignalKeyGenerationDeterministic) {
  ContextPtr ctx = make_context();
  ASSERT_TRUE(ctx);
  core::Bytes first, second;
  for (core::Bytes* out : {&first, &second}) {
    core::FakeRandom r(21);
    ScopedProviderRandom scope(r);
    ec_key_pair* kp = nullptr;
    ASSERT_EQ(curve_generate_key_pair(ctx.get(), &kp), 0);
    *out = raw_public(ec_key_pair_get_public(kp));
    SIGNAL_UNREF(kp);
  }
  EXPECT_EQ(first, second);
}

TEST(SignalProviderTest, SharedContextIsASingletonUsableFromThreads) {
  signal_context* main_ctx = shared_signal_context();
  ASSERT_NE(main_ctx, nullptr);
  signal_context* other = nullptr;
  std::thread t([&other] { other = shared_signal_context(); });
  t.join();
  EXPECT_EQ(main_ctx, other);

  // Concurrent signing through the shared context.
  core::FakeRandom key_random(8);
  KeyPair kp = generate_key_pair(key_random);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&, i] {
      core::FakeRandom r(i);
      for (int j = 0; j < 20; ++j) {
        auto sig = xeddsa_sign(kp.private_view(), core::as_view("m"), r);
        if (sig.ok() && xeddsa_verify(kp.public_view(), core::as_view("m"), *sig)) ++ok[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int n : ok) EXPECT_EQ(n, 20);
}

}  // namespace
}  // namespace crypto
