#include "wa/signal/cipher.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "wa/signal/keys.h"
#include "wa/signal/padding.h"
#include "wa/store/in_memory_store.h"

namespace wa::signal {
namespace {

using core::StatusCode;

core::Bytes b(std::string_view s) { return core::to_bytes(s); }

// One device: its own store, keys and SignalProtocol, published under `address`.
struct Party {
  Party(std::string name, uint64_t seed, uint32_t device = 0)
      : random(seed), address{std::move(name), device} {
    identity.identity_key = generate_identity_key_pair(random);
    identity.registration_id = generate_registration_id(random);
    auto made = generate_signed_pre_key(identity.identity_key, 1, random);
    EXPECT_TRUE(made.ok());
    signed_pre_key = *made;
    EXPECT_TRUE(save_signed_pre_key(store, signed_pre_key, 1).ok());
    pre_keys = generate_pre_keys(100, 5, random);
    EXPECT_TRUE(save_pre_keys(store, pre_keys).ok());
    auto p = SignalProtocol::create(store, identity);
    EXPECT_TRUE(p.ok());
    protocol = std::move(*p);
  }

  PreKeyBundle bundle(bool with_pre_key, size_t index = 0) const {
    return make_bundle(identity.registration_id, address.device_id, identity.identity_key,
                       signed_pre_key, with_pre_key ? &pre_keys[index] : nullptr);
  }

