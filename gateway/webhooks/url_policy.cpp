#include "gateway/webhooks/url_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace gw {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStrDeleter {
  void operator()(char* p) const { curl_free(p); }
};

// Reads one part; nullopt when the part is absent.
std::optional<std::string> url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK || raw == nullptr) return std::nullopt;
  std::unique_ptr<char, CurlStrDeleter> holder(raw);
  return std::string(raw);
}

AddressClass classify_v4(const uint8_t* b) {
  uint8_t a = b[0], s = b[1], c = b[2];
  if (a == 0) return AddressClass::kUnspecified;
  if (a == 127) return AddressClass::kLoopback;
  if (a == 10 || (a == 172 && (s & 0xf0) == 16) || (a == 192 && s == 168)) {
    return AddressClass::kPrivate;
  }
  if (a == 169 && s == 254) return AddressClass::kLinkLocal;
  if (a == 100 && (s & 0xc0) == 64) return AddressClass::kSharedCgnat;
  if ((a & 0xf0) == 224) return AddressClass::kMulticast;
  if ((a & 0xf0) == 240) return AddressClass::kReserved;  // incl. 255.255.255.255
  if (a == 192 && s == 0 && (c == 0 || c == 2)) return AddressClass::kReserved;
  if (a == 198 && (s & 0xfe) == 18) return AddressClass::kReserved;
  if (a == 198 && s == 51 && c == 100) return AddressClass::kReserved;
  if (a == 203 && s == 0 && c == 113) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

bool all_zero(const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

bool env_true(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return false;
  std::string s(v);
  return s == "1" || s == "true" || s == "TRUE" || s == "yes" || s == "on";
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family == AF_INET ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf) == nullptr) {
    return "?";
  }
  return buf;
}

AddressClass classify(const IpAddress& ip) {
  const uint8_t* b = ip.bytes.data();
  if (ip.family == AF_INET) return classify_v4(b);
  if (all_zero(b, 16)) return AddressClass::kUnspecified;
  if (all_zero(b, 15) && b[15] == 1) return AddressClass::kLoopback;
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64) reach the
  // embedded IPv4 address.
  bool mapped = all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff;
  bool compatible = all_zero(b, 12);
  bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && all_zero(b + 4, 8);
  if (mapped || compatible || nat64) return classify_v4(b + 12);
  if (b[0] == 0x20 && b[1] == 0x02) {  // 6to4 2002:V4ADDR::/48
    AddressClass inner = classify_v4(b + 2);
    if (inner != AddressClass::kPublic) return inner;
  }
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                    // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;    // fec0::/10
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return AddressClass::kReserved;
  if (b[0] == 0x01 && b[1] == 0x00 && all_zero(b + 2, 6))
    return AddressClass::kReserved;  // 100::/64
  return AddressClass::kPublic;
}

std::string_view address_class_name(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kSharedCgnat:
      return "shared (CGNAT)";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

UrlPolicy::Options UrlPolicy::Options::from_environment() {
  Options o;
  o.allow_private = env_true("ALLOW_PRIVATE_WEBHOOKS");
  return o;
}

UrlPolicy::UrlPolicy(Options options, Resolver resolver)
    : options_(options), resolver_(std::move(resolver)) {}

UrlPolicy::Resolver UrlPolicy::system_resolver() {
  return [](const std::string& host) -> core::Result<std::vector<IpAddress>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
      std::string why = gai_strerror(rc);
      if (rc == EAI_AGAIN) return core::Status::unavailable("cannot resolve " + host + ": " + why);
      return core::Status::not_found("cannot resolve " + host + ": " + why);
    }
    std::vector<IpAddress> out;
    for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
      IpAddress ip;
      if (p->ai_family == AF_INET) {
        ip.family = AF_INET;
        std::memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, 4);
      } else if (p->ai_family == AF_INET6) {
        ip.family = AF_INET6;
        std::memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, 16);
      } else {
        continue;
      }
      bool seen = false;
      for (const auto& o : out) seen = seen || o == ip;
      if (!seen) out.push_back(ip);
    }
    freeaddrinfo(res);
    if (out.empty()) return core::Status::not_found("cannot resolve " + host + ": no address");
    return out;
  };
}

