#include "wa/noise/transport_cipher.h"

#include <gtest/gtest.h>

#include <limits>

#include "crypto/aes.h"
#include "wa/noise/handshake_state.h"

namespace wa::noise {
namespace {

const core::Bytes kKeyA(32, 0xa1);
const core::Bytes kKeyB(32, 0xb2);

TEST(TransportCipher, MatchesAesGcmWithCounterNonceAndEmptyAad) {
  TransportCipher cipher(kKeyA, kKeyB);
  core::Bytes plain{1, 2, 3, 4};
  for (uint32_t n = 0; n < 3; ++n) {
    auto c = cipher.encrypt(plain);
    ASSERT_TRUE(c.ok());
    auto expected = crypto::aes256_gcm_encrypt(kKeyA, HandshakeState::nonce(n), plain, {});
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(*c, *expected) << "frame " << n;
  }
  EXPECT_EQ(cipher.write_counter(), 3u);
  EXPECT_EQ(cipher.read_counter(), 0u);
}

TEST(TransportCipher, PairRoundTripsBothDirectionsWithIndependentCounters) {
  TransportCipher client(kKeyA, kKeyB), server(kKeyB, kKeyA);
  for (int i = 0; i < 5; ++i) {
    core::Bytes msg(static_cast<size_t>(i * 10), static_cast<uint8_t>(i));
    auto c = client.encrypt(msg);
    ASSERT_TRUE(c.ok());
    auto p = server.decrypt(*c);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_EQ(*p, msg);
  }
  for (int i = 0; i < 2; ++i) {
    core::Bytes msg{9, 9, static_cast<uint8_t>(i)};
    auto c = server.encrypt(msg);
    ASSERT_TRUE(c.ok());
    auto p = client.decrypt(*c);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, msg);
  }
  EXPECT_EQ(client.write_counter(), 5u);
  EXPECT_EQ(client.read_counter(), 2u);
  EXPECT_EQ(server.read_counter(), 5u);
  EXPECT_EQ(server.write_counter(), 2u);
}

TEST(TransportCipher, WrongKeyFails) {
  TransportCipher sender(kKeyA, kKeyB), receiver(kKeyB, core::Bytes(32, 0xcc));
  auto c = sender.encrypt(core::Bytes{1});
  ASSERT_TRUE(c.ok());
  auto p = receiver.decrypt(*c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::StatusCode::kUnauthenticated);
}

TEST(TransportCipher, TamperedTagFailsWithoutAdvancingCounter) {
  TransportCipher sender(kKeyA, kKeyB), receiver(kKeyB, kKeyA);
  auto c = sender.encrypt(core::Bytes{1, 2, 3});
  ASSERT_TRUE(c.ok());
  core::Bytes tampered = *c;
  tampered.back() ^= 0x80;
  auto bad = receiver.decrypt(tampered);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::StatusCode::kUnauthenticated);
  EXPECT_EQ(receiver.read_counter(), 0u);
  // The genuine frame still decrypts: failure had no side effect.
  auto good = receiver.decrypt(*c);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, (core::Bytes{1, 2, 3}));
}

TEST(TransportCipher, ReplayedFrameFails) {
  TransportCipher sender(kKeyA, kKeyB), receiver(kKeyB, kKeyA);
  auto c = sender.encrypt(core::Bytes{7});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(receiver.decrypt(*c).ok());
  auto replay = receiver.decrypt(*c);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.status().code(), core::StatusCode::kUnauthenticated);
}

TEST(TransportCipher, ReorderedFramesFail) {
  TransportCipher sender(kKeyA, kKeyB), receiver(kKeyB, kKeyA);
  auto c0 = sender.encrypt(core::Bytes{0});
  auto c1 = sender.encrypt(core::Bytes{1});
  ASSERT_TRUE(c0.ok() && c1.ok());
  EXPECT_FALSE(receiver.decrypt(*c1).ok());
}

TEST(TransportCipher, ShortFrameFails) {
  TransportCipher receiver(kKeyB, kKeyA);
  EXPECT_FALSE(receiver.decrypt(core::Bytes(15, 0)).ok());
  EXPECT_FALSE(receiver.decrypt({}).ok());
}

TEST(TransportCipher, CounterExhaustionIsAnError) {
  constexpr uint32_t kLast = std::numeric_limits<uint32_t>::max();
  TransportCipher sender(kKeyA, kKeyB, kLast, 0), receiver(kKeyB, kKeyA, 0, kLast);
  auto c = sender.encrypt(core::Bytes{1});
  ASSERT_TRUE(c.ok());
  auto p = receiver.decrypt(*c);
  ASSERT_TRUE(p.ok());
  auto over = sender.encrypt(core::Bytes{2});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), core::StatusCode::kOutOfRange);
  auto over_read = receiver.decrypt(*c);
  ASSERT_FALSE(over_read.ok());
  EXPECT_EQ(over_read.status().code(), core::StatusCode::kOutOfRange);
}

TEST(TransportCipher, WrongKeySizeIsInvalidArgument) {
  TransportCipher cipher(core::Bytes(16, 1), core::Bytes(16, 1));
  auto c = cipher.encrypt(core::Bytes{1});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wa::noise