  core::FakeRandom random;
  Address address;
  store::InMemoryStore store;
  LocalIdentity identity;
  SignedPreKey signed_pre_key;
  std::vector<PreKey> pre_keys;
  std::unique_ptr<SignalProtocol> protocol;
};

// Sends `text` from `from` to `to` and checks it arrives.
void exchange(Party& from, Party& to, const std::string& text) {
  auto enc = from.protocol->encrypt(to.address, b(text));
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  auto dec = to.protocol->decrypt(from.address, enc->type, enc->ciphertext);
  ASSERT_TRUE(dec.ok()) << dec.status().to_string();
  EXPECT_EQ(core::to_string(dec->plaintext), text);
}

TEST(MessageTypeTest, Names) {
  EXPECT_EQ(message_type_name(MessageType::kPreKey), "pkmsg");
  EXPECT_EQ(message_type_name(MessageType::kWhisper), "msg");
  EXPECT_EQ(message_type_name(MessageType::kSenderKey), "skmsg");
  EXPECT_EQ(*parse_message_type("pkmsg"), MessageType::kPreKey);
  EXPECT_EQ(*parse_message_type("msg"), MessageType::kWhisper);
  EXPECT_EQ(*parse_message_type("skmsg"), MessageType::kSenderKey);
  EXPECT_FALSE(parse_message_type("frskmsg").ok());
}

TEST(SignalProtocolTest, CreateRejectsZeroRegistrationId) {
  store::InMemoryStore store;
  core::FakeRandom random;
  LocalIdentity id{generate_identity_key_pair(random), 0};
  EXPECT_FALSE(SignalProtocol::create(store, id).ok());
}

TEST(SignalProtocolTest, SessionWithOneTimePreKey) {
  Party alice("alice_1", 1), bob("bob_1", 2);
  EXPECT_FALSE(*alice.protocol->has_session(bob.address));

  auto processed = alice.protocol->process_bundle(bob.address, bob.bundle(true, 2));
  ASSERT_TRUE(processed.ok()) << processed.status().to_string();
  EXPECT_FALSE(processed->identity_changed);  // first contact is not a change
  EXPECT_TRUE(*alice.protocol->has_session(bob.address));

  auto first = alice.protocol->encrypt(bob.address, b("hello bob"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->type, MessageType::kPreKey);
  EXPECT_EQ(first->type_name(), "pkmsg");

  const uint32_t used_id = bob.pre_keys[2].id;
  ASSERT_TRUE(bob.store.load_pre_key(used_id)->has_value());
  auto got = bob.protocol->decrypt(alice.address, MessageType::kPreKey, first->ciphertext);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(core::to_string(got->plaintext), "hello bob");
  EXPECT_FALSE(got->identity_changed);
  // The one-time pre-key was consumed, the others remain.
  EXPECT_FALSE(bob.store.load_pre_key(used_id)->has_value());
  EXPECT_EQ(bob.store.pre_key_count(), 4u);
  // Bob stored Alice's raw 32-byte identity.
  auto alice_identity = bob.store.load_identity(alice.address);
  ASSERT_TRUE(alice_identity.ok() && alice_identity->has_value());
  EXPECT_EQ(**alice_identity, core::to_bytes(alice.identity.identity_key.public_view()));

  // Until Bob answers, Alice keeps sending pkmsg.
  auto second = alice.protocol->encrypt(bob.address, b("still there?"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->type, MessageType::kPreKey);
  auto got2 = bob.protocol->decrypt(alice.address, second->type, second->ciphertext);
  ASSERT_TRUE(got2.ok()) << got2.status().to_string();

  auto reply = bob.protocol->encrypt(alice.address, b("hi alice"));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->type, MessageType::kWhisper);
  auto got_reply = alice.protocol->decrypt(bob.address, reply->type, reply->ciphertext);
  ASSERT_TRUE(got_reply.ok()) << got_reply.status().to_string();
  EXPECT_EQ(core::to_string(got_reply->plaintext), "hi alice");

  auto third = alice.protocol->encrypt(bob.address, b("now msg"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->type, MessageType::kWhisper);
  ASSERT_TRUE(bob.protocol->decrypt(alice.address, third->type, third->ciphertext).ok());
}

TEST(SignalProtocolTest, SessionWithoutOneTimePreKey) {
  Party alice("alice", 3), bob("bob", 4, 7);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(false)).ok());
  exchange(alice, bob, "no one-time key");
  EXPECT_EQ(bob.store.pre_key_count(), 5u);
  exchange(bob, alice, "works anyway");
  exchange(alice, bob, "and again");
}

TEST(SignalProtocolTest, ManyMessagesBothWaysWithOutOfOrderDelivery) {
  Party alice("alice_1", 5), bob("bob_1", 6);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  exchange(alice, bob, "start");
  exchange(bob, alice, "ack");

  for (int round = 0; round < 5; ++round) {
    // Alice sends a burst; Bob receives it reversed.
    std::vector<EncryptedMessage> burst;
    for (int i = 0; i < 6; ++i) {
      auto enc = alice.protocol->encrypt(bob.address, b("a" + std::to_string(round * 10 + i)));
      ASSERT_TRUE(enc.ok());
      burst.push_back(*enc);
    }
    for (int i = 5; i >= 0; --i) {
      auto dec = bob.protocol->decrypt(alice.address, burst[i].type, burst[i].ciphertext);
      ASSERT_TRUE(dec.ok()) << dec.status().to_string();
      EXPECT_EQ(core::to_string(dec->plaintext), "a" + std::to_string(round * 10 + i));
    }
    // Bob sends two, Alice answers one in between, then gets the second late.
    auto b1 = bob.protocol->encrypt(alice.address, b("b1"));
    auto b2 = bob.protocol->encrypt(alice.address, b("b2"));
    ASSERT_TRUE(b1.ok() && b2.ok());
    ASSERT_TRUE(alice.protocol->decrypt(bob.address, b2->type, b2->ciphertext).ok());
    exchange(alice, bob, "interleaved");
    auto late = alice.protocol->decrypt(bob.address, b1->type, b1->ciphertext);
    ASSERT_TRUE(late.ok()) << late.status().to_string();
    EXPECT_EQ(core::to_string(late->plaintext), "b1");
  }
}

TEST(SignalProtocolTest, DuplicateIsReportedDistinctly) {
  Party alice("alice", 7), bob("bob", 8);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  auto pk = alice.protocol->encrypt(bob.address, b("once"));
  ASSERT_TRUE(pk.ok());
  ASSERT_TRUE(bob.protocol->decrypt(alice.address, pk->type, pk->ciphertext).ok());
  auto again = bob.protocol->decrypt(alice.address, pk->type, pk->ciphertext);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(is_duplicate(again.status())) << again.status().to_string();
  EXPECT_FALSE(needs_retry(again.status()));

  exchange(bob, alice, "reply");
  auto msg = alice.protocol->encrypt(bob.address, b("whisper"));
  ASSERT_TRUE(msg.ok());
  ASSERT_EQ(msg->type, MessageType::kWhisper);
  ASSERT_TRUE(bob.protocol->decrypt(alice.address, msg->type, msg->ciphertext).ok());
  auto dup = bob.protocol->decrypt(alice.address, msg->type, msg->ciphertext);
  EXPECT_TRUE(is_duplicate(dup.status())) << dup.status().to_string();
}

TEST(SignalProtocolTest, TamperedAndGarbageCiphertextsFailWithoutDamage) {
  Party alice("alice", 9), bob("bob", 10);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  exchange(alice, bob, "setup");
  exchange(bob, alice, "setup reply");

  auto msg = alice.protocol->encrypt(bob.address, b("secret"));
  ASSERT_TRUE(msg.ok());
  for (size_t pos : {size_t{5}, msg->ciphertext.size() / 2, msg->ciphertext.size() - 1}) {
    core::Bytes bad = msg->ciphertext;
    bad[pos] ^= 0x40;
    auto r = bob.protocol->decrypt(alice.address, msg->type, bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(needs_retry(r.status())) << r.status().to_string();
    EXPECT_FALSE(is_duplicate(r.status()));
  }
  // The genuine message still decrypts: failed attempts left no state behind.
  auto good = bob.protocol->decrypt(alice.address, msg->type, msg->ciphertext);
  ASSERT_TRUE(good.ok()) << good.status().to_string();

  for (const core::Bytes& garbage :
       {core::Bytes{}, core::Bytes{0x33}, core::Bytes{0x33, 0xFF, 0xFF, 0xFF},
        core::Bytes(200, 0x41), core::Bytes{0x13, 0x0a, 0x00}}) {
    for (MessageType type : {MessageType::kPreKey, MessageType::kWhisper}) {
      auto r = bob.protocol->decrypt(alice.address, type, garbage);
      ASSERT_FALSE(r.ok());
      EXPECT_TRUE(needs_retry(r.status())) << r.status().to_string();
    }
  }
  EXPECT_EQ(bob.protocol->decrypt(alice.address, MessageType::kSenderKey, msg->ciphertext)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(SignalProtocolTest, NoSessionErrors) {
  Party alice("alice", 11), bob("bob", 12);
  auto enc = alice.protocol->encrypt(bob.address, b("x"));
  EXPECT_EQ(enc.status().code(), StatusCode::kFailedPrecondition);

  // Bob gets a msg from a session he never had (e.g. after reinstalling).
  Party alice2("alice", 13);
  ASSERT_TRUE(alice2.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  exchange(alice2, bob, "hello");
  exchange(bob, alice2, "hi");
  auto msg = alice2.protocol->encrypt(bob.address, b("lost"));
  ASSERT_TRUE(msg.ok());
  Party carol("carol", 14);
  auto r = carol.protocol->decrypt(alice2.address, msg->type, msg->ciphertext);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().to_string();
  EXPECT_TRUE(needs_retry(r.status()));
}

TEST(SignalProtocolTest, MissingPreKeyIsInvalidKeyId) {
  Party alice("alice", 15), bob("bob", 16);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true, 1)).ok());
  auto pk = alice.protocol->encrypt(bob.address, b("x"));
  ASSERT_TRUE(pk.ok());
  ASSERT_TRUE(bob.store.remove_pre_key(bob.pre_keys[1].id).ok());
  auto r = bob.protocol->decrypt(alice.address, pk->type, pk->ciphertext);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().to_string();
  EXPECT_TRUE(needs_retry(r.status()));
}

TEST(SignalProtocolTest, OldSignedPreKeysStillWork) {
  Party alice("alice", 17), bob("bob", 18);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(false)).ok());
  auto pk = alice.protocol->encrypt(bob.address, b("built on spk 1"));
  ASSERT_TRUE(pk.ok());
  // Bob rotates to signed pre-key 2 but keeps 1.
  auto spk2 = generate_signed_pre_key(bob.identity.identity_key, 2, bob.random);
  ASSERT_TRUE(spk2.ok());
  ASSERT_TRUE(save_signed_pre_key(bob.store, *spk2, 2).ok());
  auto r = bob.protocol->decrypt(alice.address, pk->type, pk->ciphertext);
  ASSERT_TRUE(r.ok()) << r.status().to_string();

