// Plain configuration of where and how a client connects: the chat WebSocket endpoint, the
// Noise root key it trusts, the TLS trust for wss:// and media HTTPS, and timeouts. Defaults are
// WhatsApp's real values; sandbox mode points the same fields at the local simulator.
//
// Threading: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wa::transport {

struct TlsConfig {
  std::string ca_pem;     // extra trusted CA certificates (PEM text); empty = system store
  std::string ca_file;    // or a PEM file path
  bool insecure = false;  // sandbox only: accept any certificate (never for WhatsApp)
};

struct TransportConfig {
  std::string url = "wss://web.whatsapp.com/ws/chat";
  std::string origin = "https://web.whatsapp.com";
  std::vector<std::pair<std::string, std::string>> headers;  // extra upgrade headers
  std::chrono::milliseconds connect_timeout{20000};  // TCP + TLS + WebSocket + Noise handshake
  core::Bytes noise_root_key;  // 32 bytes; empty = WhatsApp's real root (kWhatsAppRootKey)
  TlsConfig tls;               // for wss:// chat connections
};

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path + query, at least "/"
};

// Accepts ws://, wss://, http:// and https:// URLs ("host", "host:port", "[v6]:port").
core::Result<ParsedUrl> parse_url(std::string_view url);

}  // namespace wa::transport
