#include <gtest/gtest.h>

#include "storage/password.h"
#include "tests/unit/storage/test_db.h"

namespace storage {
namespace {

class RepositoriesTest : public testing::StorageTest {
 protected:
  User make_user(const std::string& email, const std::string& role = "user") {
    User u;
    u.email = email;
    u.role = role;
    u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
    auto r = storage_->users().create(u);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : u;
  }
};

TEST_F(RepositoriesTest, UsersCrudUniqueEmailAndRoles) {
  User a = make_user("Alice@Example.com", "admin");
  EXPECT_EQ(a.email, "alice@example.com");
  EXPECT_EQ(a.id.size(), 36u);
  User dup;
  dup.email = "ALICE@example.com";
  dup.password_hash = "x";
  EXPECT_EQ(storage_->users().create(dup).status().code(), core::StatusCode::kAlreadyExists);
  User bad = dup;
  bad.email = "b@example.com";
  bad.role = "root";
  EXPECT_EQ(storage_->users().create(bad).status().code(), core::StatusCode::kInvalidArgument);

  auto found = storage_->users().find_by_email("alice@EXAMPLE.com");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->role, "admin");
  EXPECT_TRUE((*found)->active);
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(storage_->users().record_login(a.id).ok());
  auto again = storage_->users().find_by_id(a.id);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ((*again)->last_login_at, clock_.unix_millis());
  User upd = **again;
  upd.active = false;
  upd.role = "user";
  ASSERT_TRUE(storage_->users().update(upd).ok());
  EXPECT_FALSE((*storage_->users().find_by_id(a.id))->active);
  make_user("bob@example.com");
  EXPECT_EQ(*storage_->users().count(), 2);
  EXPECT_EQ(storage_->users().list()->size(), 2u);
  ASSERT_TRUE(storage_->users().remove(a.id).ok());
  EXPECT_EQ(storage_->users().remove(a.id).code(), core::StatusCode::kNotFound);
  EXPECT_FALSE(*storage_->users().find_by_id(a.id));
}

TEST_F(RepositoriesTest, AuthSessionsExpireAndEndWithTheUser) {
  User u = make_user("carol@example.com");
  auto cookie = storage_->auth_sessions().create(u.id, 60'000, "10.0.0.1", "test-agent");
  ASSERT_TRUE(cookie.ok());
  auto s = storage_->auth_sessions().find_valid(*cookie);
  ASSERT_TRUE(s.ok() && *s);
  EXPECT_EQ((*s)->user_id, u.id);
  EXPECT_EQ((*s)->id_hash.size(), 64u);
  EXPECT_FALSE(*storage_->auth_sessions().find_valid("not-a-cookie"));
  clock_.advance(std::chrono::seconds(61));
  EXPECT_FALSE(*storage_->auth_sessions().find_valid(*cookie));
  EXPECT_EQ(*storage_->auth_sessions().purge_expired(), 1);
  auto c2 = storage_->auth_sessions().create(u.id, 60'000, std::nullopt, std::nullopt);
  ASSERT_TRUE(c2.ok());
  // Deactivating the user ends access at once (the seed kept it until cookie expiry).
  User off = u;
  off.active = false;
  ASSERT_TRUE(storage_->users().update(off).ok());
  EXPECT_FALSE(*storage_->auth_sessions().find_valid(*c2));
  ASSERT_TRUE(storage_->auth_sessions().revoke_all_for_user(u.id).ok());
}

TEST_F(RepositoriesTest, TokensAreHashedRotatedExpiredAndRevoked) {
  ASSERT_TRUE(storage_->wa_sessions().create({.id = "s1"}).ok());
  auto t1 = storage_->tokens().issue_session_token("s1");
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->token.rfind("slt_", 0), 0u);
  auto ok = storage_->tokens().authenticate(t1->token);
  ASSERT_TRUE(ok.ok() && *ok);
  EXPECT_EQ((*ok)->session_id, "s1");
  EXPECT_EQ((*ok)->last_used_at, clock_.unix_millis());
  auto t2 = storage_->tokens().issue_session_token("s1");  // rotates t1 out
  ASSERT_TRUE(t2.ok());
  EXPECT_FALSE(*storage_->tokens().authenticate(t1->token));
  EXPECT_TRUE(*storage_->tokens().authenticate(t2->token));
  User u = make_user("dave@example.com");
  auto key = storage_->tokens().issue_api_key(u.id, "ci", clock_.unix_millis() + 1000);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(*storage_->tokens().authenticate(key->token));
  clock_.advance(std::chrono::seconds(2));
  EXPECT_FALSE(*storage_->tokens().authenticate(key->token));
  ASSERT_TRUE(storage_->tokens().revoke(t2->record.id).ok());
  EXPECT_FALSE(*storage_->tokens().authenticate(t2->token));
  EXPECT_EQ(storage_->tokens().list_for_session("s1")->size(), 2u);
  EXPECT_EQ(storage_->tokens().list_for_user(u.id)->size(), 1u);
  EXPECT_TRUE(*storage_->tokens().import_session_token("s1", "legacy-uuid-token"));
  EXPECT_FALSE(*storage_->tokens().import_session_token("s1", "legacy-uuid-token"));
  EXPECT_TRUE(*storage_->tokens().authenticate("legacy-uuid-token"));
}

TEST_F(RepositoriesTest, WaSessionsValidateIdsAndCascade) {
  EXPECT_FALSE(WaSessionRepository::valid_id("../etc"));
  EXPECT_FALSE(WaSessionRepository::valid_id(std::string(65, 'a')));
  EXPECT_TRUE(WaSessionRepository::valid_id("Sales_Team-01"));
  EXPECT_EQ(storage_->wa_sessions().create({.id = "bad id"}).status().code(),
            core::StatusCode::kInvalidArgument);
  User u = make_user("erin@example.com");
  WaSession s;
  s.id = "sales";
  s.owner_id = u.id;
  s.webhook_url = "https://hooks.example/x";
  s.webhook_secret = "whsec_very_secret";
  ASSERT_TRUE(storage_->wa_sessions().create(s).ok());
  EXPECT_EQ(storage_->wa_sessions().create(s).status().code(), core::StatusCode::kAlreadyExists);
  ASSERT_TRUE(storage_->wa_sessions().update_status("sales", "connected", "ok", std::nullopt).ok());
  auto got = storage_->wa_sessions().find("sales");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->status, "connected");
  EXPECT_EQ((*got)->webhook_secret, "whsec_very_secret");
  EXPECT_EQ((*got)->last_connected_at, clock_.unix_millis());
  EXPECT_EQ(storage_->wa_sessions().list_by_owner(u.id)->size(), 1u);
  ASSERT_TRUE(storage_->wa_sessions().set_settings("sales", R"({"read_receipts":true})").ok());
  ASSERT_TRUE(storage_->wa_sessions().set_webhook("sales", std::nullopt, std::nullopt).ok());
  EXPECT_FALSE((*storage_->wa_sessions().find("sales"))->webhook_secret);
  // Deleting the owner keeps the session (owner set to NULL); deleting the session removes its
  // tokens, messages and device state.
  ASSERT_TRUE(storage_->users().remove(u.id).ok());
  EXPECT_FALSE((*storage_->wa_sessions().find("sales"))->owner_id);
  ASSERT_TRUE(storage_->tokens().issue_session_token("sales").ok());
  MessageRecord m{.session_id = "sales", .chat_jid = "1@s.whatsapp.net", .message_id = "A"};
  ASSERT_TRUE(storage_->messages().record_inbound(m).ok());
  ASSERT_TRUE(storage_->device_store("sales")->store_pre_key(1, core::to_bytes("k")).ok());
  ASSERT_TRUE(storage_->wa_sessions().remove("sales").ok());
  EXPECT_EQ(*storage_->messages().count("sales"), 0);
  EXPECT_TRUE(storage_->tokens().list_for_session("sales")->empty());
  EXPECT_FALSE(*storage_->device_store("sales")->load_pre_key(1));
  EXPECT_TRUE(*storage_->wa_sessions().ensure("sales", std::nullopt));
  EXPECT_FALSE(*storage_->wa_sessions().ensure("sales", std::nullopt));
}

TEST_F(RepositoriesTest, EmojiAndRtlTextRoundTripEverywhere) {
  const std::string text = "مرحبا بالعالم 👋🏽 שלום 𝄞 — ñ 中文 \u200f";
  ASSERT_TRUE(storage_->wa_sessions().create({.id = "u8", .name = text}).ok());
  EXPECT_EQ((*storage_->wa_sessions().find("u8"))->name, text);
  MessageRecord m{.session_id = "u8",
                  .chat_jid = "1@s.whatsapp.net",
                  .message_id = "E1",
                  .body_json = "{\"text\":\"" + text + "\"}"};
  ASSERT_TRUE(*storage_->messages().record_inbound(m));
  auto got = storage_->messages().find("u8", "1@s.whatsapp.net", "in", "E1");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->body_json, m.body_json);
  ASSERT_TRUE(storage_->device_store("u8")->upsert_contact({"1@s.whatsapp.net", text, "👋"}).ok());
  EXPECT_EQ((*storage_->device_store("u8")->load_contact("1@s.whatsapp.net"))->push_name, text);
  ASSERT_TRUE(storage_->settings().set("greeting", text).ok());
  EXPECT_EQ(**storage_->settings().get("greeting"), text);
  RecipientList l{.id = "rtl", .name = text};
  ASSERT_TRUE(
      storage_->recipient_lists().create(l, {{.number = "15551234567", .name = text}}).ok());
  EXPECT_EQ((*storage_->recipient_lists().recipients("rtl"))[0].name, text);
}

