// Configuration of `superlight serve`: environment variables, plus a `.env` file in the working
// directory (KEY=VALUE lines; real environment variables win over the file). Names and defaults
// follow the Node seed where it had them (PORT 3100, TRUST_PROXY, SESSION_SECRET, …); the rest are
// ours. Every value is validated up front: a wrong one stops start-up with one line naming the
// variable, e.g.  PORT must be a port number (1-65535), got "abc"  (the caller prints it prefixed
// with "superlight: " and exits 2). The full table is docs/configuration.md.
//
// Ownership: Config is a plain value, built once at start and passed by const reference.
// Threading: immutable after load; safe to share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "gateway/http/trust_proxy.h"

namespace gw::config {

struct Config {
  // --- network ---
  std::string host = "0.0.0.0";  // the seed listened on every interface; HOST=127.0.0.1 to narrow
  uint16_t port = 3100;
  std::string trust_proxy_setting;  // raw TRUST_PROXY ("" = loopback, as in the seed)
  http::TrustProxy trust_proxy = http::TrustProxy::none();
  bool https = false;  // HTTPS=1: public URL is https (Secure cookies, HSTS) even without X-F-Proto

  // --- secrets and auth (empty = not set) ---
  std::string session_secret;  // cookie signing; empty = random per start (with a warning)
  std::string admin_dashboard_password;  // legacy single-password login; empty = disabled
  std::string master_api_key;            // x-master-key; empty = session creation needs a login
  std::string token_encryption_key;      // legacy file import / at-rest key material

  // --- sessions and webhooks ---
  int max_sessions = 10;
  double session_timeout_hours = 24;
  std::string webhook_url;  // default webhook for every session; empty = none
  bool allow_private_webhooks = false;
  double webhook_retry_horizon_hours = 24;

  // --- storage and files ---
  std::string database_url = "sqlite://./data/superlight.db";
  std::filesystem::path data_dir = "./data";
  std::filesystem::path dashboard_dir =
      "./dashboard/public";  // not ./dashboard: sources, node_modules
  uint64_t max_upload_mb = 25;
  uint64_t max_body_kb = 1024;  // JSON/text request bodies (the seed's 100 kB was too small)

  // --- HTTP server limits ---
  int max_connections = 1024;
  int request_timeout_seconds = 10;     // whole request header (slowloris)
  int keep_alive_timeout_seconds = 30;  // idle keep-alive connections
  int shutdown_grace_seconds = 10;
  int rate_limit_per_minute = 100;  // per IP, as the seed (0 = off)
  int token_rate_limit_per_minute = 600;  // per session token / master key (0 = off)

  // --- logging ---
  std::string log_level = "info";
  bool log_json = false;  // LOG_FORMAT=json

  // --- sandbox / WhatsApp endpoint ---
  bool sandbox = false;
  std::string wa_ws_url;          // empty = the real WhatsApp endpoint (or the sandbox's)
  std::string wa_noise_root_key;  // 64 hex characters (32 bytes), lower-cased; empty = default
  std::filesystem::path wa_media_ca_file;

  std::filesystem::path upload_dir() const { return data_dir / "tmp" / "uploads"; }
};

// Looks a variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Parses .env text: `KEY=VALUE`, optional `export ` prefix, `#` comments (whole line, or after
// an unquoted value preceded by a space), single quotes (literal), double quotes (with
// backslash escapes for newline, tab, quote and backslash), blank lines. InvalidArgument ".env line
// 3: …" for a malformed line.
core::Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text);

// Builds and validates the configuration from `env`.
core::Result<Config> load(const EnvLookup& env);

// The process environment over the `.env` file at `dotenv_path` (a missing file is fine).
core::Result<Config> load_from_process(const std::filesystem::path& dotenv_path = ".env");

// Copies every `.env` variable the process environment does not already have into it, so the
// components that read their own settings from the environment (webhook delivery, URL policy,
// API docs dir) see `.env` too, with the same precedence. Call once at start, before threads.
core::Status export_dotenv(const std::filesystem::path& dotenv_path);

// A lookup over a map (tests) and one over the real environment layered on a map.
EnvLookup map_lookup(std::map<std::string, std::string> values);
EnvLookup process_lookup(std::map<std::string, std::string> fallback = {});

}  // namespace gw::config
