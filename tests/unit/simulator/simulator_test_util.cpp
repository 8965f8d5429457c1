#include "tests/unit/simulator/simulator_test_util.h"

#include "core/encoding.h"
#include "crypto/hmac.h"
#include "proto/adv.pb.h"
#include "proto/client_payload.pb.h"

namespace sim::test {

Companion::Companion(core::Random& random) {
  noise = crypto::generate_key_pair(random);
  identity = crypto::generate_key_pair(random);
  skey = crypto::generate_key_pair(random);
  skey_sig = crypto::xeddsa_sign(identity.private_view(),
                                 core::concat({core::Bytes{5}, skey.public_view()}), random)
                 .value();
  registration_id = 1 + random.uniform(16000);
  adv_secret = random.bytes(32);
  sink = std::make_shared<FakeSink>();
}

core::Bytes Companion::registration_payload() const {
  waproto::ClientPayload p;
  p.set_passive(false);
  p.set_pull(false);
  auto* d = p.mutable_device_pairing_data();
  d->set_e_regid(core::to_string(core::uint_be_bytes(registration_id, 4)));
  d->set_e_keytype("\x05");
  d->set_e_ident(core::to_string(identity.public_view()));
  d->set_e_skey_id(core::to_string(core::uint_be_bytes(1, 3)));
  d->set_e_skey_val(core::to_string(skey.public_view()));
  d->set_e_skey_sig(core::to_string(skey_sig));
  waproto::DeviceProps props;
  props.set_os("Mac OS");
  d->set_device_props(props.SerializeAsString());
  return core::to_bytes(p.SerializeAsString());
}

core::Bytes Companion::login_payload(bool passive, const std::string& push_name) const {
  waproto::ClientPayload p;
  p.set_username(std::stoull(phone));
  p.set_device(device);
  p.set_passive(passive);
  p.set_pull(true);
  if (!push_name.empty()) p.set_push_name(push_name);
  return core::to_bytes(p.SerializeAsString());
}

std::string Companion::qr(const std::string& ref) const {
  return "https://wa.me/settings/linked_devices#" + ref + "," +
         core::base64_encode(noise.public_view()) + "," +
         core::base64_encode(identity.public_view()) + "," + core::base64_encode(adv_secret) + ",1";
}

SimTest::SimTest() { open(); }
SimTest::~SimTest() = default;

void SimTest::open(const std::string& state_dir) {
  sim.reset();
  SimulatorConfig config;
  config.ephemeral = state_dir.empty();
  if (!state_dir.empty()) config.state_dir = state_dir;
  config.media_host = "127.0.0.1:8443";
  auto s = Simulator::open(config, clock, random, scheduler);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  sim = std::move(s).value();
}

void SimTest::create(const std::string& phone, const std::string& name, VirtualKind kind) {
  auto r = sim->create_account(phone, name, kind);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
}

std::unique_ptr<Companion> SimTest::start_registration() {
  auto c = std::make_unique<Companion>(random);
  c->conn = sim->on_connected(c->sink);
  sim->on_client_payload(c->conn, c->noise.public_view(), c->registration_payload());
  return c;
}

void SimTest::answer_pair_success(Companion& c, bool tamper) {
  const Node* iq = nullptr;
  for (auto it = c.sink->sent.rbegin(); it != c.sink->sent.rend(); ++it)
    if (it->tag == "iq" && it->child("pair-success")) {
      iq = &*it;
      break;
    }
  ASSERT_NE(iq, nullptr);
  const Node* ps = iq->child("pair-success");
  const Node* di = ps->child("device-identity");
  ASSERT_TRUE(di && di->bytes());
  waproto::ADVSignedDeviceIdentityHMAC wrapper;
  ASSERT_TRUE(wrapper.ParseFromArray(di->bytes()->data(), static_cast<int>(di->bytes()->size())));
  EXPECT_EQ(core::to_bytes(wrapper.hmac()),
            crypto::hmac_sha256(c.adv_secret, core::as_view(wrapper.details())));
  waproto::ADVSignedDeviceIdentity account;
  ASSERT_TRUE(account.ParseFromString(wrapper.details()));
  const core::Bytes details = core::to_bytes(account.details());
  const core::Bytes account_key = core::to_bytes(account.account_signature_key());
  EXPECT_TRUE(crypto::xeddsa_verify(
      account_key, core::concat({core::Bytes{6, 0}, details, c.identity.public_view()}),
      core::to_bytes(account.account_signature())));
  waproto::ADVDeviceIdentity device_identity;
  ASSERT_TRUE(device_identity.ParseFromString(account.details()));
  core::Bytes msg =
      core::concat({core::Bytes{6, 1}, details, c.identity.public_view(), account_key});
  if (tamper) msg.back() ^= 1;
  account.set_device_signature(
      core::to_string(crypto::xeddsa_sign(c.identity.private_view(), msg, random).value()));
  account.clear_account_signature_key();
  Node sign("pair-device-sign");
  sign.add_child(Node("device-identity",
                      {{"key-index", std::to_string(device_identity.key_index())}},
                      core::to_bytes(account.SerializeAsString())));
  Node reply("iq", {{"to", "@s.whatsapp.net"}, {"type", "result"}, {"id", iq->attr_or("id", "")}});
  reply.add_child(std::move(sign));
  sim->on_node(c.conn, reply);
}

std::unique_ptr<Companion> SimTest::pair(const std::string& phone) {
  auto c = start_registration();
  const Node* pd = c->sink->last("iq");
  EXPECT_TRUE(pd && pd->child("pair-device"));
  if (!pd || !pd->child("pair-device")) return c;
  const std::string ref(pd->child("pair-device")->children("ref").front()->text());
  std::optional<core::Result<std::string>> result;
  sim->scan_qr(phone, c->qr(ref), [&](core::Result<std::string> r) { result = std::move(r); });
  answer_pair_success(*c);
  EXPECT_TRUE(result && result->ok()) << (result ? result->status().to_string() : "no result");
  if (result && result->ok()) {
    const std::string jid = result->value();
    c->phone = phone;
    c->device = static_cast<uint16_t>(
        std::stoi(jid.substr(jid.find(':') + 1, jid.find('@') - jid.find(':') - 1)));
  }
  disconnect(*c);
  return c;
}

void SimTest::login(Companion& c, bool activate) {
  c.sink = std::make_shared<FakeSink>();
  c.conn = sim->on_connected(c.sink);
  sim->on_client_payload(c.conn, c.noise.public_view(), c.login_payload());
  ASSERT_NE(c.sink->last("success"), nullptr);
  if (activate) {
    Node active("iq", {{"id", "act-" + std::to_string(++iq_counter)},
                       {"to", "@s.whatsapp.net"},
                       {"type", "set"},
                       {"xmlns", "passive"}});
    active.add_child(Node("active"));
    sim->on_node(c.conn, active);
  }
}

std::unique_ptr<Companion> SimTest::online(const std::string& phone) {
  auto c = pair(phone);
  login(*c);
  c->sink->take();
  return c;
}

void SimTest::disconnect(Companion& c) { sim->on_disconnected(c.conn); }

Node SimTest::iq(Companion& c, Node request) {
  const std::string id = "q" + std::to_string(++iq_counter);
  request.set("id", id);
  if (!request.has_attr("to")) request.set("to", "@s.whatsapp.net");
  sim->on_node(c.conn, request);
  for (auto it = c.sink->sent.rbegin(); it != c.sink->sent.rend(); ++it)
    if (it->tag == "iq" && it->attr_or("id", "") == id) return *it;
  ADD_FAILURE() << "no answer to iq " << id;
  return Node("none");
}

void SimTest::upload_prekeys(Companion& c, uint32_t first_id, uint32_t count) {
  Node up("iq", {{"type", "set"}, {"xmlns", "encrypt"}});
  up.add_child(Node("registration", {}, core::uint_be_bytes(c.registration_id, 4)));
  up.add_child(Node("type", {}, core::Bytes{5}));
  up.add_child(Node("identity", {}, core::to_bytes(c.identity.public_view())));
  Node list("list");
  for (uint32_t i = 0; i < count; ++i) {
    Node key("key");
    key.add_child(Node("id", {}, core::uint_be_bytes(first_id + i, 3)));
    key.add_child(Node("value", {}, random.bytes(32)));
    list.add_child(std::move(key));
  }
  up.add_child(std::move(list));
  Node skey("skey");
  skey.add_child(Node("id", {}, core::uint_be_bytes(1, 3)));
  skey.add_child(Node("value", {}, core::to_bytes(c.skey.public_view())));
  skey.add_child(Node("signature", {}, c.skey_sig));
  up.add_child(std::move(skey));
  Node r = iq(c, std::move(up));
  EXPECT_EQ(r.attr_or("type", ""), "result");
}

const Node* find(const std::vector<Node>& nodes, std::string_view tag) {
  for (const auto& n : nodes)
    if (n.tag == tag) return &n;
  return nullptr;
}

std::vector<const Node*> find_all(const std::vector<Node>& nodes, std::string_view tag) {
  std::vector<const Node*> out;
  for (const auto& n : nodes)
    if (n.tag == tag) out.push_back(&n);
  return out;
}

}  // namespace sim::test