TEST_F(RepositoriesTest, MessagesInboundDedupOutboundIdempotencyAndStatusOrder) {
  ASSERT_TRUE(storage_->wa_sessions().create({.id = "m"}).ok());
  MessageRecord in{.session_id = "m", .chat_jid = "2@s.whatsapp.net", .message_id = "X1"};
  EXPECT_TRUE(*storage_->messages().record_inbound(in));
  MessageRecord again = in;
  EXPECT_FALSE(*storage_->messages().record_inbound(again));
  EXPECT_EQ(again.row_id, in.row_id);

  MessageRecord out{.session_id = "m",
                    .chat_jid = "2@s.whatsapp.net",
                    .message_id = "O1",
                    .idempotency_key = "req-1"};
  auto q1 = storage_->messages().enqueue_outbound(out);
  ASSERT_TRUE(q1.ok());
  EXPECT_EQ(q1->status, "queued");
  MessageRecord out2 = out;
  out2.message_id = "O2";
  auto q2 = storage_->messages().enqueue_outbound(out2);
  ASSERT_TRUE(q2.ok());
  EXPECT_EQ(q2->message_id, "O1");  // same idempotency key → the first message
  EXPECT_EQ(*storage_->messages().count("m"), 2);

  ASSERT_TRUE(storage_->messages().update_status("m", "O1", "sent").ok());
  ASSERT_TRUE(storage_->messages().update_status("m", "O1", "read").ok());
  ASSERT_TRUE(storage_->messages().update_status("m", "O1", "delivered").ok());  // late receipt
  EXPECT_EQ((*storage_->messages().find_outbound("m", "O1"))->status, "read");
  auto hist = storage_->messages().history(q1->row_id);
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 3u);
  EXPECT_EQ((*hist)[0].status, "queued");
  EXPECT_EQ((*hist)[2].status, "read");
  EXPECT_EQ(storage_->messages().update_status("m", "nope", "sent").code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(storage_->messages().update_status("m", "O1", "bogus").code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(*storage_->messages().find_by_idempotency_key("m", "req-1"));
  auto chat = storage_->messages().list_chat("m", "2@s.whatsapp.net", 0, 10);
  ASSERT_TRUE(chat.ok());
  EXPECT_EQ(chat->size(), 2u);

  // What a restart resends: outbound, still queued, oldest first, with the body.
  MessageRecord o3{.session_id = "m",
                   .chat_jid = "3@s.whatsapp.net",
                   .message_id = "O3",
                   .body_json = "{\"text\":\"x\"}"};
  ASSERT_TRUE(storage_->messages().enqueue_outbound(o3).ok());
  MessageRecord o4 = o3;
  o4.message_id = "O4";
  ASSERT_TRUE(storage_->messages().enqueue_outbound(o4).ok());
  ASSERT_TRUE(storage_->messages().update_status("m", "O4", "failed", "x").ok());
  auto queued = storage_->messages().queued_outbound("m");
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1u);  // O1 read, O4 failed, X1 inbound
  EXPECT_EQ((*queued)[0].message_id, "O3");
  EXPECT_EQ((*queued)[0].body_json, "{\"text\":\"x\"}");
  EXPECT_TRUE(storage_->messages().queued_outbound("nobody")->empty());
}

