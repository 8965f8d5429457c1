#include "gateway/config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/encoding.h"

namespace gw::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "?";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

core::Status bad(std::string_view name, std::string_view must, std::string_view got) {
  return core::Status::invalid_argument(std::string(name) + " must be " + std::string(must) +
                                        ", got " + quoted(got));
}

// Integer in [lo, hi].
core::Status read_int(const EnvLookup& env, std::string_view name, int64_t lo, int64_t hi,
                      std::string_view must, int64_t& out) {
  auto v = env(name);
  if (!v) return core::Status();
  auto t = trim(*v);
  if (t.empty()) return core::Status();
  int64_t x = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
  if (ec != std::errc() || p != t.data() + t.size() || x < lo || x > hi) return bad(name, must, *v);
  out = x;
  return core::Status();
}

core::Status read_number(const EnvLookup& env, std::string_view name, double lo, double hi,
                         std::string_view must, double& out) {
  auto v = env(name);
  if (!v) return core::Status();
  std::string t(trim(*v));
  if (t.empty()) return core::Status();
  char* end = nullptr;
  errno = 0;
  double x = std::strtod(t.c_str(), &end);
  if (errno != 0 || end != t.c_str() + t.size() || !std::isfinite(x) || x < lo || x > hi) {
    return bad(name, must, *v);
  }
  out = x;
  return core::Status();
}

core::Status read_bool(const EnvLookup& env, std::string_view name, bool& out) {
  auto v = env(name);
  if (!v) return core::Status();
  auto t = lower(trim(*v));
  if (t.empty()) return core::Status();
  if (t == "1" || t == "true" || t == "yes" || t == "on") {
    out = true;
  } else if (t == "0" || t == "false" || t == "no" || t == "off") {
    out = false;
  } else {
    return bad(name, "a boolean (1/0, true/false, yes/no, on/off)", *v);
  }
  return core::Status();
}

void read_string(const EnvLookup& env, std::string_view name, std::string& out) {
  if (auto v = env(name)) out = std::string(trim(*v));
}

void read_path(const EnvLookup& env, std::string_view name, std::filesystem::path& out) {
  if (auto v = env(name); v && !trim(*v).empty()) out = std::string(trim(*v));
}

bool has_scheme(std::string_view url, std::initializer_list<std::string_view> schemes) {
  const std::string l = lower(url);
  for (auto s : schemes) {
    if (l.rfind(std::string(s) + "://", 0) == 0 && l.size() > s.size() + 3) return true;
  }
  return false;
}

}  // namespace

core::Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    auto err = [&](std::string_view what) {
      return core::Status::invalid_argument(".env line " + std::to_string(line_no) + ": " +
                                            std::string(what));
    };
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return err("expected KEY=VALUE");
    std::string_view key = trim(line.substr(0, eq));
    if (key.empty() ||
        !std::all_of(key.begin(), key.end(),
                     [](char c) {
                       return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '_';
                     }) ||
        (key.front() >= '0' && key.front() <= '9')) {
      return err("invalid variable name");
    }
    std::string_view raw = trim(line.substr(eq + 1));
    std::string value;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      const char q = raw.front();
      size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == q) {
          closed = true;
          break;
        }
        if (q == '"' && c == '\\' && i + 1 < raw.size()) {
          char n = raw[++i];
          value.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n);
          continue;
        }
        value.push_back(c);
      }
      if (!closed) return err("unterminated quoted value");
      auto rest = trim(raw.substr(i + 1));
      if (!rest.empty() && rest.front() != '#') return err("unexpected text after quoted value");
    } else {
      // An unquoted value ends at " #" (a trailing comment).
      size_t hash = raw.find(" #");
      if (hash == std::string_view::npos) hash = raw.find("\t#");
      value = std::string(trim(raw.substr(0, hash)));
    }
    out[std::string(key)] = std::move(value);
  }
  return out;
}

