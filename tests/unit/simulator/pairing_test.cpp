// Noise identity, registration, QR and pair-code pairing, login, logout.
#include "core/encoding.h"
#include "crypto/aes.h"
#include "crypto/kdf.h"
#include "proto/client_payload.pb.h"
#include "tests/unit/simulator/simulator_test_util.h"
#include "wa/noise/cert_chain.h"

namespace sim::test {
namespace {

TEST_F(SimTest, CertChainVerifiesAgainstSimulatorRoot) {
  EXPECT_TRUE(wa::noise::verify_cert_chain(sim->cert_chain(), sim->root_public_key(),
                                           sim->noise_static_key().public_view(),
                                           clock.unix_seconds())
                  .ok());
  EXPECT_FALSE(wa::noise::verify_cert_chain(sim->cert_chain(), wa::noise::kWhatsAppRootKey,
                                            sim->noise_static_key().public_view(),
                                            clock.unix_seconds())
                   .ok());
}

TEST_F(SimTest, RegistrationGetsPairDeviceRefs) {
  auto c = start_registration();
  ASSERT_EQ(c->sink->sent.size(), 1u);
  const Node& iq = c->sink->sent[0];
  EXPECT_EQ(iq.tag, "iq");
  EXPECT_EQ(iq.attr_or("from", ""), "@s.whatsapp.net");
  EXPECT_EQ(iq.attr_or("type", ""), "set");
  EXPECT_EQ(iq.attr_or("xmlns", ""), "md");
  EXPECT_FALSE(iq.attr_or("id", "").empty());
  const Node* pd = iq.child("pair-device");
  ASSERT_NE(pd, nullptr);
  auto refs = pd->children("ref");
  EXPECT_EQ(refs.size(), 6u);
  for (const Node* r : refs) EXPECT_EQ(r->text().substr(0, 2), "2@");
  EXPECT_NE(refs[0]->text(), refs[1]->text());
}

TEST_F(SimTest, RegistrationWithBadSignedPreKeySignatureFails) {
  Companion c(random);
  c.skey_sig[0] ^= 1;
  c.conn = sim->on_connected(c.sink);
  sim->on_client_payload(c.conn, c.noise.public_view(), c.registration_payload());
  ASSERT_NE(c.sink->last("failure"), nullptr);
  EXPECT_TRUE(c.sink->closed);
}

TEST_F(SimTest, GarbageClientPayloadIsRejected) {
  auto sink = std::make_shared<FakeSink>();
  ConnId id = sim->on_connected(sink);
  const core::Bytes garbage{0xff, 0xff, 0xff, 0x01, 0x02};
  crypto::KeyPair k = crypto::generate_key_pair(random);
  sim->on_client_payload(id, k.public_view(), garbage);
  ASSERT_NE(sink->last("failure"), nullptr);
  EXPECT_EQ(sink->last("failure")->attr_or("reason", ""), "400");
  EXPECT_TRUE(sink->closed);
  // Empty payload: neither registration nor login.
  auto sink2 = std::make_shared<FakeSink>();
  ConnId id2 = sim->on_connected(sink2);
  sim->on_client_payload(id2, k.public_view(), {});
  EXPECT_NE(sink2->last("failure"), nullptr);
  // Nodes before the payload are ignored.
  auto sink3 = std::make_shared<FakeSink>();
  ConnId id3 = sim->on_connected(sink3);
  sim->on_node(id3, Node("iq", {{"id", "1"}, {"xmlns", "w:p"}, {"type", "get"}}));
  EXPECT_TRUE(sink3->sent.empty());
}

TEST_F(SimTest, ScanSendsVerifiablePairSuccessAndSignStoresDevice) {
  create("15551234567", "Alice");
  auto c = start_registration();
  const std::string ref(c->sink->sent[0].child("pair-device")->children("ref")[0]->text());
  std::optional<core::Result<std::string>> result;
  sim->scan_qr("15551234567", c->qr(ref),
               [&](core::Result<std::string> r) { result = std::move(r); });
  EXPECT_FALSE(result.has_value());  // waits for pair-device-sign
  const Node* iq = c->sink->last("iq");
  ASSERT_TRUE(iq && iq->child("pair-success"));
  EXPECT_EQ(iq->attr_or("from", ""), "@s.whatsapp.net");
  EXPECT_EQ(iq->attr_or("t", ""), std::to_string(clock.unix_seconds()));
  const Node* device = iq->child("pair-success")->child("device");
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->attr_or("jid", ""), "15551234567:1@s.whatsapp.net");
  const std::string lid = sim->list_accounts()[0].lid;
  EXPECT_EQ(lid.size(), 15u);
  EXPECT_EQ(device->attr_or("lid", ""), lid + ":1@lid");
  EXPECT_EQ(iq->child("pair-success")->child("platform")->attr_or("name", ""), "android");