TEST_F(RepositoriesTest, WebhookOutboxRetriesAndGivesUp) {
  WebhookEvent e{.event_id = "ev1", .event_type = "message", .payload_json = "{}"};
  EXPECT_TRUE(*storage_->webhooks().enqueue(e));
  EXPECT_FALSE(*storage_->webhooks().enqueue(e));
  auto due = storage_->webhooks().due(10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  long long id = (*due)[0].id;
  ASSERT_TRUE(
      storage_->webhooks().mark_failed(id, "HTTP 500", 500, 12, clock_.unix_millis() + 5000).ok());
  EXPECT_TRUE(storage_->webhooks().due(10)->empty());
  clock_.advance(std::chrono::seconds(6));
  ASSERT_EQ(storage_->webhooks().due(10)->size(), 1u);
  ASSERT_TRUE(storage_->webhooks().mark_delivered(id, 200, 30).ok());
  EXPECT_TRUE(storage_->webhooks().due(10)->empty());
  auto ev = storage_->webhooks().find("ev1");
  ASSERT_TRUE(ev.ok() && *ev);
  EXPECT_EQ((*ev)->attempts, 2);
  EXPECT_TRUE((*ev)->delivered_at);
  auto log = storage_->webhooks().deliveries(id);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].http_status, 500);
  EXPECT_EQ((*log)[1].http_status, 200);
  WebhookEvent e2{.event_id = "ev2", .event_type = "message", .payload_json = "{}"};
  ASSERT_TRUE(*storage_->webhooks().enqueue(e2));
  long long id2 = (*storage_->webhooks().due(10))[0].id;
  ASSERT_TRUE(storage_->webhooks().mark_failed(id2, "gone", 410, 1, std::nullopt).ok());
  EXPECT_TRUE((*storage_->webhooks().find("ev2"))->failed_at);
  clock_.advance(std::chrono::hours(24));
  EXPECT_EQ(*storage_->webhooks().purge_finished_before(clock_.unix_millis()), 2);
}

