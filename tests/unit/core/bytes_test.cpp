#include "core/bytes.h"

#include <gtest/gtest.h>

namespace core {
namespace {

TEST(BytesTest, BigEndianRoundTrip) {
  Bytes out;
  put_uint_be(out, 0x0102030405ULL, 5);
  EXPECT_EQ(out, (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(get_uint_be(out, 5), 0x0102030405ULL);
  EXPECT_EQ(uint_be_bytes(21, 4), (Bytes{0, 0, 0, 21}));
  EXPECT_EQ(uint_be_bytes(1, 3), (Bytes{0, 0, 1}));
}

TEST(BytesTest, Concat) {
  Bytes a{1, 2};
  Bytes b{};
  Bytes c{3};
  EXPECT_EQ(concat({a, b, c}), (Bytes{1, 2, 3}));
  EXPECT_EQ(to_string(as_view("hi")), "hi");
}

TEST(ByteReaderTest, ReadsInOrderAndStopsAtEnd) {
  Bytes data{0xAB, 0x00, 0x10, 0x01, 0x02, 0x03};
  ByteReader r(data);
  EXPECT_EQ(*r.read_u8(), 0xAB);
  EXPECT_EQ(*r.read_uint_be(2), 0x0010u);
  auto v = r.read(2);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 2u);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.read(2).ok());        // past the end: error, nothing consumed
  EXPECT_FALSE(r.read_uint_be(3).ok());
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_EQ(*r.read_u8(), 0x03);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.read_u8().status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace core
