#include "gateway/webhooks/url_policy.h"

#include <gtest/gtest.h>

#include <map>

namespace gw {
namespace {

UrlPolicy::Resolver fake_dns(std::map<std::string, std::vector<std::string>> table) {
  return [table](const std::string& host) -> core::Result<std::vector<IpAddress>> {
    auto it = table.find(host);
    if (it == table.end()) return core::Status::not_found("cannot resolve " + host);
    std::vector<IpAddress> out;
    for (const auto& a : it->second) out.push_back(*IpAddress::parse(a));
    return out;
  };
}

struct Case {
  const char* address;
  AddressClass expected;
};

TEST(UrlPolicy, ClassifiesAddresses) {
  const Case cases[] = {
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.1.2", AddressClass::kLoopback},
      {"10.0.0.1", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.254", AddressClass::kPrivate},
      {"172.15.0.1", AddressClass::kPublic},
      {"172.32.0.1", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"100.64.0.1", AddressClass::kSharedCgnat},
      {"100.127.255.255", AddressClass::kSharedCgnat},
      {"100.128.0.1", AddressClass::kPublic},
      {"0.0.0.0", AddressClass::kUnspecified},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast},
      {"255.255.255.255", AddressClass::kReserved},
      {"198.18.0.1", AddressClass::kReserved},
      {"8.8.8.8", AddressClass::kPublic},
      {"93.184.216.34", AddressClass::kPublic},
      {"::1", AddressClass::kLoopback},
      {"::", AddressClass::kUnspecified},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456::1", AddressClass::kPrivate},
      {"ff02::1", AddressClass::kMulticast},
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::a9fe:a9fe", AddressClass::kLinkLocal},
      {"2002:c0a8:0101::1", AddressClass::kPrivate},
      {"2001:db8::1", AddressClass::kReserved},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2a00:1450:4001::200e", AddressClass::kPublic},
  };
  for (const auto& c : cases) {
    auto ip = IpAddress::parse(c.address);
    ASSERT_TRUE(ip) << c.address;
    EXPECT_EQ(classify(*ip), c.expected) << c.address;
  }
  EXPECT_FALSE(IpAddress::parse("not-an-ip"));
  EXPECT_FALSE(IpAddress::parse("1.2.3"));
  EXPECT_EQ(IpAddress::parse("[::1]")->to_string(), "::1");
}

TEST(UrlPolicy, RefusesPrivateLiteralsAndAllowsPublic) {
  UrlPolicy policy(UrlPolicy::Options{}, fake_dns({}));
  for (const char* url :
       {"http://127.0.0.1/hook", "http://10.1.2.3/", "http://172.16.5.5:8080/",
        "https://192.168.0.10/x", "http://169.254.169.254/latest/meta-data", "http://100.64.1.1/",
        "http://[::1]:3000/", "http://[fe80::1]/", "http://[fc00::5]/", "http://0.0.0.0/",
        "http://224.0.0.1/", "http://[::ffff:127.0.0.1]/"}) {
    auto r = policy.check_for_save(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), core::StatusCode::kPermissionDenied) << url;
    EXPECT_FALSE(policy.check_for_request(url).ok()) << url;
  }
  for (const char* url :
       {"http://8.8.8.8/hook", "https://1.1.1.1:8443/a?b=c", "https://[2606:4700:4700::1111]/x"}) {
    auto r = policy.check_for_save(url);
    EXPECT_TRUE(r.ok()) << url << " " << r.status().to_string();
    auto q = policy.check_for_request(url);
    ASSERT_TRUE(q.ok()) << url;
    EXPECT_TRUE(q->resolve_entry.empty()) << "IP literals need no pin";
  }
}

TEST(UrlPolicy, OverrideAllowsPrivate) {
  UrlPolicy::Options o;
  o.allow_private = true;
  UrlPolicy policy(o, fake_dns({{"localhost", {"127.0.0.1"}}}));
  EXPECT_TRUE(policy.check_for_save("http://127.0.0.1:9/x").ok());
  EXPECT_TRUE(policy.check_for_save("http://[::1]/").ok());
  EXPECT_TRUE(policy.check_for_save("http://localhost:8080/").ok());
  // The override does not relax the syntax rules.
  EXPECT_FALSE(policy.check_for_save("ftp://127.0.0.1/").ok());
  EXPECT_FALSE(policy.check_for_save("http://u:p@127.0.0.1/").ok());
}

TEST(UrlPolicy, FromEnvironment) {
  ::setenv("ALLOW_PRIVATE_WEBHOOKS", "1", 1);
  EXPECT_TRUE(UrlPolicy::Options::from_environment().allow_private);
  ::setenv("ALLOW_PRIVATE_WEBHOOKS", "0", 1);
  EXPECT_FALSE(UrlPolicy::Options::from_environment().allow_private);
  ::unsetenv("ALLOW_PRIVATE_WEBHOOKS");
  EXPECT_FALSE(UrlPolicy::Options::from_environment().allow_private);
}

TEST(UrlPolicy, Syntax) {
  UrlPolicy policy(UrlPolicy::Options{}, fake_dns({{"hooks.example.com", {"93.184.216.34"}}}));
  for (const char* url : {"", "ftp://8.8.8.8/", "file:///etc/passwd", "gopher://8.8.8.8/",
                          "javascript:alert(1)", "8.8.8.8/hook", "http://", "http://user@8.8.8.8/",
                          "http://user:pw@8.8.8.8/", "https://:pw@8.8.8.8/", "http://8.8.8.8:0/",
                          "http://8.8.8.8:70000/", "http://8.8.8.8/a b", "http://8.8.8.8/\n"}) {
    auto r = policy.parse(url);
    EXPECT_FALSE(r.ok()) << "accepted: " << url;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument) << url;
    }
  }
  EXPECT_FALSE(policy.parse(std::string(3000, 'a')).ok());
  // libcurl reads extra slashes as a missing authority and takes the next segment as the host;
  // what matters is that we check (and later request) the host libcurl will use.
  auto slashes = policy.parse("http:///path");
  if (slashes.ok()) {
    EXPECT_EQ(slashes->host, "path");
    EXPECT_EQ(slashes->url, "http://path/");
  }
  auto ok = policy.parse("HTTPS://Hooks.Example.com/in?x=1");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->scheme, "https");
  EXPECT_EQ(ok->port, 443);
  EXPECT_FALSE(ok->host_is_ip);
  auto v6 = policy.parse("http://[2606:4700::1]:8080/");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "2606:4700::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_TRUE(v6->host_is_ip);
}

