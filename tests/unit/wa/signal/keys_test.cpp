#include "wa/signal/keys.h"

#include <gtest/gtest.h>

#include <set>

#include "wa/store/in_memory_store.h"

namespace wa::signal {
namespace {

TEST(KeysTest, PublicKeyPrefixConversion) {
  core::Bytes raw(32, 0x11);
  auto prefixed = to_signal_public_key(raw);
  ASSERT_TRUE(prefixed.ok());
  ASSERT_EQ(prefixed->size(), 33u);
  EXPECT_EQ((*prefixed)[0], 0x05);
  EXPECT_EQ(*from_signal_public_key(*prefixed), raw);
  EXPECT_EQ(*normalize_public_key(raw), raw);
  EXPECT_EQ(*normalize_public_key(*prefixed), raw);

  EXPECT_FALSE(to_signal_public_key(core::Bytes(31, 1)).ok());
  EXPECT_FALSE(from_signal_public_key(raw).ok());
  core::Bytes wrong_type = *prefixed;
  wrong_type[0] = 0x06;
  EXPECT_FALSE(from_signal_public_key(wrong_type).ok());
  EXPECT_FALSE(normalize_public_key(core::Bytes(34, 5)).ok());
}

TEST(KeysTest, RegistrationIdRange) {
  core::FakeRandom random(3);
  for (int i = 0; i < 2000; ++i) {
    uint32_t id = generate_registration_id(random);
    ASSERT_GE(id, 1u);
    ASSERT_LE(id, kMaxRegistrationId);
  }
}

TEST(KeysTest, PreKeyBatchesWrapAt24Bits) {
  core::FakeRandom random(4);
  auto keys = generate_pre_keys(0xFFFFFE, 4, random);
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0].id, 0xFFFFFEu);
  EXPECT_EQ(keys[1].id, 0xFFFFFFu);
  EXPECT_EQ(keys[2].id, 1u);
  EXPECT_EQ(keys[3].id, 2u);
  EXPECT_NE(keys[0].key_pair.public_key, keys[1].key_pair.public_key);
  EXPECT_EQ(generate_pre_keys(0, 1, random)[0].id, 1u);
  EXPECT_EQ(next_pre_key_id(5), 6u);
  EXPECT_EQ(next_pre_key_id(kMaxPreKeyId), 1u);
}

TEST(KeysTest, SignedPreKeySignatureCoversPrefixedKey) {
  core::FakeRandom random(5);
  KeyPair identity = generate_identity_key_pair(random);
  auto spk = generate_signed_pre_key(identity, 1, random);
  ASSERT_TRUE(spk.ok());
  EXPECT_EQ(spk->signature.size(), 64u);
  EXPECT_TRUE(
      verify_signed_pre_key(identity.public_view(), spk->key_pair.public_view(), spk->signature));
  // The signature is over 0x05 ‖ pub, so it must verify directly against the 33-byte form…
  auto prefixed = to_signal_public_key(spk->key_pair.public_view());
  EXPECT_TRUE(crypto::xeddsa_verify(identity.public_view(), *prefixed, spk->signature));
  // …and not against the raw 32 bytes.
  EXPECT_FALSE(
      crypto::xeddsa_verify(identity.public_view(), spk->key_pair.public_view(), spk->signature));

  core::Bytes bad = spk->signature;
  bad[10] ^= 1;
  EXPECT_FALSE(verify_signed_pre_key(identity.public_view(), spk->key_pair.public_view(), bad));
  KeyPair other = generate_identity_key_pair(random);
  EXPECT_FALSE(
      verify_signed_pre_key(other.public_view(), spk->key_pair.public_view(), spk->signature));
  EXPECT_FALSE(generate_signed_pre_key(identity, 0, random).ok());
  EXPECT_FALSE(generate_signed_pre_key(identity, 0x1000000, random).ok());
}

TEST(KeysTest, RecordsRoundTrip) {
  core::FakeRandom random(6);
  KeyPair identity = generate_identity_key_pair(random);
  PreKey pre_key = generate_pre_keys(42, 1, random)[0];
  auto record = serialize_pre_key_record(pre_key);
  ASSERT_TRUE(record.ok());
  auto parsed = parse_pre_key_record(*record);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->id, 42u);
  EXPECT_EQ(parsed->key_pair.public_key, pre_key.key_pair.public_key);
  EXPECT_EQ(parsed->key_pair.private_key, pre_key.key_pair.private_key);

  auto spk = generate_signed_pre_key(identity, 9, random);
  ASSERT_TRUE(spk.ok());
  auto spk_record = serialize_signed_pre_key_record(*spk, 1700000000000ull);
  ASSERT_TRUE(spk_record.ok());
  auto spk_parsed = parse_signed_pre_key_record(*spk_record);
  ASSERT_TRUE(spk_parsed.ok());
  EXPECT_EQ(spk_parsed->id, 9u);
  EXPECT_EQ(spk_parsed->signature, spk->signature);
  EXPECT_EQ(spk_parsed->key_pair.public_key, spk->key_pair.public_key);

  EXPECT_FALSE(parse_pre_key_record(core::Bytes{1, 2, 3, 4, 5}).ok());
  EXPECT_FALSE(parse_signed_pre_key_record(core::Bytes{0xFF, 0xFF}).ok());

  store::InMemoryStore store;
  auto batch = generate_pre_keys(1, 10, random);
  ASSERT_TRUE(save_pre_keys(store, batch).ok());
  EXPECT_EQ(store.pre_key_count(), 10u);
  ASSERT_TRUE(save_signed_pre_key(store, *spk, 1).ok());
  EXPECT_EQ(*store.list_signed_pre_keys(), (std::vector<uint32_t>{9}));
}

TEST(KeysTest, StoredFormsAndBundle) {
  core::FakeRandom random(8);
  KeyPair identity = generate_identity_key_pair(random);
  auto spk = generate_signed_pre_key(identity, 3, random);
  ASSERT_TRUE(spk.ok());
  SignedPreKey back = from_stored(to_stored(*spk));
  EXPECT_EQ(back.id, spk->id);
  EXPECT_EQ(back.signature, spk->signature);
  EXPECT_EQ(back.key_pair.private_key, spk->key_pair.private_key);

  PreKey pk = generate_pre_keys(77, 1, random)[0];
  PreKeyBundle bundle = make_bundle(1234, 2, identity, *spk, &pk);
  EXPECT_EQ(bundle.registration_id, 1234u);
  EXPECT_EQ(bundle.device_id, 2u);
  EXPECT_EQ(bundle.identity_key.size(), 32u);
  ASSERT_TRUE(bundle.pre_key.has_value());
  EXPECT_EQ(bundle.pre_key->id, 77u);
  EXPECT_FALSE(make_bundle(1, 0, identity, *spk, nullptr).pre_key.has_value());
}

}  // namespace
}  // namespace wa::signal
