// UrlPolicy: which outbound URLs the server may call (webhooks now, media links later), so a
// user cannot point the server at its own loopback, the cloud metadata endpoint or the LAN
// (SSRF). A URL must be http or https, carry no user:password, and have a host; that host
// must resolve only to public addresses — never loopback, RFC 1918 / ULA private, link-local,
// CGNAT 100.64/10, unspecified, multicast, broadcast or reserved — unless allow_private
// (ALLOW_PRIVATE_WEBHOOKS=1) is set. The check runs when a URL is saved and again right before
// each request; the request then connects to exactly the address that was checked
// (CURLOPT_RESOLVE pin) and an open-socket callback refuses any other address, so DNS
// rebinding cannot switch the target between check and connect.
//
// Ownership: UrlPolicy is a small value (options + resolver function); CurlPin owns the curl
// resolve list and must outlive the easy handle's transfer.
// Threading: const methods are thread-safe. resolve()/check_for_request() call getaddrinfo and
// block — run them on the BlockingExecutor, not on a network thread.
#pragma once

#include <curl/curl.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gw {

struct IpAddress {
  int family = 0;                                                // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};                               // first 4 used for AF_INET
  static std::optional<IpAddress> parse(std::string_view text);  // strict inet_pton forms
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

enum class AddressClass {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fc00::/7
  kLinkLocal,    // 169.254/16, fe80::/10
  kSharedCgnat,  // 100.64/10
  kUnspecified,  // 0/8, ::
  kMulticast,    // 224/4, ff00::/8
  kReserved,     // 240/4 incl. broadcast, 192.0.0/24, 198.18/15, TEST-NETs, 2001:db8::/32
};
// IPv4-mapped/-compatible IPv6 addresses are classified as the IPv4 address they embed.
AddressClass classify(const IpAddress& address);
std::string_view address_class_name(AddressClass c);

struct ParsedUrl {
  std::string url;     // as libcurl normalised it; use this one for the request
  std::string scheme;  // "http" | "https"
  std::string host;    // without IPv6 brackets
  int port = 0;        // explicit or the scheme default
  bool host_is_ip = false;
};

struct ResolvedUrl {
  ParsedUrl parsed;
  IpAddress address;          // the address the request must use
  std::string resolve_entry;  // "host:port:address" for CURLOPT_RESOLVE ("" for IP literals)
};

class UrlPolicy {
 public:
  struct Options {
    bool allow_private = false;  // ALLOW_PRIVATE_WEBHOOKS=1: allow every address class
    size_t max_url_length = 2048;
    // ALLOW_PRIVATE_WEBHOOKS ("1", "true", "yes").
    static Options from_environment();
  };
  // Returns the host's addresses; NotFound/Unavailable when it does not resolve.
  using Resolver = std::function<core::Result<std::vector<IpAddress>>(const std::string& host)>;

  UrlPolicy() : UrlPolicy(Options{}) {}
  explicit UrlPolicy(Options options, Resolver resolver = system_resolver());

  const Options& options() const { return options_; }

  // Syntax only: scheme, credentials, host. InvalidArgument with a user-facing reason.
  core::Result<ParsedUrl> parse(std::string_view url) const;
  // PermissionDenied naming the address class when `address` is not allowed.
  core::Status check_address(const IpAddress& address) const;
  // parse() + resolve + every address allowed. For the save path (returns the normalised URL).
  core::Result<ParsedUrl> check_for_save(std::string_view url) const;
  // Same checks, then picks the address to pin for the request.
  core::Result<ResolvedUrl> check_for_request(std::string_view url) const;

  static Resolver system_resolver();  // getaddrinfo

 private:
  core::Result<std::vector<IpAddress>> addresses_of(const ParsedUrl& url) const;
  Options options_;
  Resolver resolver_;
};

// Applies a checked target to a curl easy handle: URL, CURLOPT_RESOLVE pin, no proxy, http(s)
// only, no redirects, and an open-socket callback that refuses any address other than the
// pinned one. Keep the CurlPin alive until the transfer is finished and the handle cleaned up.
class CurlPin {
 public:
  CurlPin() = default;
  ~CurlPin();
  CurlPin(const CurlPin&) = delete;
  CurlPin& operator=(const CurlPin&) = delete;

  core::Status apply(CURL* easy, const ResolvedUrl& target);
  // True when the open-socket callback refused an address (reported as the failure reason).
  bool refused() const { return refused_; }

 private:
  static curl_socket_t open_socket(void* self, curlsocktype purpose, struct curl_sockaddr* addr);
  curl_slist* resolve_ = nullptr;
  IpAddress pinned_{};
  bool refused_ = false;
};

}  // namespace gw