TEST(UrlPolicy, HostnamesAreResolvedAndPinned) {
  UrlPolicy policy(UrlPolicy::Options{},
                   fake_dns({{"hooks.example.com", {"93.184.216.34"}},
                             {"v6.example.com", {"2606:4700::1"}},
                             {"internal.example.com", {"10.0.0.7"}},
                             {"mixed.example.com", {"93.184.216.34", "127.0.0.1"}},
                             {"localhost", {"127.0.0.1", "::1"}}}));
  auto r = policy.check_for_request("https://hooks.example.com/in");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->address.to_string(), "93.184.216.34");
  EXPECT_EQ(r->resolve_entry, "hooks.example.com:443:93.184.216.34");
  auto v6 = policy.check_for_request("http://v6.example.com:8080/");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->resolve_entry, "v6.example.com:8080:[2606:4700::1]");
  for (const char* url :
       {"http://internal.example.com/", "http://mixed.example.com/", "http://localhost:3100/"}) {
    auto bad = policy.check_for_request(url);
    ASSERT_FALSE(bad.ok()) << url;
    EXPECT_EQ(bad.status().code(), core::StatusCode::kPermissionDenied) << url;
    EXPECT_FALSE(policy.check_for_save(url).ok()) << url;
  }
  auto unknown = policy.check_for_save("http://nowhere.invalid/");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), core::StatusCode::kNotFound);
}

TEST(UrlPolicy, SystemResolverRefusesLocalhostByDefault) {
  UrlPolicy policy;  // real getaddrinfo; "localhost" resolves without a network
  auto r = policy.check_for_save("http://localhost:3100/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kPermissionDenied);
  // Odd numeric forms that resolve to loopback are caught after resolution.
  EXPECT_FALSE(policy.check_for_save("http://2130706433/").ok());
  EXPECT_FALSE(policy.check_for_save("http://0x7f.1/").ok());
}

}  // namespace
}  // namespace gw