core::Result<ParsedUrl> UrlPolicy::parse(std::string_view url) const {
  if (url.empty()) return core::Status::invalid_argument("URL is empty");
  if (url.size() > options_.max_url_length) {
    return core::Status::invalid_argument("URL is longer than " +
                                          std::to_string(options_.max_url_length) + " characters");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return core::Status::invalid_argument("URL contains spaces or control characters");
    }
  }
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return core::Status::internal("curl_url() failed");
  std::string text(url);
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) {
    return core::Status::invalid_argument(std::string("invalid URL: ") + curl_url_strerror(rc));
  }
  ParsedUrl out;
  out.scheme = url_part(u.get(), CURLUPART_SCHEME).value_or("");
  for (char& c : out.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.scheme != "http" && out.scheme != "https") {
    return core::Status::invalid_argument("URL scheme must be http or https");
  }
  if (url_part(u.get(), CURLUPART_USER) || url_part(u.get(), CURLUPART_PASSWORD) ||
      url_part(u.get(), CURLUPART_OPTIONS)) {
    return core::Status::invalid_argument("URL must not contain credentials");
  }
  if (url_part(u.get(), CURLUPART_ZONEID)) {
    return core::Status::invalid_argument("URL must not contain an IPv6 zone id");
  }
  std::optional<std::string> host = url_part(u.get(), CURLUPART_HOST);
  if (!host || host->empty()) return core::Status::invalid_argument("URL has no host");
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  out.host = *host;
  std::optional<std::string> port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!port) return core::Status::invalid_argument("URL has no port");
  char* end = nullptr;
  long p = std::strtol(port->c_str(), &end, 10);
  if (end == port->c_str() || *end != '\0' || p <= 0 || p > 65535) {
    return core::Status::invalid_argument("URL port is out of range");
  }
  out.port = static_cast<int>(p);
  out.host_is_ip = IpAddress::parse(out.host).has_value();
  std::optional<std::string> full = url_part(u.get(), CURLUPART_URL);
  if (!full) return core::Status::invalid_argument("invalid URL");
  out.url = *full;
  return out;
}

core::Status UrlPolicy::check_address(const IpAddress& address) const {
  AddressClass c = classify(address);
  if (c == AddressClass::kPublic || options_.allow_private) return core::Status();
  return core::Status::permission_denied(
      "URL points to a " + std::string(address_class_name(c)) + " address (" + address.to_string() +
      "); set ALLOW_PRIVATE_WEBHOOKS=1 to allow private targets");
}

core::Result<std::vector<IpAddress>> UrlPolicy::addresses_of(const ParsedUrl& url) const {
  if (auto ip = IpAddress::parse(url.host)) {
    CORE_RETURN_IF_ERROR(check_address(*ip));
    return std::vector<IpAddress>{*ip};
  }
  if (!resolver_) return core::Status::internal("no resolver");
  CORE_ASSIGN_OR_RETURN(std::vector<IpAddress> addrs, resolver_(url.host));
  if (addrs.empty()) return core::Status::not_found("cannot resolve " + url.host);
  // One bad address is enough to refuse: a resolver that returns public and private answers
  // could otherwise steer a later lookup to the private one.
  for (const auto& a : addrs) CORE_RETURN_IF_ERROR(check_address(a));
  return addrs;
}

core::Result<ParsedUrl> UrlPolicy::check_for_save(std::string_view url) const {
  CORE_ASSIGN_OR_RETURN(ParsedUrl parsed, parse(url));
  CORE_RETURN_IF_ERROR(addresses_of(parsed).status());
  return parsed;
}

core::Result<ResolvedUrl> UrlPolicy::check_for_request(std::string_view url) const {
  CORE_ASSIGN_OR_RETURN(ParsedUrl parsed, parse(url));
  CORE_ASSIGN_OR_RETURN(std::vector<IpAddress> addrs, addresses_of(parsed));
  ResolvedUrl out;
  out.address = addrs.front();
  if (!parsed.host_is_ip) {
    std::string addr = out.address.family == AF_INET6 ? "[" + out.address.to_string() + "]"
                                                      : out.address.to_string();
    out.resolve_entry = parsed.host + ":" + std::to_string(parsed.port) + ":" + addr;
  }
  out.parsed = std::move(parsed);
  return out;
}

CurlPin::~CurlPin() {
  if (resolve_ != nullptr) curl_slist_free_all(resolve_);
}

curl_socket_t CurlPin::open_socket(void* self, curlsocktype purpose, struct curl_sockaddr* addr) {
  auto* pin = static_cast<CurlPin*>(self);
  if (purpose != CURLSOCKTYPE_IPCXN || addr == nullptr) return CURL_SOCKET_BAD;
  IpAddress ip;
  if (addr->family == AF_INET && addr->addrlen >= sizeof(sockaddr_in)) {
    ip.family = AF_INET;
    std::memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in*>(&addr->addr)->sin_addr, 4);
  } else if (addr->family == AF_INET6 && addr->addrlen >= sizeof(sockaddr_in6)) {
    ip.family = AF_INET6;
    std::memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in6*>(&addr->addr)->sin6_addr, 16);
  } else {
    pin->refused_ = true;
    return CURL_SOCKET_BAD;
  }
  if (!(ip == pin->pinned_)) {
    pin->refused_ = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(addr->family, addr->socktype, addr->protocol);
}

core::Status CurlPin::apply(CURL* easy, const ResolvedUrl& target) {
  if (resolve_ != nullptr) {
    curl_slist_free_all(resolve_);
    resolve_ = nullptr;
  }
  pinned_ = target.address;
  refused_ = false;
  if (!target.resolve_entry.empty()) {
    resolve_ = curl_slist_append(nullptr, target.resolve_entry.c_str());
    if (resolve_ == nullptr) return core::Status::internal("curl_slist_append failed");
  }
  bool ok = curl_easy_setopt(easy, CURLOPT_URL, target.parsed.url.c_str()) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve_) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_PROXY, "") == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &CurlPin::open_socket) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this) == CURLE_OK;
  if (!ok) return core::Status::internal("configuring curl handle failed");
  return core::Status();
}

}  // namespace gw