TEST_F(RepositoriesTest, MediaFiles) {
  MediaFile f{.path = "media/ab/cd.jpg",
              .sha256 = std::string(64, 'a'),
              .mime = "image/jpeg",
              .size = 1234,
              .expires_at = clock_.unix_millis() + 1000};
  auto added = storage_->media().add(f);
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(*storage_->media().find(added->id));
  EXPECT_EQ((*storage_->media().find_by_sha256(std::string(64, 'a')))->size, 1234);
  EXPECT_TRUE(storage_->media().expired(clock_.unix_millis(), 10)->empty());
  EXPECT_EQ(storage_->media().expired(clock_.unix_millis() + 2000, 10)->size(), 1u);
  ASSERT_TRUE(storage_->media().remove(added->id).ok());
  EXPECT_FALSE(*storage_->media().find(added->id));
}

TEST_F(RepositoriesTest, RecipientListsAndCampaignSendLoop) {
  User u = make_user("frank@example.com");
  RecipientList l{.id = "list1",
                  .name = "Customers",
                  .tags_json = R"(["vip"])",
                  .created_by_id = u.id,
                  .created_by_email = u.email};
  ASSERT_TRUE(storage_->recipient_lists()
                  .create(l, {{.number = "15550000001", .name = "A"}, {.number = "15550000002"}})
                  .ok());
  EXPECT_EQ(storage_->recipient_lists().create(l, {}).code(), core::StatusCode::kAlreadyExists);
  ASSERT_TRUE(
      storage_->recipient_lists().add_recipients("list1", {{.number = "15550000003"}}).ok());
  ASSERT_TRUE(storage_->recipient_lists().mark_used("list1").ok());
  auto got = storage_->recipient_lists().find("list1");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->recipient_count, 3);
  EXPECT_EQ((*got)->usage_count, 1);
  EXPECT_EQ(storage_->recipient_lists().list(u.id)->size(), 1u);

  ASSERT_TRUE(storage_->wa_sessions().create({.id = "c"}).ok());
  Campaign c{.id = "camp1",
             .name = "Launch",
             .status = "ready",
             .session_id = "c",
             .scheduled_at = clock_.unix_millis() - 1,
             .created_by_id = u.id};
  std::vector<CampaignRecipient> rs(3);
  rs[0].number = "15550000001";
  rs[1].number = "15550000002";
  rs[2].number = "15550000003";
  ASSERT_TRUE(storage_->campaigns().create(c, rs).ok());
  EXPECT_EQ(storage_->campaigns().due_scheduled()->size(), 1u);
  ASSERT_TRUE(storage_->campaigns().set_status("camp1", "sending").ok());
  EXPECT_TRUE((*storage_->campaigns().find("camp1"))->started_at);
  // Recipient 1 sent; recipient 2 fails twice and gives up; recipient 3 sent.
  auto r1 = storage_->campaigns().claim_next("camp1", 2);
  ASSERT_TRUE(r1.ok() && *r1);
  EXPECT_EQ((*r1)->number, "15550000001");
  ASSERT_TRUE(storage_->campaigns().mark_sent((*r1)->id, "MSG1").ok());
  auto r2 = storage_->campaigns().claim_next("camp1", 2);
  ASSERT_TRUE(r2.ok() && *r2);
  ASSERT_TRUE(
      storage_->campaigns().mark_failed((*r2)->id, "timeout", clock_.unix_millis() + 1000).ok());
  auto r3 = storage_->campaigns().claim_next("camp1", 2);  // r2 not due yet → r3
  ASSERT_TRUE(r3.ok() && *r3);
  EXPECT_EQ((*r3)->number, "15550000003");
  ASSERT_TRUE(storage_->campaigns().mark_sent((*r3)->id, "MSG3").ok());
  EXPECT_FALSE(*storage_->campaigns().claim_next("camp1", 2));
  clock_.advance(std::chrono::seconds(2));
  auto r2b = storage_->campaigns().claim_next("camp1", 2);
  ASSERT_TRUE(r2b.ok() && *r2b);
  EXPECT_EQ((*r2b)->id, (*r2)->id);
  ASSERT_TRUE(storage_->campaigns().mark_failed((*r2b)->id, "timeout", clock_.unix_millis()).ok());
  EXPECT_FALSE(*storage_->campaigns().claim_next("camp1", 2));  // attempts exhausted
  auto stats = storage_->campaigns().stats("camp1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total, 3);
  EXPECT_EQ(stats->sent, 2);
  EXPECT_EQ(stats->failed, 1);
  EXPECT_EQ(*storage_->campaigns().retry_failed("camp1"), 1);
  EXPECT_TRUE(*storage_->campaigns().claim_next("camp1", 2));
  EXPECT_EQ(*storage_->campaigns().recover_sending("camp1"), 1);
  ASSERT_TRUE(storage_->campaigns().set_status("camp1", "completed").ok());
  EXPECT_TRUE((*storage_->campaigns().find("camp1"))->completed_at);
  EXPECT_EQ(storage_->campaigns().recipients("camp1", 2, 1)->size(), 2u);
  ASSERT_TRUE(storage_->campaigns().remove("camp1").ok());
  EXPECT_TRUE(storage_->campaigns().recipients("camp1", 10, 0)->empty());
  ASSERT_TRUE(storage_->recipient_lists().remove("list1").ok());
  EXPECT_TRUE(storage_->recipient_lists().recipients("list1")->empty());
}

