#include "wa/store/in_memory_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace wa::store {
namespace {

core::Bytes b(std::string_view s) { return core::to_bytes(s); }

TEST(SignalAddressTest, StringForms) {
  SignalAddress a{"123_1", 7};
  EXPECT_EQ(a.to_string(), "123_1.7");
  SenderKeyName n{"999@g.us", a};
  EXPECT_EQ(n.to_string(), "999@g.us::123_1.7");
  EXPECT_LT((SignalAddress{"a", 9}), (SignalAddress{"b", 0}));
  EXPECT_LT((SignalAddress{"a", 1}), (SignalAddress{"a", 2}));
}

TEST(InMemoryStoreTest, SessionsByAddressAndDeviceListing) {
  InMemoryStore store;
  ASSERT_TRUE(store.store_session({"alice", 0}, b("s0")).ok());
  ASSERT_TRUE(store.store_session({"alice", 3}, b("s3")).ok());
  ASSERT_TRUE(store.store_session({"alice_1", 2}, b("lid")).ok());
  ASSERT_TRUE(store.store_session({"alicex", 1}, b("other")).ok());

  auto loaded = store.load_session({"alice", 3});
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, b("s3"));
  EXPECT_FALSE(store.load_session({"alice", 1})->has_value());

  auto devices = store.list_session_devices("alice");
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(*devices, (std::vector<uint32_t>{0, 3}));

  ASSERT_TRUE(store.delete_session({"alice", 0}).ok());
  EXPECT_EQ(*store.list_session_devices("alice"), (std::vector<uint32_t>{3}));
  ASSERT_TRUE(store.delete_all_sessions("alice").ok());
  EXPECT_TRUE(store.list_session_devices("alice")->empty());
  // Other names with the same prefix are untouched.
  EXPECT_TRUE(store.load_session({"alicex", 1})->has_value());
  EXPECT_TRUE(store.load_session({"alice_1", 2})->has_value());
}

TEST(InMemoryStoreTest, PreKeysSignedPreKeysIdentitiesSenderKeys) {
  InMemoryStore store;
  std::vector<std::pair<uint32_t, core::Bytes>> batch = {{1, b("k1")}, {2, b("k2")}};
  ASSERT_TRUE(store.store_pre_keys(batch).ok());
  EXPECT_EQ(store.pre_key_count(), 2u);
  EXPECT_EQ(**store.load_pre_key(2), b("k2"));
  ASSERT_TRUE(store.remove_pre_key(2).ok());
  EXPECT_FALSE(store.load_pre_key(2)->has_value());

  ASSERT_TRUE(store.store_signed_pre_key(5, b("spk5")).ok());
  ASSERT_TRUE(store.store_signed_pre_key(4, b("spk4")).ok());
  EXPECT_EQ(*store.list_signed_pre_keys(), (std::vector<uint32_t>{4, 5}));
  ASSERT_TRUE(store.remove_signed_pre_key(4).ok());
  EXPECT_EQ(*store.list_signed_pre_keys(), (std::vector<uint32_t>{5}));

  ASSERT_TRUE(store.save_identity({"bob", 0}, b("id1")).ok());
  ASSERT_TRUE(store.save_identity({"bob", 0}, b("id2")).ok());
  EXPECT_EQ(**store.load_identity({"bob", 0}), b("id2"));
  ASSERT_TRUE(store.delete_identity({"bob", 0}).ok());
  EXPECT_FALSE(store.load_identity({"bob", 0})->has_value());

  SenderKeyName name{"1@g.us", {"bob_1", 2}};
  ASSERT_TRUE(store.store_sender_key(name, b("sk")).ok());
  EXPECT_EQ(**store.load_sender_key(name), b("sk"));
  EXPECT_FALSE(store.load_sender_key({"2@g.us", {"bob_1", 2}})->has_value());
  ASSERT_TRUE(store.delete_sender_key(name).ok());
  EXPECT_FALSE(store.load_sender_key(name)->has_value());
}

