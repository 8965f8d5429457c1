#include "wa/pairing/adv.h"

#include "crypto/hmac.h"
#include "crypto/util.h"
#include "proto/adv.pb.h"

namespace wa::pairing {
namespace {

core::Bytes to_bytes(const std::string& s) { return core::Bytes(s.begin(), s.end()); }

}  // namespace

core::Result<AdvSigned> verify_and_sign_device_identity(core::ByteView hmac_container,
                                                        core::ByteView adv_secret,
                                                        const crypto::KeyPair& identity,
                                                        core::Random& random) {
  waproto::ADVSignedDeviceIdentityHMAC container;
  if (!container.ParseFromArray(hmac_container.data(), static_cast<int>(hmac_container.size())) ||
      !container.has_details() || !container.has_hmac()) {
    return core::Status::invalid_argument("malformed ADVSignedDeviceIdentityHMAC");
  }
  bool hosted_account = container.account_type() == waproto::HOSTED;
  core::Bytes hmac_input;
  if (hosted_account) hmac_input = {6, 5};
  core::append(hmac_input, core::as_view(container.details()));
  auto expected = crypto::hmac_sha256(adv_secret, hmac_input);
  if (!crypto::constant_time_equal(expected, core::as_view(container.hmac()))) {
    return core::Status::unauthenticated("hmac-mismatch");
  }

  waproto::ADVSignedDeviceIdentity signed_identity;
  if (!signed_identity.ParseFromString(container.details()) || !signed_identity.has_details() ||
      signed_identity.account_signature_key().size() != 32 ||
      signed_identity.account_signature().size() != 64) {
    return core::Status::invalid_argument("malformed ADVSignedDeviceIdentity");
  }
  waproto::ADVDeviceIdentity details;
  if (!details.ParseFromString(signed_identity.details())) {
    return core::Status::invalid_argument("malformed ADVDeviceIdentity");
  }
  bool hosted = details.device_type() == waproto::HOSTED;

  core::Bytes account_msg = hosted ? core::Bytes{6, 5} : core::Bytes{6, 0};
  core::append(account_msg, core::as_view(signed_identity.details()));
  core::append(account_msg, identity.public_view());
  if (!crypto::xeddsa_verify(core::as_view(signed_identity.account_signature_key()), account_msg,
                             core::as_view(signed_identity.account_signature()))) {
    return core::Status::unauthenticated("signature-mismatch");
  }

  core::Bytes device_msg = hosted ? core::Bytes{6, 6} : core::Bytes{6, 1};
  core::append(device_msg, core::as_view(signed_identity.details()));
  core::append(device_msg, identity.public_view());
  core::append(device_msg, core::as_view(signed_identity.account_signature_key()));
  auto device_sig = crypto::xeddsa_sign(identity.private_view(), device_msg, random);
  if (!device_sig.ok()) return device_sig.status();
  signed_identity.set_device_signature(device_sig->data(), device_sig->size());

  AdvSigned out;
  out.account = to_bytes(signed_identity.SerializeAsString());
  out.account_signature_key = to_bytes(signed_identity.account_signature_key());
  signed_identity.clear_account_signature_key();
  out.reply = to_bytes(signed_identity.SerializeAsString());
  out.key_index = details.key_index();
  out.hosted = hosted;
  return out;
}

core::Result<core::Bytes> make_device_identity_hmac(const crypto::KeyPair& account_identity,
                                                    core::ByteView companion_identity_pub,
                                                    core::ByteView adv_secret, uint32_t key_index,
                                                    uint64_t timestamp, bool hosted,
                                                    core::Random& random) {
  waproto::ADVDeviceIdentity details;
  details.set_raw_id(random.next_u32());
  details.set_timestamp(timestamp);
  details.set_key_index(key_index);
  if (hosted) {
    details.set_account_type(waproto::HOSTED);
    details.set_device_type(waproto::HOSTED);
  }
  std::string details_bytes = details.SerializeAsString();
  core::Bytes msg = hosted ? core::Bytes{6, 5} : core::Bytes{6, 0};
  core::append(msg, core::as_view(details_bytes));
  core::append(msg, companion_identity_pub);
  auto sig = crypto::xeddsa_sign(account_identity.private_view(), msg, random);
  if (!sig.ok()) return sig.status();
  waproto::ADVSignedDeviceIdentity signed_identity;
  signed_identity.set_details(details_bytes);
  signed_identity.set_account_signature_key(account_identity.public_key.data(), 32);
  signed_identity.set_account_signature(sig->data(), sig->size());
  std::string signed_bytes = signed_identity.SerializeAsString();
  core::Bytes hmac_input;
  if (hosted) hmac_input = {6, 5};
  core::append(hmac_input, core::as_view(signed_bytes));
  auto mac = crypto::hmac_sha256(adv_secret, hmac_input);
  waproto::ADVSignedDeviceIdentityHMAC container;
  container.set_details(signed_bytes);
  container.set_hmac(mac.data(), mac.size());
  if (hosted) container.set_account_type(waproto::HOSTED);
  return to_bytes(container.SerializeAsString());
}

}  // namespace wa::pairing