  // Once pruned, a pkmsg built on it cannot be decrypted.
  Party carol("carol", 19);
  ASSERT_TRUE(carol.protocol->process_bundle(bob.address, bob.bundle(false)).ok());
  auto pk2 = carol.protocol->encrypt(bob.address, b("late"));
  ASSERT_TRUE(pk2.ok());
  ASSERT_TRUE(bob.store.remove_signed_pre_key(1).ok());
  auto r2 = bob.protocol->decrypt(carol.address, pk2->type, pk2->ciphertext);
  EXPECT_EQ(r2.status().code(), StatusCode::kNotFound) << r2.status().to_string();
}

TEST(SignalProtocolTest, BadBundlesAreRejected) {
  Party alice("alice", 20), bob("bob", 21);
  PreKeyBundle bad_sig = bob.bundle(true);
  bad_sig.signed_pre_key.signature[3] ^= 1;
  auto r = alice.protocol->process_bundle(bob.address, bad_sig);
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().to_string();
  EXPECT_FALSE(*alice.protocol->has_session(bob.address));

  PreKeyBundle short_key = bob.bundle(true);
  short_key.identity_key.resize(31);
  EXPECT_EQ(alice.protocol->process_bundle(bob.address, short_key).status().code(),
            StatusCode::kInvalidArgument);
  PreKeyBundle short_sig = bob.bundle(false);
  short_sig.signed_pre_key.signature.resize(10);
  EXPECT_EQ(alice.protocol->process_bundle(bob.address, short_sig).status().code(),
            StatusCode::kInvalidArgument);

  // 33-byte 0x05-prefixed keys are accepted as well.
  PreKeyBundle prefixed = bob.bundle(true);
  prefixed.identity_key = *to_signal_public_key(prefixed.identity_key);
  prefixed.signed_pre_key.public_key = *to_signal_public_key(prefixed.signed_pre_key.public_key);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, prefixed).ok());
  exchange(alice, bob, "prefixed bundle");

  EXPECT_FALSE(alice.protocol->process_bundle(Address{"", 0}, bob.bundle(true)).ok());
}

