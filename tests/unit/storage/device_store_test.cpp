#include <gtest/gtest.h>

#include "tests/unit/storage/test_db.h"

namespace storage {
namespace {

using wa::store::SenderKeyName;
using wa::store::SignalAddress;

class DeviceStoreTest : public testing::StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    ASSERT_TRUE(storage_->wa_sessions().create({.id = "dev"}).ok());
    store_ = storage_->device_store("dev");
  }
  std::unique_ptr<SqlDeviceStore> store_;
};

TEST_F(DeviceStoreTest, SignalRecordsRoundTripIncludingBinaryWithNuls) {
  core::Bytes rec = {0x00, 0x01, 0xff, 0x00, 0x7f, 0x80, 0x00};
  SignalAddress a{"15551234567", 0}, b{"15551234567", 3}, c{"123456789_1", 2};
  ASSERT_TRUE(store_->store_session(a, rec).ok());
  ASSERT_TRUE(store_->store_session(b, core::to_bytes("b")).ok());
  ASSERT_TRUE(store_->store_session(c, core::to_bytes("c")).ok());
  EXPECT_EQ(**store_->load_session(a), rec);
  EXPECT_EQ(*store_->list_session_devices("15551234567"), (std::vector<uint32_t>{0, 3}));
  ASSERT_TRUE(store_->delete_all_sessions("15551234567").ok());
  EXPECT_FALSE(*store_->load_session(a));
  EXPECT_TRUE(*store_->load_session(c));

  ASSERT_TRUE(store_->save_identity(a, core::Bytes(32, 0x05)).ok());
  EXPECT_EQ(**store_->load_identity(a), core::Bytes(32, 0x05));
  ASSERT_TRUE(store_->delete_identity(a).ok());
  EXPECT_FALSE(*store_->load_identity(a));

  std::vector<std::pair<uint32_t, core::Bytes>> batch;
  for (uint32_t i = 1; i <= 50; ++i) batch.push_back({i, core::Bytes(33, static_cast<uint8_t>(i))});
  ASSERT_TRUE(store_->store_pre_keys(batch).ok());
  EXPECT_EQ(**store_->load_pre_key(50), core::Bytes(33, 50));
  ASSERT_TRUE(store_->remove_pre_key(50).ok());
  EXPECT_FALSE(*store_->load_pre_key(50));

  ASSERT_TRUE(store_->store_signed_pre_key(7, rec).ok());
  ASSERT_TRUE(store_->store_signed_pre_key(3, rec).ok());
  EXPECT_EQ(*store_->list_signed_pre_keys(), (std::vector<uint32_t>{3, 7}));
  ASSERT_TRUE(store_->remove_signed_pre_key(3).ok());
  EXPECT_EQ(*store_->list_signed_pre_keys(), (std::vector<uint32_t>{7}));

  SenderKeyName g{"120363@g.us", a};
  ASSERT_TRUE(store_->store_sender_key(g, rec).ok());
  EXPECT_EQ(**store_->load_sender_key(g), rec);
  ASSERT_TRUE(store_->delete_sender_key(g).ok());
  EXPECT_FALSE(*store_->load_sender_key(g));
}

TEST_F(DeviceStoreTest, CredentialsLidContactsAndSecrets) {
  EXPECT_FALSE(*store_->load_credentials());
  wa::store::DeviceCredentials c;
  c.noise_key.private_key.fill(1);
  c.noise_key.public_key.fill(2);
  c.identity_key.private_key.fill(3);
  c.registration_id = 1234;
  c.signed_pre_key.id = 9;
  c.signed_pre_key.signature = core::Bytes(64, 9);
  c.adv_secret_key = core::Bytes(32, 4);
  c.me_pn_jid = "15551234567:5@s.whatsapp.net";
  c.account = {0, 1, 2};
  c.push_name = "Zoë 👋";
  c.next_pre_key_id = 801;
  c.registered = true;
  ASSERT_TRUE(store_->save_credentials(c).ok());
  EXPECT_EQ(**store_->load_credentials(), c);
  c.push_name = "changed";
  ASSERT_TRUE(store_->save_credentials(c).ok());
  EXPECT_EQ((*store_->load_credentials())->push_name, "changed");

  ASSERT_TRUE(store_->store_lid_mapping("15551234567", "99887766").ok());
  EXPECT_EQ(**store_->lid_for_pn("15551234567"), "99887766");
  EXPECT_EQ(**store_->pn_for_lid("99887766"), "15551234567");
  ASSERT_TRUE(store_->store_lid_mapping("15551234567", "11223344").ok());  // replaces both sides
  EXPECT_FALSE(*store_->pn_for_lid("99887766"));
  EXPECT_EQ(**store_->lid_for_pn("15551234567"), "11223344");

  ASSERT_TRUE(store_->upsert_contact({"1@s.whatsapp.net", "One", ""}).ok());
  ASSERT_TRUE(store_->upsert_contact({"1@s.whatsapp.net", "Uno", "Mr One"}).ok());
  EXPECT_EQ((*store_->load_contact("1@s.whatsapp.net"))->full_name, "Mr One");
  EXPECT_EQ(store_->list_contacts()->size(), 1u);

  ASSERT_TRUE(store_->store_message_secret("MSGID", core::Bytes(32, 8)).ok());
  EXPECT_EQ(**store_->load_message_secret("MSGID"), core::Bytes(32, 8));
  // Another device's rows are invisible.
  ASSERT_TRUE(storage_->wa_sessions().create({.id = "other"}).ok());
  EXPECT_FALSE(*storage_->device_store("other")->load_message_secret("MSGID"));
}