core::Result<Config> load(const EnvLookup& env) {
  Config c;
  int64_t i = 0;

  read_string(env, "HOST", c.host);
  if (c.host.empty()) c.host = "0.0.0.0";
  {
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, c.host.c_str(), &v4) != 1 &&
        inet_pton(AF_INET6, c.host.c_str(), &v6) != 1) {
      return bad("HOST", "an IP address to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)", c.host);
    }
  }
  i = c.port;
  CORE_RETURN_IF_ERROR(read_int(env, "PORT", 0, 65535, "a port number (1-65535)", i));
  if (auto v = env("PORT"); v && trim(*v) == "0") {
    c.port = 0;  // any free port; useful for tests (the banner prints the real one)
  } else {
    c.port = static_cast<uint16_t>(i);
  }

  read_string(env, "TRUST_PROXY", c.trust_proxy_setting);
  {
    auto t = http::TrustProxy::parse(c.trust_proxy_setting);
    if (!t.ok()) return t.status();
    c.trust_proxy = *t;
  }
  CORE_RETURN_IF_ERROR(read_bool(env, "HTTPS", c.https));

  read_string(env, "SESSION_SECRET", c.session_secret);
  if (c.session_secret == "change_this_secret") {
    return core::Status::invalid_argument(
        "SESSION_SECRET must not be the seed's example value \"change_this_secret\"; set a long "
        "random string or leave it empty");
  }
  read_string(env, "ADMIN_DASHBOARD_PASSWORD", c.admin_dashboard_password);
  read_string(env, "MASTER_API_KEY", c.master_api_key);
  read_string(env, "TOKEN_ENCRYPTION_KEY", c.token_encryption_key);

  i = c.max_sessions;
  CORE_RETURN_IF_ERROR(
      read_int(env, "MAX_SESSIONS", 1, 100000, "a whole number from 1 to 100000", i));
  c.max_sessions = static_cast<int>(i);
  CORE_RETURN_IF_ERROR(read_number(env, "SESSION_TIMEOUT_HOURS", 0.01, 8760,
                                   "a number of hours greater than 0 (at most 8760)",
                                   c.session_timeout_hours));
  read_string(env, "WEBHOOK_URL", c.webhook_url);
  if (!c.webhook_url.empty() && !has_scheme(c.webhook_url, {"http", "https"})) {
    return bad("WEBHOOK_URL", "an http:// or https:// URL (or empty)", c.webhook_url);
  }
  CORE_RETURN_IF_ERROR(read_bool(env, "ALLOW_PRIVATE_WEBHOOKS", c.allow_private_webhooks));
  CORE_RETURN_IF_ERROR(read_number(env, "WEBHOOK_RETRY_HORIZON_HOURS", 0.01, 720,
                                   "a number of hours greater than 0 (at most 720)",
                                   c.webhook_retry_horizon_hours));

  read_string(env, "DATABASE_URL", c.database_url);
  if (c.database_url.empty()) c.database_url = "sqlite://./data/superlight.db";
  if (!has_scheme(c.database_url, {"sqlite", "postgres", "postgresql", "mysql", "mariadb"})) {
    return bad("DATABASE_URL", "a sqlite://, postgresql:// or mysql:// (mariadb://) URL",
               c.database_url);
  }
  read_path(env, "DATA_DIR", c.data_dir);
  read_path(env, "DASHBOARD_DIR", c.dashboard_dir);
  i = static_cast<int64_t>(c.max_upload_mb);
  CORE_RETURN_IF_ERROR(read_int(env, "MAX_UPLOAD_MB", 1, 2048, "a size in MB from 1 to 2048", i));
  c.max_upload_mb = static_cast<uint64_t>(i);
  i = static_cast<int64_t>(c.max_body_kb);
  CORE_RETURN_IF_ERROR(
      read_int(env, "MAX_BODY_KB", 1, 1024 * 1024, "a size in kB from 1 to 1048576", i));
  c.max_body_kb = static_cast<uint64_t>(i);

  i = c.max_connections;
  CORE_RETURN_IF_ERROR(
      read_int(env, "MAX_CONNECTIONS", 1, 1000000, "a whole number from 1 to 1000000", i));
  c.max_connections = static_cast<int>(i);
  i = c.request_timeout_seconds;
  CORE_RETURN_IF_ERROR(
      read_int(env, "REQUEST_TIMEOUT_SECONDS", 1, 3600, "a number of seconds from 1 to 3600", i));
  c.request_timeout_seconds = static_cast<int>(i);
  i = c.keep_alive_timeout_seconds;
  CORE_RETURN_IF_ERROR(read_int(env, "KEEP_ALIVE_TIMEOUT_SECONDS", 1, 3600,
                                "a number of seconds from 1 to 3600", i));
  c.keep_alive_timeout_seconds = static_cast<int>(i);
  i = c.shutdown_grace_seconds;
  CORE_RETURN_IF_ERROR(
      read_int(env, "SHUTDOWN_GRACE_SECONDS", 0, 3600, "a number of seconds from 0 to 3600", i));
  c.shutdown_grace_seconds = static_cast<int>(i);
  i = c.rate_limit_per_minute;
  CORE_RETURN_IF_ERROR(read_int(env, "RATE_LIMIT_PER_MINUTE", 0, 1000000,
                                "a whole number from 0 (off) to 1000000", i));
  c.rate_limit_per_minute = static_cast<int>(i);
  i = c.token_rate_limit_per_minute;
  CORE_RETURN_IF_ERROR(read_int(env, "TOKEN_RATE_LIMIT_PER_MINUTE", 0, 1000000,
                                "a whole number from 0 (off) to 1000000", i));
  c.token_rate_limit_per_minute = static_cast<int>(i);

  read_string(env, "LOG_LEVEL", c.log_level);
  c.log_level = lower(c.log_level.empty() ? "info" : c.log_level);
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::none_of(std::begin(kLevels), std::end(kLevels),
                   [&](const char* l) { return c.log_level == l; })) {
    return bad("LOG_LEVEL", "one of trace, debug, info, warn, error, critical, off", c.log_level);
  }
  std::string format;
  read_string(env, "LOG_FORMAT", format);
  format = lower(format);
  if (format == "json") {
    c.log_json = true;
  } else if (!format.empty() && format != "text") {
    return bad("LOG_FORMAT", "text or json", format);
  }

  CORE_RETURN_IF_ERROR(read_bool(env, "SANDBOX", c.sandbox));
  read_string(env, "WA_WS_URL", c.wa_ws_url);
  if (!c.wa_ws_url.empty() && !has_scheme(c.wa_ws_url, {"ws", "wss"})) {
    return bad("WA_WS_URL", "a ws:// or wss:// URL (or empty)", c.wa_ws_url);
  }
  read_string(env, "WA_NOISE_ROOT_KEY", c.wa_noise_root_key);
  if (!c.wa_noise_root_key.empty()) {
    auto key = core::hex_decode(c.wa_noise_root_key);
    if (!key.ok() || key->size() != 32) {
      return bad("WA_NOISE_ROOT_KEY", "64 hex characters (a 32-byte public key)",
                 c.wa_noise_root_key);
    }
    c.wa_noise_root_key = lower(c.wa_noise_root_key);
  }
  read_path(env, "WA_MEDIA_CA_FILE", c.wa_media_ca_file);
  if (!c.wa_media_ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(c.wa_media_ca_file, ec)) {
      return bad("WA_MEDIA_CA_FILE", "a readable PEM file", c.wa_media_ca_file.string());
    }
  }
  return c;
}

