// The Noise server certificate chain (wa-protocol.md §1.6): root → intermediate → leaf, each a
// CertChain.NoiseCertificate whose serialized Details are XEdDSA-signed by the issuer's
// Curve25519 key. The simulator creates chains with its own root; the client verifies the chain
// carried in serverHello against a configured trusted root (the real WhatsApp key by default,
// the simulator's root in sandbox and tests).
//
// Ownership: plain functions over byte views; nothing is retained.
// Threading: pure functions (create_cert_chain draws from the Random passed in).
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"

namespace wa::noise {

// WhatsApp's long-term root ("WhatsAppLongTerm1", serial 0), raw Curve25519 public key.
// Source of the fact: Baileys WA_CERT_DETAILS.PUBLIC_KEY / whatsmeow WACertPubKey.
constexpr std::array<uint8_t, 32> kWhatsAppRootKey{
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b};

// The root's serial; an intermediate must name it as its issuer.
constexpr uint32_t kRootSerial = 0;

// Everything the simulator needs to issue leaves for its static keys.
struct CertChainKeys {
  crypto::KeyPair root;
  crypto::KeyPair intermediate;
  uint32_t intermediate_serial = 0;
  uint32_t leaf_serial = 0;
};

// Serialized CertChain{leaf, intermediate}: intermediate Details {serial = intermediate_serial,
// issuerSerial = 0, key = intermediate.pub} signed by root; leaf Details {serial = leaf_serial,
// issuerSerial = intermediate_serial, key = leaf_static_pub} signed by intermediate. Both carry
// the same validity window (unix seconds). InvalidArgument if leaf_static_pub is not 32 bytes or
// the window is negative.
core::Result<core::Bytes> create_cert_chain(const crypto::KeyPair& root,
                                            const crypto::KeyPair& intermediate,
                                            core::ByteView leaf_static_pub,
                                            uint32_t intermediate_serial, uint32_t leaf_serial,
                                            int64_t not_before, int64_t not_after,
                                            core::Random& random);

// Convenience overload for the simulator.
core::Result<core::Bytes> create_cert_chain(const CertChainKeys& keys,
                                            core::ByteView leaf_static_pub, int64_t not_before,
                                            int64_t not_after, core::Random& random);

// The whatsmeow checks plus validity windows, in this order:
//  * chain, both certificates, their details and 64-byte signatures are present and parse
//    (else InvalidArgument);
//  * trusted root verifies the intermediate signature (Unauthenticated);
//  * intermediate issuer serial is 0 (Unauthenticated) and its key is 32 bytes (InvalidArgument);
//  * intermediate verifies the leaf signature (Unauthenticated);
//  * leaf issuer serial equals the intermediate serial (Unauthenticated);
//  * both windows contain now_unix: "certificate not yet valid" / "certificate expired"
//    (Unauthenticated). An absent notBefore/notAfter field leaves that side open;
//  * leaf key equals server_static_pub, the static key decrypted from serverHello
//    (Unauthenticated).
// trusted_root_pub must be 32 bytes (else InvalidArgument).
core::Status verify_cert_chain(core::ByteView chain_bytes, core::ByteView trusted_root_pub,
                               core::ByteView server_static_pub, int64_t now_unix);

}  // namespace wa::noise