TEST(SignalProtocolTest, DroppedTransactionAllowsDecryptingAgain) {
  Party alice("alice", 22), bob("bob", 23);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  auto pk = alice.protocol->encrypt(bob.address, b("crash-safe"));
  ASSERT_TRUE(pk.ok());

  {
    auto txn = bob.store.begin();
    auto r = bob.protocol->decrypt(*txn, alice.address, pk->type, pk->ciphertext);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(core::to_string(r->plaintext), "crash-safe");
    EXPECT_FALSE(txn->empty());
    // Inside the transaction the session exists, outside it does not.
    EXPECT_TRUE(*bob.protocol->has_session(*txn, alice.address));
    EXPECT_FALSE(*bob.protocol->has_session(alice.address));
    // dropped here: "crashed before the ack"
  }
  EXPECT_EQ(bob.store.session_count(), 0u);
  EXPECT_EQ(bob.store.pre_key_count(), 5u);
  EXPECT_FALSE(bob.store.load_identity(alice.address)->has_value());

  auto txn = bob.store.begin();
  auto r = bob.protocol->decrypt(*txn, alice.address, pk->type, pk->ciphertext);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  bool acked = false;
  txn->add_commit_hook([&] {
    acked = true;  // the caller's "message processed" row
    return core::Status();
  });
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_TRUE(acked);
  EXPECT_EQ(bob.store.pre_key_count(), 4u);

  auto dup = bob.protocol->decrypt(alice.address, pk->type, pk->ciphertext);
  EXPECT_TRUE(is_duplicate(dup.status())) << dup.status().to_string();

  // The same for a whisper message.
  exchange(bob, alice, "reply");
  auto msg = alice.protocol->encrypt(bob.address, b("w"));
  ASSERT_TRUE(msg.ok());
  {
    auto t = bob.store.begin();
    ASSERT_TRUE(bob.protocol->decrypt(*t, alice.address, msg->type, msg->ciphertext).ok());
  }
  auto t = bob.store.begin();
  ASSERT_TRUE(bob.protocol->decrypt(*t, alice.address, msg->type, msg->ciphertext).ok());
  ASSERT_TRUE(t->commit().ok());
  EXPECT_TRUE(
      is_duplicate(bob.protocol->decrypt(alice.address, msg->type, msg->ciphertext).status()));
}

