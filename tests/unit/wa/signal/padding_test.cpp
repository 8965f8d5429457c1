#include "wa/signal/padding.h"

#include <gtest/gtest.h>

#include <set>

namespace wa::signal {
namespace {

TEST(PaddingTest, RoundTripAndPadRange) {
  core::FakeRandom random(7);
  const core::Bytes message = core::to_bytes("hello protobuf");
  std::set<size_t> seen;
  for (int i = 0; i < 400; ++i) {
    core::Bytes padded = pad(message, random);
    const size_t n = padded.size() - message.size();
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, 16u);
    for (size_t j = message.size(); j < padded.size(); ++j) ASSERT_EQ(padded[j], n);
    seen.insert(n);
    auto back = unpad(padded);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, message);
  }
  EXPECT_EQ(seen.size(), 16u);  // every length 1..16 shows up
}

TEST(PaddingTest, EmptyMessagePadsAndUnpadsToEmpty) {
  core::FakeRandom random(1);
  core::Bytes padded = pad({}, random);
  ASSERT_FALSE(padded.empty());
  auto back = unpad(padded);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(PaddingTest, UnpadIsLiberalButRejectsImpossiblePads) {
  // A pad longer than 16 (another client's choice) and unequal pad bytes are accepted.
  core::Bytes long_pad(40, 0xAA);
  long_pad.back() = 20;
  auto r = unpad(long_pad);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 20u);
  EXPECT_EQ(unpad(core::Bytes{1, 2, 3, 2})->size(), 2u);
  // The whole buffer may be padding.
  EXPECT_TRUE(unpad(core::Bytes{3, 3, 3})->empty());

  EXPECT_EQ(unpad(core::Bytes{}).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(unpad(core::Bytes{1, 2, 0}).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(unpad(core::Bytes{1, 4}).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(unpad(core::Bytes{0xFF}).status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wa::signal
