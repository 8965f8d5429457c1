#include "wa/noise/cert_chain.h"

#include <string>

#include "crypto/util.h"
#include "proto/handshake.pb.h"

namespace wa::noise {
namespace {

using CertDetails = waproto::CertChain_NoiseCertificate_Details;

core::ByteView view_of(const std::string& s) { return core::as_view(s); }

core::Status sign_certificate(const CertDetails& details, core::ByteView issuer_private,
                              core::Random& random, waproto::CertChain_NoiseCertificate* out) {
  std::string details_bytes;
  if (!details.SerializeToString(&details_bytes)) {
    return core::Status::internal("cannot serialize certificate details");
  }
  CORE_ASSIGN_OR_RETURN(core::Bytes signature,
                        crypto::xeddsa_sign(issuer_private, view_of(details_bytes), random));
  out->set_details(std::move(details_bytes));
  out->set_signature(core::to_string(signature));
  return core::Status();
}

// Checks presence and shape of one certificate and parses its details.
core::Status parse_certificate(const waproto::CertChain_NoiseCertificate& cert,
                               std::string_view which, CertDetails* details) {
  if (cert.details().empty()) {
    return core::Status::invalid_argument(std::string(which) + " certificate has no details");
  }
  if (cert.signature().size() != crypto::kSignatureSize) {
    return core::Status::invalid_argument(std::string(which) + " certificate signature is " +
                                          std::to_string(cert.signature().size()) +
                                          " bytes, expected 64");
  }
  if (!details->ParseFromString(cert.details())) {
    return core::Status::invalid_argument(std::string(which) +
                                          " certificate details are malformed");
  }
  return core::Status();
}

core::Status check_window(const CertDetails& details, std::string_view which, int64_t now) {
  // An absent bound is open (the field is optional in the wire format). Bounds are uint64; a
  // negative clock is before any notBefore and after no notAfter.
  if (details.has_not_before() && (now < 0 || static_cast<uint64_t>(now) < details.not_before())) {
    return core::Status::unauthenticated(std::string(which) + " certificate not yet valid");
  }
  if (details.has_not_after() && now >= 0 && static_cast<uint64_t>(now) > details.not_after()) {
    return core::Status::unauthenticated(std::string(which) + " certificate expired");
  }
  return core::Status();
}

}  // namespace

core::Result<core::Bytes> create_cert_chain(const crypto::KeyPair& root,
                                            const crypto::KeyPair& intermediate,
                                            core::ByteView leaf_static_pub,
                                            uint32_t intermediate_serial, uint32_t leaf_serial,
                                            int64_t not_before, int64_t not_after,
                                            core::Random& random) {
  if (leaf_static_pub.size() != crypto::kCurveKeySize) {
    return core::Status::invalid_argument("leaf static key must be 32 bytes");
  }
  if (not_before < 0 || not_after < 0) {
    return core::Status::invalid_argument("certificate validity window must be non-negative");
  }

  waproto::CertChain chain;

  CertDetails intermediate_details;
  intermediate_details.set_serial(intermediate_serial);
  intermediate_details.set_issuer_serial(kRootSerial);
  intermediate_details.set_key(core::to_string(intermediate.public_view()));
  intermediate_details.set_not_before(static_cast<uint64_t>(not_before));
  intermediate_details.set_not_after(static_cast<uint64_t>(not_after));
  CORE_RETURN_IF_ERROR(sign_certificate(intermediate_details, root.private_view(), random,
                                        chain.mutable_intermediate()));

  CertDetails leaf_details;
  leaf_details.set_serial(leaf_serial);
  leaf_details.set_issuer_serial(intermediate_serial);
  leaf_details.set_key(core::to_string(leaf_static_pub));
  leaf_details.set_not_before(static_cast<uint64_t>(not_before));
  leaf_details.set_not_after(static_cast<uint64_t>(not_after));
  CORE_RETURN_IF_ERROR(
      sign_certificate(leaf_details, intermediate.private_view(), random, chain.mutable_leaf()));

  std::string out;
  if (!chain.SerializeToString(&out)) {
    return core::Status::internal("cannot serialize certificate chain");
  }
  return core::to_bytes(out);
}

core::Result<core::Bytes> create_cert_chain(const CertChainKeys& keys,
                                            core::ByteView leaf_static_pub, int64_t not_before,
                                            int64_t not_after, core::Random& random) {
  return create_cert_chain(keys.root, keys.intermediate, leaf_static_pub, keys.intermediate_serial,
                           keys.leaf_serial, not_before, not_after, random);
}

core::Status verify_cert_chain(core::ByteView chain_bytes, core::ByteView trusted_root_pub,
                               core::ByteView server_static_pub, int64_t now_unix) {
  if (trusted_root_pub.size() != crypto::kCurveKeySize) {
    return core::Status::invalid_argument("trusted root key must be 32 bytes");
  }
  waproto::CertChain chain;
  // Chains arrive inside one frame; anything larger cannot be one and would overflow protobuf's
  // int length.
  if (chain_bytes.empty() || chain_bytes.size() > (1u << 24) ||
      !chain.ParseFromArray(chain_bytes.data(), static_cast<int>(chain_bytes.size()))) {
    return core::Status::invalid_argument("malformed certificate chain");
  }
  if (!chain.has_intermediate()) {
    return core::Status::invalid_argument("certificate chain has no intermediate certificate");
  }
  if (!chain.has_leaf()) {
    return core::Status::invalid_argument("certificate chain has no leaf certificate");
  }

  CertDetails intermediate;
  CORE_RETURN_IF_ERROR(parse_certificate(chain.intermediate(), "intermediate", &intermediate));
  CertDetails leaf;
  CORE_RETURN_IF_ERROR(parse_certificate(chain.leaf(), "leaf", &leaf));

  if (!crypto::xeddsa_verify(trusted_root_pub, view_of(chain.intermediate().details()),
                             view_of(chain.intermediate().signature()))) {
    return core::Status::unauthenticated(
        "intermediate certificate signature does not verify against the trusted root");
  }
  if (intermediate.issuer_serial() != kRootSerial) {
    return core::Status::unauthenticated("intermediate certificate issuer serial " +
                                         std::to_string(intermediate.issuer_serial()) +
                                         " is not the root serial 0");
  }
  if (intermediate.key().size() != crypto::kCurveKeySize) {
    return core::Status::invalid_argument("intermediate certificate key is " +
                                          std::to_string(intermediate.key().size()) +
                                          " bytes, expected 32");
  }
  if (!crypto::xeddsa_verify(view_of(intermediate.key()), view_of(chain.leaf().details()),
                             view_of(chain.leaf().signature()))) {
    return core::Status::unauthenticated(
        "leaf certificate signature does not verify against the intermediate key");
  }
  if (leaf.issuer_serial() != intermediate.serial()) {
    return core::Status::unauthenticated(
        "leaf certificate issuer serial " + std::to_string(leaf.issuer_serial()) +
        " does not match intermediate serial " + std::to_string(intermediate.serial()));
  }
  CORE_RETURN_IF_ERROR(check_window(intermediate, "intermediate", now_unix));
  CORE_RETURN_IF_ERROR(check_window(leaf, "leaf", now_unix));
  if (!crypto::constant_time_equal(view_of(leaf.key()), server_static_pub)) {
    return core::Status::unauthenticated(
        "leaf certificate key does not match the server static key");
  }
  return core::Status();
}

}  // namespace wa::noise