EnvLookup map_lookup(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

EnvLookup process_lookup(std::map<std::string, std::string> fallback) {
  return [fallback = std::move(fallback)](std::string_view name) -> std::optional<std::string> {
    if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
    auto it = fallback.find(std::string(name));
    if (it == fallback.end()) return std::nullopt;
    return it->second;
  };
}

namespace {
core::Result<std::map<std::string, std::string>> read_dotenv(
    const std::filesystem::path& dotenv_path) {
  std::map<std::string, std::string> file_values;
  std::error_code ec;
  if (!dotenv_path.empty() && std::filesystem::exists(dotenv_path, ec)) {
    std::ifstream in(dotenv_path, std::ios::binary);
    if (!in) {
      return core::Status::invalid_argument("cannot read " + dotenv_path.string());
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = parse_dotenv(ss.str());
    if (!parsed.ok()) return parsed.status();
    file_values = std::move(*parsed);
  }
  return file_values;
}
}  // namespace

core::Result<Config> load_from_process(const std::filesystem::path& dotenv_path) {
  CORE_ASSIGN_OR_RETURN(auto file_values, read_dotenv(dotenv_path));
  return load(process_lookup(std::move(file_values)));
}

core::Status export_dotenv(const std::filesystem::path& dotenv_path) {
  CORE_ASSIGN_OR_RETURN(auto file_values, read_dotenv(dotenv_path));
  for (const auto& [name, value] : file_values) {
    if (::setenv(name.c_str(), value.c_str(), /*overwrite=*/0) != 0) {
      return core::Status::invalid_argument(".env variable " + name + " cannot be exported");
    }
  }
  return core::Status();
}

}  // namespace gw::config