TEST_F(RepositoriesTest, ActivityLogQueriesAndImportIsIdempotent) {
  User u = make_user("gina@example.com");
  for (int i = 0; i < 5; ++i) {
    clock_.advance(std::chrono::seconds(1));
    ActivityEntry e{
        .user_id = u.id, .user_email = u.email, .action = i % 2 ? "login" : "send_message"};
    ASSERT_TRUE(storage_->activity().append(e).ok());
  }
  EXPECT_EQ(storage_->activity().query({})->size(), 5u);
  EXPECT_EQ(storage_->activity().query({.action = "login"})->size(), 2u);
  auto page = storage_->activity().query({.user_id = u.id, .limit = 2});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_GE((*page)[0].at, (*page)[1].at);
  auto next =
      storage_->activity().query({.user_id = u.id, .before_id = (*page)[1].id, .limit = 10});
  EXPECT_EQ(next->size(), 3u);
  ActivityEntry legacy{.legacy_id = "old-1", .at = 1000, .action = "login"};
  EXPECT_TRUE(*storage_->activity().import(legacy));
  EXPECT_FALSE(*storage_->activity().import(legacy));
  EXPECT_EQ(*storage_->activity().purge_before(2000), 1);
  EXPECT_EQ(storage_->activity().append({}).status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(RepositoriesTest, SettingsUpsert) {
  EXPECT_FALSE(*storage_->settings().get("a"));
  ASSERT_TRUE(storage_->settings().set("a", "1").ok());
  ASSERT_TRUE(storage_->settings().set("a", "2").ok());
  EXPECT_EQ(**storage_->settings().get("a"), "2");
  EXPECT_TRUE(storage_->settings().all()->count(std::string(kKeyCheckSetting)));
  ASSERT_TRUE(storage_->settings().remove("a").ok());
  EXPECT_FALSE(*storage_->settings().get("a"));
}

TEST(Password, Argon2idAndLegacyBcrypt) {
  auto h = hash_password("correct horse", PasswordCost::kMinimal);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(*verify_password("correct horse", *h));
  EXPECT_FALSE(*verify_password("wrong", *h));
  EXPECT_FALSE(password_needs_rehash(*h, PasswordCost::kMinimal));
  core::FakeRandom rng(3);
  auto b = bcrypt_hash("123456789", 4, rng);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->rfind("$2b$04$", 0), 0u);
  EXPECT_TRUE(*verify_password("123456789", *b));
  EXPECT_FALSE(*verify_password("12345678", *b));
  EXPECT_TRUE(password_needs_rehash(*b));
  // bcryptjs writes $2a$; the same hash text verifies.
  std::string a = "$2a$" + b->substr(4);
  EXPECT_TRUE(*verify_password("123456789", a));
  EXPECT_EQ(verify_password("x", "plaintext").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(verify_password("x", "$2b$04$" + std::string(53, '!')).value_or(false));
}

}  // namespace
}  // namespace storage
