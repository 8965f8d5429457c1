#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "crypto/util.h"
#include "tests/unit/crypto/test_hex.h"

namespace crypto {
namespace {

TEST(UtilTest, ConstantTimeEqual) {
  const core::Bytes a = testing::hex("00112233445566778899");
  core::Bytes b = a;
  EXPECT_TRUE(constant_time_equal(a, b));
  b[9] ^= 0x80;
  EXPECT_FALSE(constant_time_equal(a, b));
  b = a;
  b[0] ^= 0x01;
  EXPECT_FALSE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, core::ByteView(a).first(9)));
  EXPECT_TRUE(constant_time_equal({}, {}));
  EXPECT_FALSE(constant_time_equal({}, a));
}

TEST(UtilTest, SecureWipeZeroes) {
  core::Bytes secret = testing::hex("deadbeefcafebabe");
  secure_wipe(secret);
  EXPECT_EQ(secret, core::Bytes(8, 0));
  secure_wipe({});  // empty span is fine
}

TEST(UtilTest, RandomBytesDifferAndHaveRequestedLength) {
  EXPECT_TRUE(random_bytes(0).empty());
  std::set<core::Bytes> seen;
  for (int i = 0; i < 16; ++i) seen.insert(random_bytes(32));
  EXPECT_EQ(seen.size(), 16u);
}

TEST(UtilTest, SodiumRandomIsUsableFromManyThreads) {
  std::vector<core::Bytes> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&results, t] { results[t] = SodiumRandom::instance().bytes(32); });
  }
  for (auto& th : threads) th.join();
  std::set<core::Bytes> unique(results.begin(), results.end());
  EXPECT_EQ(unique.size(), results.size());
}

}  // namespace
}  // namespace crypto