TEST(SignalProtocolTest, SeveralOperationsInOneTransaction) {
  Party alice("alice", 24), bob("bob", 25);
  auto txn = alice.store.begin();
  ASSERT_TRUE(alice.protocol->process_bundle(*txn, bob.address, bob.bundle(true)).ok());
  auto m1 = alice.protocol->encrypt(*txn, bob.address, b("one"));
  auto m2 = alice.protocol->encrypt(*txn, bob.address, b("two"));
  ASSERT_TRUE(m1.ok() && m2.ok());
  EXPECT_EQ(alice.store.session_count(), 0u);
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_EQ(alice.store.session_count(), 1u);
  ASSERT_TRUE(bob.protocol->decrypt(alice.address, m2->type, m2->ciphertext).ok());
  ASSERT_TRUE(bob.protocol->decrypt(alice.address, m1->type, m1->ciphertext).ok());
}

TEST(SignalProtocolTest, IdentityChangeIsAcceptedAndReported) {
  Party alice("alice_1", 26), bob("bob_1", 27);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  exchange(alice, bob, "before");
  exchange(bob, alice, "before reply");

  // Bob re-registers: new identity, new keys, empty state, same address.
  Party bob2("bob_1", 28);
  ASSERT_NE(bob2.identity.identity_key.public_key, bob.identity.identity_key.public_key);
  auto processed = alice.protocol->process_bundle(bob2.address, bob2.bundle(true));
  ASSERT_TRUE(processed.ok()) << processed.status().to_string();
  EXPECT_TRUE(processed->identity_changed);
  EXPECT_EQ(**alice.store.load_identity(bob.address),
            core::to_bytes(bob2.identity.identity_key.public_view()));
  exchange(alice, bob2, "after");
  exchange(bob2, alice, "after reply");
  exchange(alice, bob2, "after again");

  // The other direction: a re-registered Alice writes first; Bob learns it from the pkmsg.
  Party alice2("alice_1", 29);
  ASSERT_TRUE(alice2.protocol->process_bundle(bob2.address, bob2.bundle(true, 3)).ok());
  auto pk = alice2.protocol->encrypt(bob2.address, b("new me"));
  ASSERT_TRUE(pk.ok());
  auto got = bob2.protocol->decrypt(alice2.address, pk->type, pk->ciphertext);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_TRUE(got->identity_changed);
  EXPECT_EQ(core::to_string(got->plaintext), "new me");
  exchange(bob2, alice2, "welcome back");
}

TEST(SignalProtocolTest, DeterministicWithProviderRandom) {
  // With a Random passed in, libsignal's own key generation is reproducible.
  auto run = [] {
    Party bob("bob", 30);
    core::FakeRandom alice_rng(31);
    store::InMemoryStore store;
    core::FakeRandom key_rng(32);
    LocalIdentity id{generate_identity_key_pair(key_rng), 77};
    auto alice = SignalProtocol::create(store, id, &alice_rng);
    EXPECT_TRUE(alice.ok());
    EXPECT_TRUE((*alice)->process_bundle(bob.address, bob.bundle(true)).ok());
    auto enc = (*alice)->encrypt(bob.address, b("same"));
    EXPECT_TRUE(enc.ok());
    auto dec = bob.protocol->decrypt(Address{"alice", 0}, enc->type, enc->ciphertext);
    EXPECT_TRUE(dec.ok());
    return enc->ciphertext;
  };
  EXPECT_EQ(run(), run());
}

TEST(SignalProtocolTest, PaddedMessagesRoundTrip) {
  Party alice("alice", 33), bob("bob", 34);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  core::FakeRandom pad_rng(1);
  const core::Bytes proto = b("\x0a\x05hello");
  auto enc = alice.protocol->encrypt(bob.address, pad(proto, pad_rng));
  ASSERT_TRUE(enc.ok());
  auto dec = bob.protocol->decrypt(alice.address, enc->type, enc->ciphertext);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*unpad(dec->plaintext), proto);
}

// ---- store failures ----------------------------------------------------------------------