TEST(InMemoryStoreTest, CredentialsRoundTrip) {
  InMemoryStore store;
  auto none = store.load_credentials();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  DeviceCredentials creds;
  creds.registration_id = 1234;
  creds.identity_key.public_key[0] = 9;
  creds.signed_pre_key.id = 1;
  creds.signed_pre_key.signature = core::Bytes(64, 7);
  creds.me_pn_jid = "15551234567:3@s.whatsapp.net";
  creds.me_lid_jid = "111:3@lid";
  creds.next_pre_key_id = 813;
  creds.first_unuploaded_pre_key_id = 813;
  creds.registered = true;
  ASSERT_TRUE(store.save_credentials(creds).ok());
  auto loaded = store.load_credentials();
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, creds);
}

TEST(InMemoryStoreTest, LidMappingIsABijection) {
  InMemoryStore store;
  EXPECT_FALSE(store.store_lid_mapping("", "1").ok());
  ASSERT_TRUE(store.store_lid_mapping("155", "900").ok());
  EXPECT_EQ(**store.lid_for_pn("155"), "900");
  EXPECT_EQ(**store.pn_for_lid("900"), "155");
  // The PN gets a new LID: the old LID no longer maps back.
  ASSERT_TRUE(store.store_lid_mapping("155", "901").ok());
  EXPECT_EQ(**store.lid_for_pn("155"), "901");
  EXPECT_FALSE(store.pn_for_lid("900")->has_value());
  EXPECT_FALSE(store.lid_for_pn("156")->has_value());
}

TEST(InMemoryStoreTest, ContactsAndMessageSecrets) {
  InMemoryStore store;
  EXPECT_FALSE(store.upsert_contact(Contact{}).ok());
  ASSERT_TRUE(store.upsert_contact({"1@s.whatsapp.net", "One", ""}).ok());
  ASSERT_TRUE(store.upsert_contact({"1@s.whatsapp.net", "Uno", "Mr One"}).ok());
  ASSERT_TRUE(store.upsert_contact({"2@lid", "Two", ""}).ok());
  auto one = store.load_contact("1@s.whatsapp.net");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->push_name, "Uno");
  EXPECT_EQ((*one)->full_name, "Mr One");
  EXPECT_EQ(store.list_contacts()->size(), 2u);
  EXPECT_FALSE(store.load_contact("3@lid")->has_value());

  EXPECT_FALSE(store.store_message_secret("", b("x")).ok());
  ASSERT_TRUE(store.store_message_secret("3EB0AA", core::Bytes(32, 1)).ok());
  EXPECT_EQ(**store.load_message_secret("3EB0AA"), core::Bytes(32, 1));
  EXPECT_FALSE(store.load_message_secret("3EB0AB")->has_value());
}

TEST(TransactionTest, ReadsSeeOwnWritesAndBackingStoreStaysUnchanged) {
  InMemoryStore store;
  ASSERT_TRUE(store.store_session({"bob", 0}, b("old")).ok());
  ASSERT_TRUE(store.store_pre_key(7, b("pk7")).ok());
  ASSERT_TRUE(store.save_identity({"bob", 0}, b("idA")).ok());

  auto txn = store.begin();
  EXPECT_TRUE(txn->empty());
  EXPECT_EQ(**txn->load_session({"bob", 0}), b("old"));  // read-through
  ASSERT_TRUE(txn->store_session({"bob", 0}, b("new")).ok());
  ASSERT_TRUE(txn->store_session({"bob", 4}, b("dev4")).ok());
  ASSERT_TRUE(txn->remove_pre_key(7).ok());
  ASSERT_TRUE(txn->save_identity({"bob", 0}, b("idB")).ok());
  ASSERT_TRUE(txn->store_signed_pre_key(2, b("spk2")).ok());
  ASSERT_TRUE(txn->store_sender_key({"g@g.us", {"bob", 0}}, b("sk")).ok());
  EXPECT_FALSE(txn->empty());

  EXPECT_EQ(**txn->load_session({"bob", 0}), b("new"));
  EXPECT_FALSE(txn->load_pre_key(7)->has_value());
  EXPECT_EQ(**txn->load_identity({"bob", 0}), b("idB"));
  EXPECT_EQ(*txn->list_session_devices("bob"), (std::vector<uint32_t>{0, 4}));
  EXPECT_EQ(*txn->list_signed_pre_keys(), (std::vector<uint32_t>{2}));
  EXPECT_EQ(**txn->load_sender_key({"g@g.us", {"bob", 0}}), b("sk"));

  // Nothing reached the store yet.
  EXPECT_EQ(**store.load_session({"bob", 0}), b("old"));
  EXPECT_TRUE(store.load_pre_key(7)->has_value());
  EXPECT_EQ(**store.load_identity({"bob", 0}), b("idA"));
  EXPECT_EQ(store.session_count(), 1u);
}

