#include "wa/noise/cert_chain.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/encoding.h"
#include "proto/handshake.pb.h"

namespace wa::noise {
namespace {

constexpr int64_t kNotBefore = 1'600'000'000;
constexpr int64_t kNotAfter = 1'900'000'000;
constexpr int64_t kNow = 1'700'000'000;

using Details = waproto::CertChain_NoiseCertificate_Details;

class CertChainTest : public ::testing::Test {
 protected:
  CertChainTest()
      : root_(crypto::generate_key_pair(random_)),
        intermediate_(crypto::generate_key_pair(random_)),
        leaf_(crypto::generate_key_pair(random_)) {}

  core::Bytes valid_chain() {
    auto chain = create_cert_chain(root_, intermediate_, leaf_.public_view(), 7, 9, kNotBefore,
                                   kNotAfter, random_);
    EXPECT_TRUE(chain.ok()) << chain.status().to_string();
    return *chain;
  }

  core::Status verify(core::ByteView chain, int64_t now = kNow) {
    return verify_cert_chain(chain, root_.public_view(), leaf_.public_view(), now);
  }

  // Builds a chain from explicit details, each signed by the given key, for the negative cases
  // create_cert_chain refuses to produce.
  core::Bytes custom_chain(const Details& inter, const crypto::KeyPair& inter_signer,
                           const Details& leaf, const crypto::KeyPair& leaf_signer) {
    waproto::CertChain chain;
    sign_into(inter, inter_signer, chain.mutable_intermediate());
    sign_into(leaf, leaf_signer, chain.mutable_leaf());
    return core::to_bytes(chain.SerializeAsString());
  }

  void sign_into(const Details& d, const crypto::KeyPair& signer,
                 waproto::CertChain_NoiseCertificate* out) {
    std::string bytes = d.SerializeAsString();
    auto sig = crypto::xeddsa_sign(signer.private_view(), core::as_view(bytes), random_);
    ASSERT_TRUE(sig.ok());
    out->set_details(bytes);
    out->set_signature(core::to_string(*sig));
  }

  Details inter_details() {
    Details d;
    d.set_serial(7);
    d.set_issuer_serial(0);
    d.set_key(core::to_string(intermediate_.public_view()));
    d.set_not_before(kNotBefore);
    d.set_not_after(kNotAfter);
    return d;
  }
  Details leaf_details() {
    Details d;
    d.set_serial(9);
    d.set_issuer_serial(7);
    d.set_key(core::to_string(leaf_.public_view()));
    d.set_not_before(kNotBefore);
    d.set_not_after(kNotAfter);
    return d;
  }

  // Rewrites one certificate of a valid chain.
  core::Bytes mutate(const core::Bytes& chain_bytes, bool leaf,
                     void (*fn)(waproto::CertChain_NoiseCertificate*)) {
    waproto::CertChain chain;
    EXPECT_TRUE(chain.ParseFromArray(chain_bytes.data(), static_cast<int>(chain_bytes.size())));
    fn(leaf ? chain.mutable_leaf() : chain.mutable_intermediate());
    return core::to_bytes(chain.SerializeAsString());
  }