  answer_pair_success(*c);  // checks HMAC and account signature
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status().to_string();
  EXPECT_EQ(result->value(), "15551234567:1@s.whatsapp.net");
  const Node* se = c->sink->last("stream:error");
  ASSERT_NE(se, nullptr);
  EXPECT_EQ(se->attr_or("code", ""), "515");
  EXPECT_TRUE(c->sink->closed);
  auto accounts = sim->list_accounts();
  ASSERT_EQ(accounts[0].devices.size(), 1u);
  EXPECT_EQ(accounts[0].devices[0].id, 1);
  EXPECT_FALSE(accounts[0].devices[0].online);
}

TEST_F(SimTest, BadDeviceSignatureIsNotStored) {
  create("15551234567");
  auto c = start_registration();
  const std::string ref(c->sink->sent[0].child("pair-device")->children("ref")[0]->text());
  std::optional<core::Result<std::string>> result;
  sim->scan_qr("15551234567", c->qr(ref),
               [&](core::Result<std::string> r) { result = std::move(r); });
  answer_pair_success(*c, /*tamper=*/true);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), core::StatusCode::kUnauthenticated);
  EXPECT_TRUE(sim->list_accounts()[0].devices.empty());
  EXPECT_TRUE(c->sink->closed);
}

TEST_F(SimTest, ScanErrors) {
  create("15551234567");
  auto c = start_registration();
  auto refs = c->sink->sent[0].child("pair-device")->children("ref");
  const std::string ref0(refs[0]->text()), ref1(refs[1]->text());
  auto scan = [&](const std::string& phone, const std::string& qr) {
    std::optional<core::Result<std::string>> result;
    sim->scan_qr(phone, qr, [&](core::Result<std::string> r) { result = std::move(r); });
    EXPECT_TRUE(result.has_value());
    return result ? result->status().code() : core::StatusCode::kOk;
  };
  EXPECT_EQ(scan("15551234567", c->qr("2@unknown")), core::StatusCode::kNotFound);
  EXPECT_EQ(scan("15550000000", c->qr(ref0)), core::StatusCode::kNotFound);
  EXPECT_EQ(scan("15551234567", "garbage"), core::StatusCode::kInvalidArgument);
  Companion other(random);
  EXPECT_EQ(scan("15551234567", other.qr(ref0)), core::StatusCode::kPermissionDenied);
  // The first ref lives 60 s, the second 20 s longer.
  clock.advance(std::chrono::seconds(61));
  EXPECT_EQ(scan("15551234567", c->qr(ref0)), core::StatusCode::kFailedPrecondition);
  clock.advance(std::chrono::seconds(20));
  EXPECT_EQ(scan("15551234567", c->qr(ref1)), core::StatusCode::kFailedPrecondition);
}

TEST_F(SimTest, ScanWithSecondRefStillValid) {
  create("15551234567");
  auto c = start_registration();
  const std::string ref1(c->sink->sent[0].child("pair-device")->children("ref")[1]->text());
  clock.advance(std::chrono::seconds(70));
  std::optional<core::Result<std::string>> result;
  sim->scan_qr("15551234567", c->qr(ref1),
               [&](core::Result<std::string> r) { result = std::move(r); });
  EXPECT_FALSE(result.has_value());
  answer_pair_success(*c);
  ASSERT_TRUE(result && result->ok());
}

TEST_F(SimTest, LoginSuccessFailureAndConflict) {
  create("15551234567");
  auto c = pair("15551234567");
  login(*c, /*activate=*/false);
  const Node* success = c->sink->last("success");
  const std::string lid = sim->list_accounts()[0].lid;
  EXPECT_EQ(success->attr_or("lid", ""), lid + ":1@lid");
  EXPECT_EQ(success->attr_or("t", ""), std::to_string(clock.unix_seconds()));
  EXPECT_TRUE(sim->list_accounts()[0].devices[0].online);

  // Wrong noise key → 401.
  Companion impostor(random);
  impostor.phone = c->phone;
  impostor.device = c->device;
  impostor.conn = sim->on_connected(impostor.sink);
  sim->on_client_payload(impostor.conn, impostor.noise.public_view(), impostor.login_payload());
  ASSERT_NE(impostor.sink->last("failure"), nullptr);
  EXPECT_EQ(impostor.sink->last("failure")->attr_or("reason", ""), "401");
  EXPECT_TRUE(impostor.sink->closed);

  // Unknown device → 401.
  Companion unknown(random);
  unknown.phone = c->phone;
  unknown.device = 9;
  unknown.conn = sim->on_connected(unknown.sink);
  sim->on_client_payload(unknown.conn, unknown.noise.public_view(), unknown.login_payload());
  EXPECT_EQ(unknown.sink->last("failure")->attr_or("reason", ""), "401");

  // Same device again → the first connection is replaced.
  auto first_sink = c->sink;
  login(*c, false);
  const Node* err = first_sink->last("stream:error");
  ASSERT_NE(err, nullptr);
  ASSERT_NE(err->child("conflict"), nullptr);
  EXPECT_EQ(err->child("conflict")->attr_or("type", ""), "replaced");
  EXPECT_TRUE(first_sink->closed);
  EXPECT_FALSE(c->sink->closed);
}