// A SignalData whose session reads fail, to check the kUnavailable mapping.
class FailingData final : public store::SignalData {
 public:
  explicit FailingData(store::InMemoryStore& inner) : inner_(inner) {}
  core::Result<std::optional<core::Bytes>> load_identity(const store::SignalAddress& a) override {
    return inner_.load_identity(a);
  }
  core::Status save_identity(const store::SignalAddress& a, core::ByteView k) override {
    return inner_.save_identity(a, k);
  }
  core::Status delete_identity(const store::SignalAddress& a) override {
    return inner_.delete_identity(a);
  }
  core::Result<std::optional<core::Bytes>> load_session(const store::SignalAddress&) override {
    return core::Status::unavailable("database is locked");
  }
  core::Status store_session(const store::SignalAddress& a, core::ByteView r) override {
    return inner_.store_session(a, r);
  }
  core::Result<std::vector<uint32_t>> list_session_devices(const std::string& n) override {
    return inner_.list_session_devices(n);
  }
  core::Status delete_session(const store::SignalAddress& a) override {
    return inner_.delete_session(a);
  }
  core::Result<std::optional<core::Bytes>> load_pre_key(uint32_t id) override {
    return inner_.load_pre_key(id);
  }
  core::Status store_pre_key(uint32_t id, core::ByteView r) override {
    return inner_.store_pre_key(id, r);
  }
  core::Status remove_pre_key(uint32_t id) override { return inner_.remove_pre_key(id); }
  core::Result<std::optional<core::Bytes>> load_signed_pre_key(uint32_t id) override {
    return inner_.load_signed_pre_key(id);
  }
  core::Status store_signed_pre_key(uint32_t id, core::ByteView r) override {
    return inner_.store_signed_pre_key(id, r);
  }
  core::Status remove_signed_pre_key(uint32_t id) override {
    return inner_.remove_signed_pre_key(id);
  }
  core::Result<std::vector<uint32_t>> list_signed_pre_keys() override {
    return inner_.list_signed_pre_keys();
  }
  core::Result<std::optional<core::Bytes>> load_sender_key(const store::SenderKeyName& n) override {
    return inner_.load_sender_key(n);
  }
  core::Status store_sender_key(const store::SenderKeyName& n, core::ByteView r) override {
    return inner_.store_sender_key(n, r);
  }
  core::Status delete_sender_key(const store::SenderKeyName& n) override {
    return inner_.delete_sender_key(n);
  }

 private:
  store::InMemoryStore& inner_;
};

class NeverCommits final : public store::OverlayTransaction {
 public:
  using OverlayTransaction::OverlayTransaction;

 protected:
  core::Status apply(const store::SignalWriteSet&, std::vector<CommitHook>&) override {
    return core::Status::unavailable("read-only");
  }
};

