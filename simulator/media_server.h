// The simulator's media endpoint, minus the socket: (1) its TLS material — a private CA and a
// leaf certificate for 127.0.0.1 / localhost signed by it, made with OpenSSL 3 at first start
// and kept in the state dir (media-ca.pem, media-ca.key, media.pem, media.key) so clients that
// trust the CA keep trusting it across restarts, or held in memory when ephemeral; (2) the pure
// request → response routing of the media host:
//
//   POST /mms/<type>/<token>?auth=…&token=…   (also /newsletter/newsletter-<type>/<token>)
//        → Simulator::media_upload → 200 {"url", "direct_path"}
//   GET  <direct path>[?…]                   → Simulator::media_download → the stored blob
//
// HTTPS itself (Beast + net::ssl, keep-alive, the 64 MiB body limit) lives in sim_server.cpp,
// which serves this handler and the control API with one HTTP session implementation.
//
// Ownership: MediaTls is a plain value; handle_media_request borrows the Simulator.
// Threading: the simulator's io_context thread (like the Simulator).
#pragma once

#include <string>

#include "core/status.h"
#include "simulator/control_api.h"
#include "simulator/simulator.h"

namespace sim {

struct MediaTls {
  std::string ca_pem;
  std::string ca_key_pem;
  std::string cert_pem;  // leaf for 127.0.0.1 and localhost, issued by the CA
  std::string key_pem;
};

// A fresh CA and leaf (EC P-256, SHA-256 signatures, valid for 10 years).
core::Result<MediaTls> generate_media_tls();

// Reads the four PEM files from `state_dir`, or generates them and writes them there (keys with
// mode 0600). An empty `state_dir` means ephemeral: generate in memory, write nothing.
// A partial or unreadable set is replaced by a fresh one.
core::Result<MediaTls> load_or_create_media_tls(const std::string& state_dir);

// Largest upload the media host accepts.
constexpr size_t kMaxMediaBody = 64u << 20;

// Routes one media-host request (see the header comment).
HttpResponse handle_media_request(Simulator& simulator, const HttpRequest& request);

}  // namespace sim