TEST(TransactionTest, DroppingChangesNothing) {
  InMemoryStore store;
  ASSERT_TRUE(store.store_pre_key(1, b("pk")).ok());
  {
    auto txn = store.begin();
    ASSERT_TRUE(txn->remove_pre_key(1).ok());
    ASSERT_TRUE(txn->store_session({"x", 1}, b("s")).ok());
  }
  EXPECT_TRUE(store.load_pre_key(1)->has_value());
  EXPECT_EQ(store.session_count(), 0u);
}

TEST(TransactionTest, CommitAppliesEverythingOnce) {
  InMemoryStore store;
  ASSERT_TRUE(store.store_pre_key(1, b("pk")).ok());
  ASSERT_TRUE(store.store_session({"x", 1}, b("gone")).ok());
  auto txn = store.begin();
  ASSERT_TRUE(txn->remove_pre_key(1).ok());
  ASSERT_TRUE(txn->delete_session({"x", 1}).ok());
  ASSERT_TRUE(txn->store_session({"x", 2}, b("s2")).ok());
  EXPECT_EQ(*txn->list_session_devices("x"), (std::vector<uint32_t>{2}));
  int hook_runs = 0;
  txn->add_commit_hook([&] {
    ++hook_runs;
    return core::Status();
  });
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_EQ(hook_runs, 1);
  EXPECT_FALSE(store.load_pre_key(1)->has_value());
  EXPECT_FALSE(store.load_session({"x", 1})->has_value());
  EXPECT_EQ(**store.load_session({"x", 2}), b("s2"));

  // A spent transaction refuses further use.
  auto again = txn->commit();
  EXPECT_EQ(again.code(), core::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(txn->store_session({"x", 3}, b("late")).ok());
  EXPECT_FALSE(txn->load_session({"x", 2}).ok());
}

TEST(TransactionTest, FailingHookAbortsTheWholeCommit) {
  InMemoryStore store;
  auto txn = store.begin();
  ASSERT_TRUE(txn->store_session({"x", 1}, b("s")).ok());
  txn->add_commit_hook([] { return core::Status(); });
  txn->add_commit_hook([] { return core::Status::unavailable("disk full"); });
  core::Status s = txn->commit();
  EXPECT_EQ(s.code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(store.session_count(), 0u);
}

TEST(TransactionTest, DeleteAllSessionsInsideTransaction) {
  InMemoryStore store;
  ASSERT_TRUE(store.store_session({"x", 0}, b("a")).ok());
  ASSERT_TRUE(store.store_session({"x", 5}, b("b")).ok());
  auto txn = store.begin();
  ASSERT_TRUE(txn->store_session({"x", 6}, b("c")).ok());
  ASSERT_TRUE(txn->delete_all_sessions("x").ok());
  EXPECT_TRUE(txn->list_session_devices("x")->empty());
  EXPECT_EQ(store.session_count(), 2u);
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_EQ(store.session_count(), 0u);
}

TEST(InMemoryStoreTest, ConcurrentWritersAndTransactions) {
  InMemoryStore store;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (uint32_t i = 0; i < 200; ++i) {
        auto txn = store.begin();
        ASSERT_TRUE(txn->store_session({"t" + std::to_string(t), i}, core::Bytes{1}).ok());
        ASSERT_TRUE(txn->commit().ok());
        ASSERT_TRUE(store.store_pre_key(t * 1000 + i, core::Bytes{2}).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.session_count(), 800u);
  EXPECT_EQ(store.pre_key_count(), 800u);
}

}  // namespace
}  // namespace wa::store