  core::FakeRandom random_{1234};
  crypto::KeyPair root_, intermediate_, leaf_;
};

void expect_error(const core::Status& s, core::StatusCode code, std::string_view needle) {
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.to_string();
}

TEST(WhatsAppRootKey, MatchesPublishedHex) {
  EXPECT_EQ(core::hex_encode(kWhatsAppRootKey),
            "142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b");
}

TEST_F(CertChainTest, CreatedChainHasDocumentedLayout) {
  core::Bytes bytes = valid_chain();
  waproto::CertChain chain;
  ASSERT_TRUE(chain.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  Details inter, leaf;
  ASSERT_TRUE(inter.ParseFromString(chain.intermediate().details()));
  ASSERT_TRUE(leaf.ParseFromString(chain.leaf().details()));
  EXPECT_EQ(inter.serial(), 7u);
  EXPECT_EQ(inter.issuer_serial(), 0u);
  EXPECT_EQ(core::to_bytes(core::as_view(inter.key())),
            core::to_bytes(intermediate_.public_view()));
  EXPECT_EQ(leaf.serial(), 9u);
  EXPECT_EQ(leaf.issuer_serial(), 7u);
  EXPECT_EQ(core::to_bytes(core::as_view(leaf.key())), core::to_bytes(leaf_.public_view()));
  EXPECT_EQ(inter.not_before(), static_cast<uint64_t>(kNotBefore));
  EXPECT_EQ(leaf.not_after(), static_cast<uint64_t>(kNotAfter));
  EXPECT_EQ(chain.intermediate().signature().size(), 64u);
  EXPECT_TRUE(crypto::xeddsa_verify(root_.public_view(),
                                    core::as_view(chain.intermediate().details()),
                                    core::as_view(chain.intermediate().signature())));
  EXPECT_TRUE(crypto::xeddsa_verify(intermediate_.public_view(),
                                    core::as_view(chain.leaf().details()),
                                    core::as_view(chain.leaf().signature())));
}

TEST_F(CertChainTest, ValidChainPasses) {
  core::Bytes chain = valid_chain();
  EXPECT_TRUE(verify(chain).ok()) << verify(chain).to_string();
  // Window bounds are inclusive.
  EXPECT_TRUE(verify(chain, kNotBefore).ok());
  EXPECT_TRUE(verify(chain, kNotAfter).ok());
}

TEST_F(CertChainTest, KeysOverloadMatches) {
  CertChainKeys keys{root_, intermediate_, 7, 9};
  auto chain = create_cert_chain(keys, leaf_.public_view(), kNotBefore, kNotAfter, random_);
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(verify(*chain).ok());
}

TEST_F(CertChainTest, WrongRootIsUnauthenticated) {
  auto other = crypto::generate_key_pair(random_);
  auto s = verify_cert_chain(valid_chain(), other.public_view(), leaf_.public_view(), kNow);
  expect_error(s, core::StatusCode::kUnauthenticated, "trusted root");
  s = verify_cert_chain(valid_chain(), kWhatsAppRootKey, leaf_.public_view(), kNow);
  expect_error(s, core::StatusCode::kUnauthenticated, "trusted root");
}

TEST_F(CertChainTest, TamperedIntermediateSignature) {
  auto chain = mutate(valid_chain(), false, [](waproto::CertChain_NoiseCertificate* c) {
    std::string sig = c->signature();
    sig[10] ^= 1;
    c->set_signature(sig);
  });
  expect_error(verify(chain), core::StatusCode::kUnauthenticated,
               "intermediate certificate signature");
}

TEST_F(CertChainTest, TamperedIntermediateDetails) {
  auto chain = mutate(valid_chain(), false, [](waproto::CertChain_NoiseCertificate* c) {
    Details d;
    ASSERT_TRUE(d.ParseFromString(c->details()));
    d.set_serial(d.serial() + 1);
    c->set_details(d.SerializeAsString());
  });
  expect_error(verify(chain), core::StatusCode::kUnauthenticated,
               "intermediate certificate signature");
}

TEST_F(CertChainTest, TamperedLeafSignature) {
  auto chain = mutate(valid_chain(), true, [](waproto::CertChain_NoiseCertificate* c) {
    std::string sig = c->signature();
    sig[40] ^= 0x20;
    c->set_signature(sig);
  });
  expect_error(verify(chain), core::StatusCode::kUnauthenticated, "leaf certificate signature");
}

TEST_F(CertChainTest, LeafSignedByRootInsteadOfIntermediate) {
  core::Bytes chain = custom_chain(inter_details(), root_, leaf_details(), root_);
  expect_error(verify(chain), core::StatusCode::kUnauthenticated, "leaf certificate signature");
}

TEST_F(CertChainTest, Expired) {
  expect_error(verify(valid_chain(), kNotAfter + 1), core::StatusCode::kUnauthenticated,
               "certificate expired");
}

TEST_F(CertChainTest, NotYetValid) {
  expect_error(verify(valid_chain(), kNotBefore - 1), core::StatusCode::kUnauthenticated,
               "not yet valid");
  expect_error(verify(valid_chain(), -5), core::StatusCode::kUnauthenticated, "not yet valid");
}

TEST_F(CertChainTest, LeafExpiredWhileIntermediateValid) {
  Details leaf = leaf_details();
  leaf.set_not_after(kNow - 10);
  core::Bytes chain = custom_chain(inter_details(), root_, leaf, intermediate_);
  expect_error(verify(chain), core::StatusCode::kUnauthenticated, "leaf certificate expired");
}

TEST_F(CertChainTest, AbsentWindowIsOpen) {
  Details inter = inter_details(), leaf = leaf_details();
  inter.clear_not_before();
  inter.clear_not_after();
  leaf.clear_not_before();
  leaf.clear_not_after();
  core::Bytes chain = custom_chain(inter, root_, leaf, intermediate_);
  EXPECT_TRUE(verify(chain).ok());
}

TEST_F(CertChainTest, LeafKeyMustEqualServerStatic) {
  auto other = crypto::generate_key_pair(random_);
  auto s = verify_cert_chain(valid_chain(), root_.public_view(), other.public_view(), kNow);
  expect_error(s, core::StatusCode::kUnauthenticated, "server static key");
}

TEST_F(CertChainTest, LeafIssuerSerialMismatch) {
  Details leaf = leaf_details();
  leaf.set_issuer_serial(8);
  core::Bytes chain = custom_chain(inter_details(), root_, leaf, intermediate_);
  expect_error(verify(chain), core::StatusCode::kUnauthenticated, "issuer serial 8");
}

TEST_F(CertChainTest, IntermediateIssuerSerialMustBeRoot) {
  Details inter = inter_details();
  inter.set_issuer_serial(3);
  core::Bytes chain = custom_chain(inter, root_, leaf_details(), intermediate_);
  expect_error(verify(chain), core::StatusCode::kUnauthenticated, "root serial 0");
}

TEST_F(CertChainTest, IntermediateKeyWrongSize) {
  Details inter = inter_details();
  inter.set_key(std::string(31, 'k'));
  core::Bytes chain = custom_chain(inter, root_, leaf_details(), intermediate_);
  expect_error(verify(chain), core::StatusCode::kInvalidArgument, "intermediate certificate key");
}

TEST_F(CertChainTest, SignatureWrongLength) {
  auto chain = mutate(valid_chain(), true, [](waproto::CertChain_NoiseCertificate* c) {
    c->set_signature(c->signature().substr(0, 63));
  });
  expect_error(verify(chain), core::StatusCode::kInvalidArgument, "expected 64");
}

TEST_F(CertChainTest, MissingCertificates) {
  waproto::CertChain chain;
  ASSERT_TRUE(chain.ParseFromString(core::to_string(valid_chain())));
  waproto::CertChain no_leaf = chain;
  no_leaf.clear_leaf();
  expect_error(verify(core::to_bytes(no_leaf.SerializeAsString())),
               core::StatusCode::kInvalidArgument, "no leaf");
  waproto::CertChain no_inter = chain;
  no_inter.clear_intermediate();
  expect_error(verify(core::to_bytes(no_inter.SerializeAsString())),
               core::StatusCode::kInvalidArgument, "no intermediate");
  waproto::CertChain no_details = chain;
  no_details.mutable_leaf()->clear_details();
  expect_error(verify(core::to_bytes(no_details.SerializeAsString())),
               core::StatusCode::kInvalidArgument, "no details");
}

TEST_F(CertChainTest, GarbageChainBytes) {
  EXPECT_EQ(verify(core::Bytes{}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(verify(core::Bytes{0xff, 0xff, 0xff}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(verify(core::to_bytes("not a protobuf at all")).code(),
            core::StatusCode::kInvalidArgument);
  core::FakeRandom r(99);
  for (int i = 0; i < 200; ++i) {
    core::Bytes junk = r.bytes(r.uniform(200));
    core::Status s = verify(junk);
    EXPECT_FALSE(s.ok());
  }
  // Details that are not a Details message.
  auto chain = mutate(valid_chain(), false, [](waproto::CertChain_NoiseCertificate* c) {
    c->set_details(std::string("\xff\xff\xff", 3));
  });
  expect_error(verify(chain), core::StatusCode::kInvalidArgument, "details are malformed");
}

TEST_F(CertChainTest, TrustedRootWrongSize) {
  auto s = verify_cert_chain(valid_chain(), core::Bytes(31, 1), leaf_.public_view(), kNow);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
}

TEST_F(CertChainTest, CreateRejectsBadInput) {
  EXPECT_FALSE(
      create_cert_chain(root_, intermediate_, core::Bytes(33, 1), 1, 2, 0, 10, random_).ok());
  EXPECT_FALSE(
      create_cert_chain(root_, intermediate_, leaf_.public_view(), 1, 2, -1, 10, random_).ok());
}

}  // namespace
}  // namespace wa::noise
