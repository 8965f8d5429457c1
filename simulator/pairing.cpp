// Pairing and login (wa-protocol.md §2.2, §2.3, §5): registration → pair-device refs; the
// admin's QR scan or pair code → pair-success with a signed ADV; the companion's
// pair-device-sign → the device is stored, 515; login → success / failure 401 / conflict.
#include <algorithm>

#include "core/encoding.h"
#include "crypto/aes.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "crypto/util.h"
#include "proto/adv.pb.h"
#include "proto/client_payload.pb.h"
#include "simulator/simulator_impl.h"

namespace sim {
namespace {

constexpr auto kFirstRefTtl = std::chrono::seconds(60);
constexpr auto kNextRefTtl = std::chrono::seconds(20);
constexpr auto kPairingTimeout = std::chrono::seconds(60);
constexpr uint32_t kPairCodeIterations = 2u << 16;

const uint8_t kAccountSigPrefix[] = {6, 0};
const uint8_t kDeviceSigPrefix[] = {6, 1};

core::Bytes as_bytes(const std::string& s) { return core::to_bytes(s); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

// PBKDF2(code) key wrapping of a 32-byte public key: salt(32) ‖ iv(16) ‖ AES-CTR(pub).
core::Result<core::Bytes> unwrap_link_key(const std::string& code, core::ByteView wrapped) {
  if (wrapped.size() != 80) return core::Status::invalid_argument("wrapped key is not 80 bytes");
  CORE_ASSIGN_OR_RETURN(
      core::Bytes key,
      crypto::pbkdf2_sha256(core::as_view(code), wrapped.subspan(0, 32), kPairCodeIterations, 32));
  return crypto::aes_ctr(key, wrapped.subspan(32, 16), wrapped.subspan(48, 32));
}

}  // namespace

// --- registration ----------------------------------------------------------------------------

void SimulatorImpl::handle_registration(Connection& c, const waproto::ClientPayload& payload) {
  const ConnId id = c.id;
  if (apply_connect_faults(c, "")) return;
  const auto& d = payload.device_pairing_data();
  auto reg = std::make_unique<Registration>();
  reg->noise_pub = c.client_static;
  reg->identity_pub = as_bytes(d.e_ident());
  const core::Bytes regid = as_bytes(d.e_regid());
  const core::Bytes skey_id = as_bytes(d.e_skey_id());
  auto regid_v = be_uint(&regid, 1, 4);
  auto skey_id_v = be_uint(&skey_id, 1, 4);
  reg->skey.pub = as_bytes(d.e_skey_val());
  reg->skey.sig = as_bytes(d.e_skey_sig());
  bool ok = regid_v && skey_id_v && reg->identity_pub.size() == 32 && reg->skey.pub.size() == 32 &&
            reg->skey.sig.size() == 64 && (!d.has_e_keytype() || d.e_keytype() == "\x05");
  if (ok) {
    const core::Bytes signed_msg = core::concat({core::Bytes{5}, reg->skey.pub});
    ok = crypto::xeddsa_verify(reg->identity_pub, signed_msg, reg->skey.sig);
  }
  if (!ok) {
    send(id, make_node("failure", {{"reason", "400"}}));
    close_conn(id);
    return;
  }
  reg->registration_id = *regid_v;
  reg->skey.id = *skey_id_v;
  if (d.has_device_props()) {
    waproto::DeviceProps props;
    if (props.ParseFromString(d.device_props())) reg->platform = props.os();
  }
  c.reg = std::move(reg);
  c.phase = Connection::Phase::kRegistration;
  send_pair_device(c);
}

void SimulatorImpl::send_pair_device(Connection& c) {
  Node pair = make_node("pair-device");
  c.reg->refs.clear();
  const int n = std::max(1, config_.refs_per_pair_device);
  for (int i = 0; i < n; ++i) {
    std::string ref = "2@" + core::base64_encode(random_.bytes(33));
    pair.add_child(make_node("ref", {}, core::to_bytes(ref)));
    c.reg->refs.push_back(std::move(ref));
  }
  c.reg->refs_issued = clock_.steady_now();
  send(c.id,
       make_node(
           "iq",
           {{"from", std::string(kServerJid)}, {"type", "set"}, {"id", new_id()}, {"xmlns", "md"}},
           Node::Children{std::move(pair)}));
}

void SimulatorImpl::scan_qr(const std::string& phone, const std::string& qr,
                            std::function<void(core::Result<std::string>)> done) {
  const size_t hash = qr.find('#');
  const auto parts = split(hash == std::string::npos ? qr : qr.substr(hash + 1), ',');
  if (parts.size() < 4)
    return done(core::Status::invalid_argument("QR needs ref,noise,identity,adv"));
  auto noise = core::base64_decode(parts[1]);
  auto ident = core::base64_decode(parts[2]);
  auto adv = core::base64_decode(parts[3]);
  if (!noise.ok() || !ident.ok() || !adv.ok() || adv->size() != 32) {
    return done(core::Status::invalid_argument("QR keys are not valid base64 keys"));
  }
  Connection* target = nullptr;
  size_t index = 0;
  for (auto& [id, c] : conns_) {
    if (c.phase != Connection::Phase::kRegistration || !c.reg) continue;
    auto it = std::find(c.reg->refs.begin(), c.reg->refs.end(), parts[0]);
    if (it != c.reg->refs.end()) {
      target = &c;
      index = static_cast<size_t>(it - c.reg->refs.begin());
      break;
    }
  }
  if (!target) return done(core::Status::not_found("no companion is showing this QR ref"));
  const auto expiry =
      target->reg->refs_issued + kFirstRefTtl + kNextRefTtl * static_cast<int>(index);
  if (clock_.steady_now() >= expiry) return done(core::Status::failed_precondition("expired"));
  Account* account = find_account(phone);
  if (!account) return done(core::Status::not_found("unknown account " + phone));
  if (!crypto::constant_time_equal(*noise, target->reg->noise_pub)) {
    return done(core::Status::permission_denied("QR noise key does not match the connection"));
  }
  if (!crypto::constant_time_equal(*ident, target->reg->identity_pub)) {
    return done(core::Status::permission_denied("QR identity does not match the registration"));
  }
  if (target->reg->pairing) return done(core::Status::failed_precondition("already pairing"));
  auto st = start_pair_success(*target, *account, *adv, done);
  if (!st.ok()) done(st);
}

core::Status SimulatorImpl::start_pair_success(
    Connection& c, Account& account, core::ByteView adv_secret,
    std::function<void(core::Result<std::string>)> done) {
  Registration& reg = *c.reg;
  const uint16_t device = account.next_device_id;
  const uint32_t key_index = account.next_key_index;

  waproto::ADVDeviceIdentity identity;
  identity.set_raw_id(account.adv_raw_id);
  identity.set_timestamp(static_cast<uint64_t>(clock_.unix_seconds()));
  identity.set_key_index(key_index);
  const core::Bytes details = as_bytes(identity.SerializeAsString());
  CORE_ASSIGN_OR_RETURN(
      core::Bytes account_sig,
      crypto::xeddsa_sign(account.identity.private_view(),
                          core::concat({kAccountSigPrefix, details, reg.identity_pub}), random_));
  waproto::ADVSignedDeviceIdentity signed_identity;
  signed_identity.set_details(core::to_string(details));
  signed_identity.set_account_signature_key(core::to_string(account.identity.public_view()));
  signed_identity.set_account_signature(core::to_string(account_sig));
  const core::Bytes signed_bytes = as_bytes(signed_identity.SerializeAsString());
  waproto::ADVSignedDeviceIdentityHMAC wrapper;
  wrapper.set_details(core::to_string(signed_bytes));
  wrapper.set_hmac(core::to_string(crypto::hmac_sha256(adv_secret, signed_bytes)));

  // Reserve the device id and key index now so two concurrent pairings never collide.
  ++account.next_device_id;
  ++account.next_key_index;
  persist(store_->save_account(account));

  const std::string iq_id = new_id();
  Node success = make_node("pair-success");
  success.add_child(make_node("device-identity", {}, as_bytes(wrapper.SerializeAsString())));
  success.add_child(make_node("platform", {{"name", "android"}}));
  success.add_child(make_node(
      "device", {{"jid", pn_jid(account.phone, device)}, {"lid", lid_jid(account.lid, device)}}));
  reg.pairing = Registration::Pairing{iq_id,   account.phone, device,         key_index,
                                      details, account_sig,   std::move(done)};
  const ConnId id = c.id;
  send(id, make_node("iq",
                     {{"from", std::string(kServerJid)},
                      {"type", "set"},
                      {"id", iq_id},
                      {"xmlns", "md"},
                      {"t", now_str()}},
                     Node::Children{std::move(success)}));
  scheduler_.after(kPairingTimeout, [this, id, iq_id] {
    Connection* conn = find_conn(id);
    if (conn && conn->reg && conn->reg->pairing && conn->reg->pairing->iq_id == iq_id) {
      finish_pairing(id, core::Status::deadline_exceeded("companion did not sign in time"));
      stream_error(id, 401);
    }
  });
  return {};
}

void SimulatorImpl::finish_pairing(ConnId id, core::Result<std::string> result) {
  Connection* c = find_conn(id);
  if (!c || !c->reg) return;
  std::function<void(core::Result<std::string>)> done;
  if (c->reg->pairing) {
    done = std::move(c->reg->pairing->done);
    c->reg->pairing.reset();
  }
  if (c->reg->link_code) c->reg->link_code.reset();
  if (done) done(std::move(result));
}

void SimulatorImpl::on_pair_device_sign(Connection& c, const Node& iq) {
  const ConnId id = c.id;
  Registration::Pairing pairing = *c.reg->pairing;
  if (iq.attr_or("type", "") == "error") {
    const Node* err = iq.child("error");
    std::string why = err ? err->attr_or("code", "") + " " + err->attr_or("text", "") : "";
    finish_pairing(id, core::Status::unauthenticated("companion rejected pair-success: " + why));
    close_conn(id);
    return;
  }
  auto fail = [&](std::string why) {
    finish_pairing(id, core::Status::unauthenticated(std::move(why)));
    stream_error(id, 401);
  };
  const Node* sign = iq.child("pair-device-sign");
  const Node* di = sign ? sign->child("device-identity") : nullptr;
  const core::Bytes* blob = di ? di->bytes() : nullptr;
  waproto::ADVSignedDeviceIdentity signed_identity;
  if (!blob || !signed_identity.ParseFromArray(blob->data(), static_cast<int>(blob->size()))) {
    return fail("pair-device-sign carries no ADVSignedDeviceIdentity");
  }
  Account* account = find_account(pairing.phone);
  if (!account) return fail("account vanished during pairing");
  if (as_bytes(signed_identity.details()) != pairing.details) {
    return fail("pair-device-sign details differ from the ADV we issued");
  }
  const core::Bytes msg = core::concat(
      {kDeviceSigPrefix, pairing.details, c.reg->identity_pub, account->identity.public_view()});
  if (!crypto::xeddsa_verify(c.reg->identity_pub, msg,
                             as_bytes(signed_identity.device_signature()))) {
    return fail("device signature does not verify");
  }
  signed_identity.set_account_signature_key(core::to_string(account->identity.public_view()));
  signed_identity.set_account_signature(core::to_string(pairing.account_signature));

  Device d;
  d.id = pairing.device;
  d.noise_key = c.reg->noise_pub;
  d.identity = c.reg->identity_pub;
  d.registration_id = c.reg->registration_id;
  d.skey = c.reg->skey;
  d.key_index = pairing.key_index;
  d.adv = as_bytes(signed_identity.SerializeAsString());
  d.platform = c.reg->platform;
  persist(store_->save_device(account->phone, d));
  account->devices[d.id] = std::move(d);

  const std::string jid = pn_jid(account->phone, pairing.device);
  send_devices_notification(*account, pairing.device, /*add=*/true);
  finish_pairing(id, jid);
  stream_error(id, 515);
}

// --- login -----------------------------------------------------------------------------------

void SimulatorImpl::handle_login(Connection& c, const waproto::ClientPayload& payload) {
  const ConnId id = c.id;
  const std::string phone = std::to_string(payload.username());
  if (apply_connect_faults(c, phone)) return;
  auto failure = [&](int reason) {
    send(id, make_node("failure", {{"reason", std::to_string(reason)}}));
    close_conn(id);
  };
  if (auto reason = take_reject_login(phone)) return failure(*reason);
  Account* a = find_account(phone);
  if (!a || !payload.has_device() || payload.device() > 0xffff) return failure(401);
  const uint16_t device = static_cast<uint16_t>(payload.device());
  auto dit = a->devices.find(device);
  if (device == 0 || dit == a->devices.end() ||
      !crypto::constant_time_equal(dit->second.noise_key, c.client_static)) {
    return failure(401);
  }
  // A second connection of the same device replaces the first.
  if (Connection* old = device_conn(phone, device); old && old->id != id) {
    stream_error(old->id, 0, make_node("conflict", {{"type", "replaced"}}));
  }
  Connection* cur = find_conn(id);
  if (!cur) return;
  cur->phase = Connection::Phase::kLoggedIn;
  cur->phone = phone;
  cur->device = device;
  cur->passive = payload.passive();
  device_conns_[{phone, device}] = id;
  if (!payload.push_name().empty()) a->push_name = payload.push_name();
  send(id, make_node("success", {{"t", now_str()}, {"lid", lid_jid(a->lid, device)}}));
  // A passive login waits for `passive active` before its offline queue (§4.5).
  if (!payload.passive()) flush_queue(id);
}

// --- md iqs: logout and pairing by code -------------------------------------------------------

void SimulatorImpl::handle_md_iq(Connection& c, const Node& iq) {
  if (const Node* reg = iq.child("link_code_companion_reg")) {
    return handle_link_code_reg(c, iq, *reg);
  }
  if (const Node* rm = iq.child("remove-companion-device")) {
    if (c.phase != Connection::Phase::kLoggedIn) {
      return send(c.id, iq_error(iq, 401, "not-authorized"));
    }
    auto addr = resolve(rm->attr_or("jid", ""));
    if (!addr || addr->account->phone != c.phone || addr->device == 0 ||
        !addr->account->devices.count(addr->device)) {
      return send(c.id, iq_error(iq, 404, "item-not-found"));
    }
    const ConnId id = c.id;
    const std::string phone = c.phone;
    send(id, iq_result(iq));
    // The requesting connection logs itself out; only other connections get device_removed.
    Connection* victim = device_conn(phone, addr->device);
    if (victim && victim->id != id) {
      stream_error(victim->id, 401, make_node("conflict", {{"type", "device_removed"}}));
    }
    Account* a = find_account(phone);
    a->devices.erase(addr->device);
    persist(store_->delete_device(phone, addr->device));
    send_devices_notification(*a, addr->device, /*add=*/false);
    return;
  }
  if (c.phase == Connection::Phase::kLoggedIn) send(c.id, iq_result(iq));
}

void SimulatorImpl::handle_link_code_reg(Connection& c, const Node& iq, const Node& reg) {
  const ConnId id = c.id;
  if (c.phase != Connection::Phase::kRegistration || !c.reg) {
    return send(id, iq_error(iq, 400, "bad-request"));
  }
  auto child_bytes = [&](std::string_view tag) -> core::Bytes {
    const Node* n = reg.child(tag);
    return n && n->bytes() ? *n->bytes() : core::Bytes{};
  };
  const std::string stage = reg.attr_or("stage", "");
  if (stage == "companion_hello") {
    auto jid = wa::binary::parse_jid(reg.attr_or("jid", ""));
    if (!jid.ok() || !find_account(jid->user)) return send(id, iq_error(iq, 404, "item-not-found"));
    core::Bytes wrapped = child_bytes("link_code_pairing_wrapped_companion_ephemeral_pub");
    if (wrapped.size() != 80) return send(id, iq_error(iq, 400, "bad-request"));
    Registration::LinkCode link;
    link.phone = jid->user;
    link.ref = "2@" + core::base64_encode(random_.bytes(24));
    link.wrapped_companion_ephemeral = std::move(wrapped);
    const std::string ref = link.ref;
    c.reg->link_code = std::move(link);
    Node result = iq_result(iq);
    result.add_child(
        make_node("link_code_companion_reg", {},
                  Node::Children{make_node("link_code_pairing_ref", {}, core::to_bytes(ref))}));
    return send(id, result);
  }
  if (stage != "companion_finish") return send(id, iq_error(iq, 400, "bad-request"));

  if (!c.reg->link_code || !c.reg->link_code->entered) {
    return send(id, iq_error(iq, 400, "bad-request"));
  }
  Registration::LinkCode& link = *c.reg->link_code;
  auto fail = [&](std::string why) {
    auto done = std::move(c.reg->link_code->done);
    c.reg->link_code.reset();
    send(id, iq_error(iq, 401, "not-authorized"));
    if (done) done(core::Status::unauthenticated(std::move(why)));
  };
  if (core::to_string(child_bytes("link_code_pairing_ref")) != link.ref) {
    return fail("pair code ref mismatch");
  }
  Account* account = find_account(link.phone);
  if (!account) return fail("account vanished during pairing");
  const core::Bytes bundle = child_bytes("link_code_pairing_wrapped_key_bundle");
  if (bundle.size() < 32 + 12 + 16 + 96) return fail("key bundle too short");
  const core::ByteView bv(bundle);
  auto eph_shared =
      crypto::x25519(link.primary_ephemeral.private_view(), link.companion_ephemeral_pub);
  if (!eph_shared.ok()) return fail("bad companion ephemeral (wrong code?)");
  auto bundle_key =
      crypto::hkdf_sha256(*eph_shared, bv.subspan(0, 32),
                          core::as_view("link_code_pairing_key_bundle_encryption_key"), 32);
  if (!bundle_key.ok()) return fail("hkdf failed");
  auto plain = crypto::aes256_gcm_decrypt(*bundle_key, bv.subspan(32, 12), bv.subspan(44), {});
  if (!plain.ok() || plain->size() != 96) return fail("key bundle does not decrypt (wrong code?)");
  const core::ByteView pv(*plain);
  const core::ByteView companion_identity = pv.subspan(0, 32);
  if (!crypto::constant_time_equal(companion_identity, c.reg->identity_pub) ||
      !crypto::constant_time_equal(pv.subspan(32, 32), account->identity.public_view())) {
    return fail("key bundle names other identities");
  }
  auto id_shared = crypto::x25519(account->identity.private_view(), companion_identity);
  if (!id_shared.ok()) return fail("bad companion identity");
  auto adv_secret = crypto::hkdf_sha256(core::concat({*eph_shared, *id_shared, pv.subspan(64, 32)}),
                                        {}, core::as_view("adv_secret"), 32);
  if (!adv_secret.ok()) return fail("hkdf failed");
  auto done = std::move(link.done);
  c.reg->link_code.reset();
  send(id, iq_result(iq));
  Connection* cur = find_conn(id);
  if (!cur || !cur->reg) return;
  auto st = start_pair_success(*cur, *account, *adv_secret, done);
  if (!st.ok() && done) done(st);
}

void SimulatorImpl::enter_pair_code(const std::string& phone, const std::string& code_in,
                                    std::function<void(core::Result<std::string>)> done) {
  std::string code;
  for (char ch : code_in)
    if (ch != '-' && ch != ' ')
      code += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (code.size() != 8) return done(core::Status::invalid_argument("pair code is 8 characters"));
  Connection* target = nullptr;
  for (auto& [id, c] : conns_) {
    if (c.phase == Connection::Phase::kRegistration && c.reg && c.reg->link_code &&
        c.reg->link_code->phone == phone && !c.reg->link_code->entered) {
      target = &c;
    }
  }
  if (!target)
    return done(core::Status::not_found("no companion is waiting for a code for " + phone));
  Account* account = find_account(phone);
  if (!account) return done(core::Status::not_found("unknown account " + phone));
  Registration::LinkCode& link = *target->reg->link_code;
  auto companion_eph = unwrap_link_key(code, link.wrapped_companion_ephemeral);
  if (!companion_eph.ok()) return done(companion_eph.status());
  link.companion_ephemeral_pub = std::move(companion_eph).value();
  link.primary_ephemeral = crypto::generate_key_pair(random_);
  const core::Bytes salt = random_.bytes(32);
  const core::Bytes iv = random_.bytes(16);
  auto key = crypto::pbkdf2_sha256(core::as_view(code), salt, kPairCodeIterations, 32);
  if (!key.ok()) return done(key.status());
  auto ct = crypto::aes_ctr(*key, iv, link.primary_ephemeral.public_view());
  if (!ct.ok()) return done(ct.status());
  link.entered = true;
  link.done = std::move(done);
  Node reg = make_node("link_code_companion_reg", {{"stage", "primary_hello"}});
  reg.add_child(make_node("link_code_pairing_ref", {}, core::to_bytes(link.ref)));
  reg.add_child(make_node("link_code_pairing_wrapped_primary_ephemeral_pub", {},
                          core::concat({salt, iv, *ct})));
  reg.add_child(
      make_node("primary_identity_pub", {}, core::to_bytes(account->identity.public_view())));
  send(target->id, make_node("notification",
                             {{"from", std::string(kServerJid)},
                              {"type", "link_code_companion_reg"},
                              {"id", new_id()},
                              {"t", now_str()}},
                             Node::Children{std::move(reg)}));
}

}  // namespace sim