TEST_F(SimTest, PassiveLoginGetsOfflineCountAfterActive) {
  create("15551234567");
  auto c = pair("15551234567");
  login(*c, /*activate=*/false);
  EXPECT_EQ(c->sink->last("ib"), nullptr);
  Node active("iq", {{"type", "set"}, {"xmlns", "passive"}});
  active.add_child(Node("active"));
  Node r = iq(*c, active);
  EXPECT_EQ(r.attr_or("type", ""), "result");
  const Node* ib = c->sink->last("ib");
  ASSERT_NE(ib, nullptr);
  ASSERT_NE(ib->child("offline"), nullptr);
  EXPECT_EQ(ib->child("offline")->attr_or("count", ""), "0");
}

TEST_F(SimTest, DeviceIdsIncrementAndDevicesNotification) {
  create("15551234567");
  create("15557654321");
  auto bob = online("15557654321");
  auto a1 = pair("15551234567");
  auto a2 = pair("15551234567");
  EXPECT_EQ(a1->device, 1);
  EXPECT_EQ(a2->device, 2);
  auto notes = find_all(bob->sink->take(), "notification");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[1]->attr_or("type", ""), "devices");
  EXPECT_EQ(notes[1]->attr_or("from", ""), "15551234567@s.whatsapp.net");
  const Node* add = notes[1]->child("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->attr_or("device_hash", "").substr(0, 2), "2:");
  EXPECT_EQ(add->child("device")->attr_or("jid", ""), "15551234567:2@s.whatsapp.net");
  EXPECT_EQ(add->child("device")->attr_or("key-index", ""), "2");
}

TEST_F(SimTest, RemoveDeviceAndLogout) {
  create("15551234567");
  auto a1 = online("15551234567");
  auto a2 = online("15551234567");
  a1->sink->take();
  EXPECT_EQ(sim->remove_device("15551234567", 9).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(sim->remove_device("15550000000", 1).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(sim->remove_device("15551234567", a2->device).ok());
  const Node* err = a2->sink->last("stream:error");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->attr_or("code", ""), "401");
  EXPECT_EQ(err->child("conflict")->attr_or("type", ""), "device_removed");
  EXPECT_TRUE(a2->sink->closed);
  auto notes = find_all(a1->sink->take(), "notification");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0]->child("remove"), nullptr);
  EXPECT_EQ(sim->list_accounts()[0].devices.size(), 1u);

  // Logout by the device itself: result, device forgotten; it cannot log in again.
  Node rm("iq", {{"type", "set"}, {"xmlns", "md"}});
  rm.add_child(Node("remove-companion-device",
                    {{"jid", "15551234567:" + std::to_string(a1->device) + "@s.whatsapp.net"},
                     {"reason", "user_initiated"}}));
  Node r = iq(*a1, rm);
  EXPECT_EQ(r.attr_or("type", ""), "result");
  EXPECT_TRUE(sim->list_accounts()[0].devices.empty());
  disconnect(*a1);
  a1->sink = std::make_shared<FakeSink>();
  a1->conn = sim->on_connected(a1->sink);
  sim->on_client_payload(a1->conn, a1->noise.public_view(), a1->login_payload());
  EXPECT_EQ(a1->sink->last("failure")->attr_or("reason", ""), "401");
}

TEST_F(SimTest, DisconnectDuringPairingReportsUnavailable) {
  create("15551234567");
  auto c = start_registration();
  const std::string ref(c->sink->sent[0].child("pair-device")->children("ref")[0]->text());
  std::optional<core::Result<std::string>> result;
  sim->scan_qr("15551234567", c->qr(ref),
               [&](core::Result<std::string> r) { result = std::move(r); });
  disconnect(*c);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), core::StatusCode::kUnavailable);
}

