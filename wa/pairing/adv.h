// ADV device identity at pairing (wa-protocol.md §5.2): the companion side of pair-success.
// We check everything Baileys skips: the HMAC keyed by our ADV secret, then the phone's account
// signature over [6,0] ‖ details ‖ our identity key ([6,5] for hosted devices). Only then do we
// add our device signature over [6,1] ‖ details ‖ our identity ‖ account key ([6,6] hosted) and
// build the pair-device-sign reply (account key removed). A mismatch refuses the pairing.
//
// Threading: pure functions; randomness (XEdDSA nonce) from the Random passed in.
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"

namespace wa::pairing {

struct AdvSigned {
  core::Bytes account;  // full ADVSignedDeviceIdentity incl. accountSignatureKey (stored,
                        // sent as <device-identity> with pkmsgs)
  core::Bytes reply;    // the same without accountSignatureKey (pair-device-sign content)
  core::Bytes account_signature_key;  // the phone's identity key (32 bytes)
  uint32_t key_index = 0;
  bool hosted = false;
};

// `hmac_container` is the <device-identity> content of pair-success (ADVSignedDeviceIdentityHMAC).
// Unauthenticated("hmac-mismatch") or Unauthenticated("signature-mismatch") on a bad check;
// InvalidArgument for malformed protobufs.
core::Result<AdvSigned> verify_and_sign_device_identity(core::ByteView hmac_container,
                                                        core::ByteView adv_secret,
                                                        const crypto::KeyPair& identity,
                                                        core::Random& random);

// The phone's side (used by tests and tools): builds ADVSignedDeviceIdentityHMAC for a
// companion identity, signed by account_identity and keyed by adv_secret.
core::Result<core::Bytes> make_device_identity_hmac(const crypto::KeyPair& account_identity,
                                                    core::ByteView companion_identity_pub,
                                                    core::ByteView adv_secret, uint32_t key_index,
                                                    uint64_t timestamp, bool hosted,
                                                    core::Random& random);

}  // namespace wa::pairing
