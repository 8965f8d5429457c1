#include "wa/transport/config.h"

namespace wa::transport {

core::Result<ParsedUrl> parse_url(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  auto starts = [&](std::string_view p) { return url.substr(0, p.size()) == p; };
  if (starts("wss://")) {
    out.tls = true;
    rest = url.substr(6);
  } else if (starts("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (starts("ws://")) {
    rest = url.substr(5);
  } else if (starts("http://")) {
    rest = url.substr(7);
  } else {
    return core::Status::invalid_argument("unsupported URL scheme: " + std::string(url));
  }
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target[0] == '?') out.target = "/" + out.target;
  if (authority.empty()) return core::Status::invalid_argument("URL without host");
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return core::Status::invalid_argument("bad IPv6 host");
    out.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return core::Status::invalid_argument("bad host:port");
      out.port = std::string(after.substr(1));
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      out.host = std::string(authority.substr(0, colon));
      out.port = std::string(authority.substr(colon + 1));
    } else {
      out.host = std::string(authority);
    }
  }
  if (out.host.empty()) return core::Status::invalid_argument("URL without host");
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  for (char c : out.port) {
    if (c < '0' || c > '9') return core::Status::invalid_argument("bad port in URL");
  }
  return out;
}

}  // namespace wa::transport
