#include "gateway/http/trust_proxy.h"

#include <gtest/gtest.h>

namespace gw::http {
namespace {

TEST(TrustProxy, LoopbackByDefault) {
  auto t = TrustProxy::parse("");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->client_address("127.0.0.1", "203.0.113.5"), "203.0.113.5");
  EXPECT_EQ(t->client_address("::1", "203.0.113.5"), "203.0.113.5");
  EXPECT_EQ(t->client_address("198.51.100.7", "203.0.113.5"), "198.51.100.7");  // spoofed header
  EXPECT_EQ(t->client_address("127.0.0.1", std::nullopt), "127.0.0.1");
  EXPECT_TRUE(t->trusts_peer("127.0.0.1"));
  EXPECT_FALSE(t->trusts_peer("198.51.100.7"));
  // A forged left part does not help: the right-most untrusted address wins.
  EXPECT_EQ(t->client_address("127.0.0.1", "1.2.3.4, 203.0.113.5"), "203.0.113.5");
}

TEST(TrustProxy, FalseTrustsNobody) {
  auto t = TrustProxy::parse("false");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->client_address("127.0.0.1", "203.0.113.5"), "127.0.0.1");
  EXPECT_FALSE(t->trusts_peer("127.0.0.1"));
  EXPECT_EQ(TrustProxy::parse("0")->client_address("127.0.0.1", "9.9.9.9"), "127.0.0.1");
}

TEST(TrustProxy, HopCountAndTrue) {
  auto one = TrustProxy::parse("1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->client_address("10.0.0.2", "1.1.1.1, 2.2.2.2"), "2.2.2.2");
  auto two = TrustProxy::parse("2");
  EXPECT_EQ(two->client_address("10.0.0.2", "1.1.1.1, 2.2.2.2"), "1.1.1.1");
  EXPECT_EQ(two->client_address("10.0.0.2", "2.2.2.2"), "2.2.2.2");
  auto all = TrustProxy::parse("true");
  EXPECT_EQ(all->client_address("10.0.0.2", "1.1.1.1, 2.2.2.2"), "1.1.1.1");
}

TEST(TrustProxy, ListsAndSubnets) {
  auto t = TrustProxy::parse("loopback, uniquelocal, 203.0.113.0/24, 2001:db8::/32");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->client_address("10.1.1.1", "8.8.8.8, 203.0.113.9, 192.168.1.1"), "8.8.8.8");
  EXPECT_EQ(t->client_address("2001:db8::1", "8.8.4.4"), "8.8.4.4");
  EXPECT_EQ(t->client_address("::ffff:127.0.0.1", "8.8.4.4"), "8.8.4.4");
  EXPECT_FALSE(TrustProxy::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(TrustProxy::parse("banana").ok());
  EXPECT_FALSE(TrustProxy::parse("99").ok());
}

TEST(ParseIp, Forms) {
  EXPECT_TRUE(parse_ip("1.2.3.4"));
  EXPECT_TRUE(parse_ip("1.2.3.4:8080"));
  EXPECT_TRUE(parse_ip("[::1]:8080"));
  EXPECT_TRUE(parse_ip("fe80::1%eth0"));
  EXPECT_FALSE(parse_ip("example.com"));
  EXPECT_FALSE(parse_ip(""));
  EXPECT_EQ(*parse_ip("127.0.0.1"), *parse_ip("::ffff:127.0.0.1"));
}

}  // namespace
}  // namespace gw::http
