#include "wa/pairing/credentials.h"

#include "crypto/hash.h"
#include "proto/client_payload.pb.h"
#include "wa/binary/jid.h"
#include "wa/signal/keys.h"

namespace wa::pairing {
namespace {

void fill_base(waproto::ClientPayload& p, const DeviceConfig& config) {
  auto* ua = p.mutable_user_agent();
  ua->set_platform(waproto::ClientPayload::UserAgent::WEB);
  auto* v = ua->mutable_app_version();
  v->set_primary(config.version[0]);
  v->set_secondary(config.version[1]);
  v->set_tertiary(config.version[2]);
  ua->set_mcc("000");
  ua->set_mnc("000");
  ua->set_os_version("0.1");
  ua->set_device("Desktop");
  ua->set_os_build_number("0.1");
  ua->set_release_channel(waproto::ClientPayload::UserAgent::RELEASE);
  ua->set_locale_language_iso6391("en");
  ua->set_locale_country_iso31661_alpha2("US");
  p.mutable_web_info()->set_web_sub_platform(waproto::ClientPayload::WebInfo::WEB_BROWSER);
  p.set_connect_type(waproto::ClientPayload::WIFI_UNKNOWN);
  p.set_connect_reason(waproto::ClientPayload::USER_ACTIVATED);
}

core::Bytes serialize(const google::protobuf::MessageLite& m) {
  std::string s = m.SerializeAsString();
  return core::Bytes(s.begin(), s.end());
}

}  // namespace

store::DeviceCredentials new_credentials(core::Random& random) {
  store::DeviceCredentials c;
  c.noise_key = signal::to_stored(crypto::generate_key_pair(random));
  auto identity = signal::generate_identity_key_pair(random);
  c.identity_key = signal::to_stored(identity);
  c.registration_id = signal::generate_registration_id(random);
  auto spk = signal::generate_signed_pre_key(identity, 1, random);
  if (spk.ok()) c.signed_pre_key = signal::to_stored(*spk);
  c.adv_secret_key = random.bytes(32);
  c.next_pre_key_id = 1;
  c.first_unuploaded_pre_key_id = 1;
  return c;
}

std::string version_string(const DeviceConfig& config) {
  return std::to_string(config.version[0]) + "." + std::to_string(config.version[1]) + "." +
         std::to_string(config.version[2]);
}

core::Result<core::Bytes> registration_payload(const store::DeviceCredentials& creds,
                                               const DeviceConfig& config) {
  waproto::ClientPayload p;
  fill_base(p, config);
  p.set_passive(false);
  p.set_pull(false);
  waproto::DeviceProps props;
  props.set_os(config.os);
  auto* pv = props.mutable_version();
  pv->set_primary(10);
  pv->set_secondary(15);
  pv->set_tertiary(7);
  props.set_platform_type(static_cast<waproto::DeviceProps::PlatformType>(config.platform_type));
  props.set_require_full_sync(false);
  auto* hs = props.mutable_history_sync_config();
  hs->set_storage_quota_mb(10240);
  hs->set_inline_initial_payload_in_e2ee_msg(true);
  hs->set_support_call_log_history(false);
  hs->set_support_group_history(false);

  auto* d = p.mutable_device_pairing_data();
  auto regid = core::uint_be_bytes(creds.registration_id, 4);
  d->set_e_regid(regid.data(), regid.size());
  d->set_e_keytype(std::string(1, '\x05'));
  d->set_e_ident(creds.identity_key.public_key.data(), 32);
  auto skid = core::uint_be_bytes(creds.signed_pre_key.id, 3);
  d->set_e_skey_id(skid.data(), skid.size());
  d->set_e_skey_val(creds.signed_pre_key.key_pair.public_key.data(), 32);
  if (creds.signed_pre_key.signature.size() != 64) {
    return core::Status::failed_precondition("signed pre-key has no signature");
  }
  d->set_e_skey_sig(creds.signed_pre_key.signature.data(), 64);
  auto hash = crypto::md5(core::as_view(version_string(config)));
  d->set_build_hash(hash.data(), hash.size());
  d->set_device_props(props.SerializeAsString());
  return serialize(p);
}

core::Result<core::Bytes> login_payload(const store::DeviceCredentials& creds,
                                        const DeviceConfig& config) {
  auto jid = binary::parse_jid(creds.me_pn_jid);
  if (!jid.ok() || jid->user.empty()) {
    return core::Status::failed_precondition("device is not paired (no PN JID)");
  }
  uint64_t username = 0;
  for (char c : jid->user) {
    if (c < '0' || c > '9') return core::Status::invalid_argument("PN user is not numeric");
    username = username * 10 + static_cast<uint64_t>(c - '0');
  }
  waproto::ClientPayload p;
  fill_base(p, config);
  p.set_username(username);
  p.set_device(jid->device);
  p.set_passive(true);
  p.set_pull(true);
  p.set_lid_db_migrated(false);
  if (!config.push_name.empty()) p.set_push_name(config.push_name);
  return serialize(p);
}

}  // namespace wa::pairing