TEST_F(DeviceStoreTest, TransactionIsAnOverlayAndCommitsWithTheCallersRows) {
  SignalAddress a{"15550001111", 0};
  ASSERT_TRUE(store_->store_session(a, core::to_bytes("v1")).ok());
  auto txn = store_->begin();
  ASSERT_TRUE(txn->store_session(a, core::to_bytes("v2")).ok());
  ASSERT_TRUE(txn->remove_pre_key(1).ok());
  EXPECT_EQ(**txn->load_session(a), core::to_bytes("v2"));     // reads its own writes
  EXPECT_EQ(**store_->load_session(a), core::to_bytes("v1"));  // backing store unchanged
  txn->add_commit_hook([&]() -> core::Status {
    MessageRecord m{
        .session_id = "dev", .chat_jid = "15550001111@s.whatsapp.net", .message_id = "IN1"};
    CORE_ASSIGN_OR_RETURN(bool inserted, storage_->messages().record_inbound(m));
    EXPECT_TRUE(inserted);
    return core::Status();
  });
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_EQ(**store_->load_session(a), core::to_bytes("v2"));
  EXPECT_TRUE(*storage_->messages().find("dev", "15550001111@s.whatsapp.net", "in", "IN1"));
  EXPECT_EQ(txn->commit().code(), core::StatusCode::kFailedPrecondition);
}

TEST_F(DeviceStoreTest, FailingHookRollsBackRatchetAndRowsTogether) {
  SignalAddress a{"15550002222", 0};
  ASSERT_TRUE(store_->store_session(a, core::to_bytes("v1")).ok());
  auto txn = store_->begin();
  ASSERT_TRUE(txn->store_session(a, core::to_bytes("v2")).ok());
  txn->add_commit_hook([&]() -> core::Status {
    MessageRecord m{.session_id = "dev", .chat_jid = "x@s.whatsapp.net", .message_id = "IN2"};
    CORE_RETURN_IF_ERROR(storage_->messages().record_inbound(m).status());
    return core::Status::unavailable("ack failed");
  });
  EXPECT_EQ(txn->commit().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(**store_->load_session(a), core::to_bytes("v1"));
  EXPECT_FALSE(*storage_->messages().find("dev", "x@s.whatsapp.net", "in", "IN2"));
  // Dropping an uncommitted transaction changes nothing either.
  {
    auto t2 = store_->begin();
    ASSERT_TRUE(t2->store_session(a, core::to_bytes("v3")).ok());
  }
  EXPECT_EQ(**store_->load_session(a), core::to_bytes("v1"));
}

// Re-linking a logged-out session forgets the old device; another session's state and the
// session's messages stay.
TEST_F(DeviceStoreTest, WipeForgetsOnlyThisDevice) {
  ASSERT_TRUE(storage_->wa_sessions().create({.id = "other"}).ok());
  auto other = storage_->device_store("other");
  SignalAddress a{"15551234567", 0};
  for (auto* s : {store_.get(), other.get()}) {
    ASSERT_TRUE(s->store_session(a, core::to_bytes("rec")).ok());
    ASSERT_TRUE(s->save_identity(a, core::Bytes(32, 0x05)).ok());
    ASSERT_TRUE(s->store_lid_mapping("15551234567", "99887766").ok());
    ASSERT_TRUE(s->upsert_contact({"1@s.whatsapp.net", "One", ""}).ok());
  }
  wa::store::DeviceCredentials c;
  c.registration_id = 77;
  c.me_pn_jid = "15551234567:5@s.whatsapp.net";
  ASSERT_TRUE(store_->save_credentials(c).ok());
  MessageRecord m{.session_id = "dev", .chat_jid = "2@s.whatsapp.net", .message_id = "K1"};
  ASSERT_TRUE(storage_->messages().enqueue_outbound(m).ok());

  ASSERT_TRUE(store_->wipe().ok());
  EXPECT_FALSE(*store_->load_credentials());
  EXPECT_FALSE(*store_->load_session(a));
  EXPECT_FALSE(*store_->load_identity(a));
  EXPECT_FALSE(*store_->lid_for_pn("15551234567"));
  EXPECT_TRUE(store_->list_contacts()->empty());
  EXPECT_TRUE(*other->load_session(a));
  EXPECT_TRUE(*other->lid_for_pn("15551234567"));
  EXPECT_EQ(other->list_contacts()->size(), 1u);
  EXPECT_TRUE(*storage_->messages().find_outbound("dev", "K1"));
}

}  // namespace
}  // namespace storage
