#include "gateway/http/trust_proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "gateway/http/headers.h"

namespace gw::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool in_subnet(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& net, int prefix) {
  for (int bit = 0; bit < prefix; ++bit) {
    const int byte = bit / 8;
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((a[byte] & mask) != (net[byte] & mask)) return false;
  }
  return true;
}

std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    auto item = trim(s.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  text = trim(text);
  // "[::1]:1234" and "1.2.3.4:5678" forms appear in some proxies' X-Forwarded-For.
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));
  }
  std::string s(text);
  if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);  // zone id
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

core::Result<TrustProxy> TrustProxy::parse(std::string_view setting) {
  setting = trim(setting);
  TrustProxy t;
  if (setting.empty()) setting = "loopback";
  const std::string lower = to_lower(setting);
  if (lower == "false") {
    t.mode_ = Mode::kNone;
    t.description_ = "false";
    return t;
  }
  if (lower == "true") {
    t.mode_ = Mode::kAll;
    t.description_ = "true";
    return t;
  }
  if (!setting.empty() &&
      std::all_of(setting.begin(), setting.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int hops = 0;
    auto [p, ec] = std::from_chars(setting.data(), setting.data() + setting.size(), hops);
    if (ec != std::errc() || hops > 64) {
      return core::Status::invalid_argument("TRUST_PROXY hop count must be 0-64, got \"" +
                                            std::string(setting) + "\"");
    }
    t.mode_ = hops == 0 ? Mode::kNone : Mode::kHops;
    t.hops_ = hops;
    t.description_ = std::to_string(hops) + " hop(s)";
    return t;
  }
  t.mode_ = Mode::kList;
  auto add = [&](std::string_view cidr) -> core::Status {
    std::string_view addr = cidr;
    int prefix = -1;
    if (size_t slash = cidr.find('/'); slash != std::string_view::npos) {
      addr = cidr.substr(0, slash);
      auto bits = cidr.substr(slash + 1);
      auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (ec != std::errc() || p != bits.data() + bits.size()) prefix = 999;
    }
    auto ip = parse_ip(addr);
    if (!ip) {
      return core::Status::invalid_argument(
          "TRUST_PROXY must be empty, true, false, a hop count, or a list of addresses/subnets "
          "(loopback, linklocal, uniquelocal, 10.0.0.0/8…), got \"" +
          std::string(cidr) + "\"");
    }
    const bool v4 = addr.find(':') == std::string_view::npos;
    if (prefix == -1) prefix = v4 ? 32 : 128;
    if (prefix < 0 || prefix > (v4 ? 32 : 128)) {
      return core::Status::invalid_argument("TRUST_PROXY subnet has a bad prefix length: \"" +
                                            std::string(cidr) + "\"");
    }
    t.subnets_.push_back(Subnet{*ip, v4 ? prefix + 96 : prefix});
    return core::Status();
  };
  for (auto item : split_list(setting)) {
    std::string name = to_lower(item);
    if (name == "loopback") {
      CORE_RETURN_IF_ERROR(add("127.0.0.1/8"));
      CORE_RETURN_IF_ERROR(add("::1/128"));
    } else if (name == "linklocal") {
      CORE_RETURN_IF_ERROR(add("169.254.0.0/16"));
      CORE_RETURN_IF_ERROR(add("fe80::/10"));
    } else if (name == "uniquelocal") {
      CORE_RETURN_IF_ERROR(add("10.0.0.0/8"));
      CORE_RETURN_IF_ERROR(add("172.16.0.0/12"));
      CORE_RETURN_IF_ERROR(add("192.168.0.0/16"));
      CORE_RETURN_IF_ERROR(add("fc00::/7"));
    } else {
      CORE_RETURN_IF_ERROR(add(item));
    }
  }
  t.description_ = std::string(setting);
  return t;
}

bool TrustProxy::trusted(std::string_view address) const {
  if (mode_ == Mode::kAll) return true;
  if (mode_ != Mode::kList) return false;
  auto ip = parse_ip(address);
  if (!ip) return false;
  for (const auto& s : subnets_) {
    if (in_subnet(*ip, s.addr, s.prefix)) return true;
  }
  return false;
}

bool TrustProxy::trusts_peer(std::string_view peer) const {
  if (mode_ == Mode::kHops) return hops_ >= 1;
  return trusted(peer);
}

std::string TrustProxy::client_address(std::string_view peer,
                                       std::optional<std::string_view> forwarded_for) const {
  if (mode_ == Mode::kNone || !forwarded_for) return std::string(peer);
  std::vector<std::string_view> chain = split_list(*forwarded_for);
  chain.push_back(peer);
  if (mode_ == Mode::kHops) {
    const size_t idx = chain.size() - 1 > static_cast<size_t>(hops_)
                           ? chain.size() - 1 - static_cast<size_t>(hops_)
                           : 0;
    return std::string(chain[idx]);
  }
  size_t i = chain.size() - 1;
  while (i > 0 && trusted(chain[i])) --i;
  return std::string(chain[i]);
}

}  // namespace gw::http