// The companion side of §5.3, written from the spec: wrap with PBKDF2 + AES-CTR, unwrap the
// primary's ephemeral, send the GCM key bundle, derive adv_secret.
TEST_F(SimTest, PairCodeRoundTrip) {
  create("15551234567");
  auto c = start_registration();
  const std::string code = "ABCD2345";
  crypto::KeyPair eph = crypto::generate_key_pair(random);
  const core::Bytes salt = random.bytes(32), iv = random.bytes(16);
  auto key = crypto::pbkdf2_sha256(core::as_view(code), salt, 2u << 16, 32).value();
  core::Bytes wrapped =
      core::concat({salt, iv, crypto::aes_ctr(key, iv, eph.public_view()).value()});

  Node hello("iq", {{"type", "set"}, {"xmlns", "md"}});
  Node reg("link_code_companion_reg", {{"jid", "15551234567@s.whatsapp.net"},
                                       {"stage", "companion_hello"},
                                       {"should_show_push_notification", "true"}});
  reg.add_child(Node("link_code_pairing_wrapped_companion_ephemeral_pub", {}, wrapped));
  reg.add_child(Node("companion_server_auth_key_pub", {}, core::to_bytes(c->noise.public_view())));
  reg.add_child(Node("companion_platform_id", {}, core::to_bytes("1")));
  reg.add_child(Node("companion_platform_display", {}, core::to_bytes("Chrome (Linux)")));
  reg.add_child(Node("link_code_pairing_nonce", {}, core::to_bytes("0")));
  hello.add_child(std::move(reg));
  Node r = iq(*c, hello);
  ASSERT_EQ(r.attr_or("type", ""), "result");
  const Node* ref_node = r.child("link_code_companion_reg")->child("link_code_pairing_ref");
  ASSERT_TRUE(ref_node && ref_node->bytes());
  const core::Bytes ref = *ref_node->bytes();

  std::optional<core::Result<std::string>> result;
  sim->enter_pair_code("15551234567", "ABCD-2345",
                       [&](core::Result<std::string> res) { result = std::move(res); });
  EXPECT_FALSE(result.has_value());
  const Node* note = c->sink->last("notification");
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->attr_or("type", ""), "link_code_companion_reg");
  const Node* lc = note->child("link_code_companion_reg");
  ASSERT_NE(lc, nullptr);
  EXPECT_EQ(*lc->child("link_code_pairing_ref")->bytes(), ref);
  const core::Bytes primary_identity = *lc->child("primary_identity_pub")->bytes();
  const core::Bytes wp = *lc->child("link_code_pairing_wrapped_primary_ephemeral_pub")->bytes();
  ASSERT_EQ(wp.size(), 80u);
  const core::ByteView wpv(wp);
  auto pkey = crypto::pbkdf2_sha256(core::as_view(code), wpv.subspan(0, 32), 2u << 16, 32).value();
  const core::Bytes primary_eph =
      crypto::aes_ctr(pkey, wpv.subspan(32, 16), wpv.subspan(48)).value();

  const core::Bytes eph_shared = crypto::x25519(eph.private_view(), primary_eph).value();
  const core::Bytes adv_random = random.bytes(32), bsalt = random.bytes(32),
                    nonce = random.bytes(12);
  auto bundle_key = crypto::hkdf_sha256(
      eph_shared, bsalt, core::as_view("link_code_pairing_key_bundle_encryption_key"), 32);
  auto ct = crypto::aes256_gcm_encrypt(
      bundle_key.value(), nonce,
      core::concat({c->identity.public_view(), primary_identity, adv_random}), {});
  const core::Bytes id_shared =
      crypto::x25519(c->identity.private_view(), primary_identity).value();
  c->adv_secret = crypto::hkdf_sha256(core::concat({eph_shared, id_shared, adv_random}), {},
                                      core::as_view("adv_secret"), 32)
                      .value();

  Node finish("iq", {{"type", "set"}, {"xmlns", "md"}});
  Node freg("link_code_companion_reg",
            {{"jid", "15551234567@s.whatsapp.net"}, {"stage", "companion_finish"}});
  freg.add_child(
      Node("link_code_pairing_wrapped_key_bundle", {}, core::concat({bsalt, nonce, ct.value()})));
  freg.add_child(Node("companion_identity_public", {}, core::to_bytes(c->identity.public_view())));
  freg.add_child(Node("link_code_pairing_ref", {}, ref));
  finish.add_child(std::move(freg));
  Node fr = iq(*c, finish);
  EXPECT_EQ(fr.attr_or("type", ""), "result");
  answer_pair_success(*c);  // HMAC keyed by the derived adv_secret
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status().to_string();
  EXPECT_EQ(result->value(), "15551234567:1@s.whatsapp.net");
  EXPECT_EQ(c->sink->last("stream:error")->attr_or("code", ""), "515");
}

TEST_F(SimTest, PairCodeWrongCodeFails) {
  create("15551234567");
  auto c = start_registration();
  std::optional<core::Result<std::string>> result;
  sim->enter_pair_code("15551234567", "ABCD2345",
                       [&](core::Result<std::string> res) { result = std::move(res); });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), core::StatusCode::kNotFound);  // nobody asked for a code
  result.reset();
  sim->enter_pair_code("15551234567", "SHORT",
                       [&](core::Result<std::string> res) { result = std::move(res); });
  EXPECT_EQ(result->status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sim::test