TEST(SignalProtocolTest, StoreFailuresMapToUnavailable) {
  Party alice("alice", 35), bob("bob", 36);
  ASSERT_TRUE(alice.protocol->process_bundle(bob.address, bob.bundle(true)).ok());
  auto pk = alice.protocol->encrypt(bob.address, b("x"));
  ASSERT_TRUE(pk.ok());
  FailingData failing(bob.store);
  NeverCommits txn(failing);
  auto r = bob.protocol->decrypt(txn, alice.address, pk->type, pk->ciphertext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().to_string();
  EXPECT_FALSE(needs_retry(r.status()));
  EXPECT_FALSE(is_duplicate(r.status()));
  EXPECT_NE(r.status().message().find("database is locked"), std::string::npos);

  // A decrypt that succeeds but cannot commit is not applied (and reports the failure).
  NeverCommits txn2(bob.store);
  ASSERT_TRUE(bob.protocol->decrypt(txn2, alice.address, pk->type, pk->ciphertext).ok());
  EXPECT_EQ(txn2.commit().code(), StatusCode::kUnavailable);
  EXPECT_EQ(bob.store.session_count(), 0u);
  ASSERT_TRUE(bob.protocol->decrypt(alice.address, pk->type, pk->ciphertext).ok());
}

// ---- groups ------------------------------------------------------------------------------

constexpr std::string_view kGroup = "120363000000000001@g.us";

TEST(GroupTest, DistributeEncryptDecrypt) {
  Party alice("alice_1", 40), bob("bob_1", 41), carol("carol_1", 42);
  EXPECT_FALSE(*alice.protocol->has_sender_key(alice.store, kGroup, alice.address));
  auto skdm = alice.protocol->create_sender_key_distribution(kGroup, alice.address);
  ASSERT_TRUE(skdm.ok()) << skdm.status().to_string();
  EXPECT_TRUE(*alice.protocol->has_sender_key(alice.store, kGroup, alice.address));
  // Idempotent: the same key is distributed again.
  auto skdm_again = alice.protocol->create_sender_key_distribution(kGroup, alice.address);
  ASSERT_TRUE(skdm_again.ok());
  EXPECT_EQ(*skdm, *skdm_again);

  ASSERT_TRUE(bob.protocol->process_sender_key_distribution(kGroup, alice.address, *skdm).ok());
  ASSERT_TRUE(carol.protocol->process_sender_key_distribution(kGroup, alice.address, *skdm).ok());
  EXPECT_TRUE(*bob.protocol->has_sender_key(bob.store, kGroup, alice.address));

  for (int i = 0; i < 5; ++i) {
    const std::string text = "group message " + std::to_string(i);
    auto sk = alice.protocol->group_encrypt(kGroup, alice.address, b(text));
    ASSERT_TRUE(sk.ok()) << sk.status().to_string();
    auto at_bob = bob.protocol->group_decrypt(kGroup, alice.address, *sk);
    ASSERT_TRUE(at_bob.ok()) << at_bob.status().to_string();
    EXPECT_EQ(core::to_string(*at_bob), text);
    auto at_carol = carol.protocol->group_decrypt(kGroup, alice.address, *sk);
    ASSERT_TRUE(at_carol.ok());
    EXPECT_EQ(core::to_string(*at_carol), text);
    // Duplicate delivery.
    EXPECT_TRUE(is_duplicate(bob.protocol->group_decrypt(kGroup, alice.address, *sk).status()));
  }

  // Keyed by (group, sender): another group or sender has no key.
  auto sk = alice.protocol->group_encrypt(kGroup, alice.address, b("x"));
  ASSERT_TRUE(sk.ok());
  auto other_group = bob.protocol->group_decrypt("999@g.us", alice.address, *sk);
  EXPECT_EQ(other_group.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(needs_retry(other_group.status()));
  auto other_sender = bob.protocol->group_decrypt(kGroup, carol.address, *sk);
  EXPECT_EQ(other_sender.status().code(), StatusCode::kFailedPrecondition);
}

TEST(GroupTest, GapsInIterationsAreSkipped) {
  Party alice("alice_1", 43), bob("bob_1", 44);
  auto skdm = alice.protocol->create_sender_key_distribution(kGroup, alice.address);
  ASSERT_TRUE(skdm.ok());
  ASSERT_TRUE(bob.protocol->process_sender_key_distribution(kGroup, alice.address, *skdm).ok());
  std::vector<core::Bytes> sent;
  for (int i = 0; i < 3; ++i) {
    auto sk = alice.protocol->group_encrypt(kGroup, alice.address, b("m" + std::to_string(i)));
    ASSERT_TRUE(sk.ok());
    sent.push_back(*sk);
  }
  // Only the third arrives first; the earlier ones come late and still decrypt.
  auto third = bob.protocol->group_decrypt(kGroup, alice.address, sent[2]);
  ASSERT_TRUE(third.ok()) << third.status().to_string();
  EXPECT_EQ(core::to_string(*third), "m2");
  auto first = bob.protocol->group_decrypt(kGroup, alice.address, sent[0]);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(core::to_string(*first), "m0");
  EXPECT_TRUE(is_duplicate(bob.protocol->group_decrypt(kGroup, alice.address, sent[0]).status()));
  EXPECT_EQ(core::to_string(*bob.protocol->group_decrypt(kGroup, alice.address, sent[1])), "m1");
}

TEST(GroupTest, FutureMessageLimit) {
  // libsignal refuses to skip more than 2000 iterations (protocol §15 gotcha 11).
  Party alice("alice_1", 49), bob("bob_1", 50);
  auto skdm = alice.protocol->create_sender_key_distribution(kGroup, alice.address);
  ASSERT_TRUE(skdm.ok());
  ASSERT_TRUE(bob.protocol->process_sender_key_distribution(kGroup, alice.address, *skdm).ok());
  auto txn = alice.store.begin();  // one transaction: no record round trips to the store
  core::Bytes near, far;
  for (int i = 0; i <= 2001; ++i) {
    auto sk = alice.protocol->group_encrypt(*txn, kGroup, alice.address, b("x"));
    ASSERT_TRUE(sk.ok());
    if (i == 1999) near = *sk;
    if (i == 2001) far = *sk;
  }
  auto r = bob.protocol->group_decrypt(kGroup, alice.address, far);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(needs_retry(r.status())) << r.status().to_string();
  EXPECT_TRUE(bob.protocol->group_decrypt(kGroup, alice.address, near).ok());
}

TEST(GroupTest, LateJoinerStartsAtCurrentIteration) {
  Party alice("alice_1", 45), bob("bob_1", 46);
  ASSERT_TRUE(alice.protocol->create_sender_key_distribution(kGroup, alice.address).ok());
  auto early = alice.protocol->group_encrypt(kGroup, alice.address, b("before bob"));
  ASSERT_TRUE(early.ok());
  auto skdm = alice.protocol->create_sender_key_distribution(kGroup, alice.address);
  ASSERT_TRUE(skdm.ok());
  ASSERT_TRUE(bob.protocol->process_sender_key_distribution(kGroup, alice.address, *skdm).ok());
  auto later = alice.protocol->group_encrypt(kGroup, alice.address, b("after bob"));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(core::to_string(*bob.protocol->group_decrypt(kGroup, alice.address, *later)),
            "after bob");
  // Messages from before the distribution cannot be read (treated like a duplicate/old message).
  EXPECT_FALSE(bob.protocol->group_decrypt(kGroup, alice.address, *early).ok());
}

TEST(GroupTest, ErrorsAndTransactions) {
  Party alice("alice_1", 47), bob("bob_1", 48);
  auto no_key = alice.protocol->group_encrypt(kGroup, alice.address, b("x"));
  EXPECT_EQ(no_key.status().code(), StatusCode::kFailedPrecondition);

  auto skdm = alice.protocol->create_sender_key_distribution(kGroup, alice.address);
  ASSERT_TRUE(skdm.ok());
  EXPECT_FALSE(bob.protocol->process_sender_key_distribution(kGroup, alice.address, {}).ok());
  EXPECT_FALSE(
      bob.protocol->process_sender_key_distribution(kGroup, alice.address, b("garbage")).ok());
  EXPECT_FALSE(bob.protocol->process_sender_key_distribution("", alice.address, *skdm).ok());

  // Processing the SKDM in a dropped transaction leaves no key behind.
  {
    auto txn = bob.store.begin();
    ASSERT_TRUE(
        bob.protocol->process_sender_key_distribution(*txn, kGroup, alice.address, *skdm).ok());
    EXPECT_TRUE(*bob.protocol->has_sender_key(*txn, kGroup, alice.address));
  }
  EXPECT_FALSE(*bob.protocol->has_sender_key(bob.store, kGroup, alice.address));
  ASSERT_TRUE(bob.protocol->process_sender_key_distribution(kGroup, alice.address, *skdm).ok());

  auto sk = alice.protocol->group_encrypt(kGroup, alice.address, b("signed"));
  ASSERT_TRUE(sk.ok());
  core::Bytes tampered = *sk;
  tampered[tampered.size() - 70] ^= 1;  // inside the body, covered by the signature
  auto r = bob.protocol->group_decrypt(kGroup, alice.address, tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(needs_retry(r.status())) << r.status().to_string();
  core::Bytes bad_sig = *sk;
  bad_sig.back() ^= 1;
  EXPECT_FALSE(bob.protocol->group_decrypt(kGroup, alice.address, bad_sig).ok());
  EXPECT_FALSE(bob.protocol->group_decrypt(kGroup, alice.address, b("\x33junk")).ok());
  EXPECT_FALSE(bob.protocol->group_decrypt(kGroup, alice.address, {}).ok());

  // Decrypt in a dropped transaction, then again for real.
  {
    auto txn = bob.store.begin();
    ASSERT_TRUE(bob.protocol->group_decrypt(*txn, kGroup, alice.address, *sk).ok());
  }
  auto real = bob.protocol->group_decrypt(kGroup, alice.address, *sk);
  ASSERT_TRUE(real.ok()) << real.status().to_string();
  EXPECT_EQ(core::to_string(*real), "signed");
}

}  // namespace
}  // namespace wa::signal
