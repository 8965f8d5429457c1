#include "gateway/auth/activity.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <ctime>

#include "core/log.h"
#include "gateway/auth/principal.h"
#include "gateway/http/headers.h"
#include "gateway/http/request.h"
#include "gateway/services.h"

namespace gw::auth {
namespace {

// Column sizes of activity_log (storage/migrations/*/001_initial.sql).
constexpr size_t kEmailMax = 191;
constexpr size_t kActionMax = 100;
constexpr size_t kResourceMax = 64;
constexpr size_t kResourceIdMax = 191;
constexpr size_t kIpMax = 45;
constexpr size_t kUserAgentMax = 255;
constexpr size_t kDetailsMax = 16 * 1024;

std::optional<std::string> trunc_opt(const std::optional<std::string>& s, size_t max) {
  if (!s) return std::nullopt;
  return truncate_utf8(*s, max);
}

bool parse_digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

bool is_sensitive_key(std::string_view key) {
  std::string k;
  for (char c : key) {
    if (c == '-' || c == '_' || c == ' ') continue;
    k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (std::string_view part : {"password", "passwd", "token", "secret", "apikey", "masterkey"}) {
    if (k.find(part) != std::string::npos) return true;
  }
  for (std::string_view exact :
       {"pass", "authorization", "cookie", "setcookie", "body", "text", "caption", "content",
        "conversation", "mediacaption", "key", "credentials", "signature"}) {
    if (k == exact) return true;
  }
  return false;
}

nlohmann::json redact_details(const nlohmann::json& details) {
  if (details.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = details.begin(); it != details.end(); ++it) {
      if (is_sensitive_key(it.key())) continue;
      out[it.key()] = redact_details(it.value());
    }
    return out;
  }
  if (details.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : details) out.push_back(redact_details(v));
    return out;
  }
  return details;
}

std::string truncate_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t end = max;
  // Step back over continuation bytes so a multi-byte character is never cut.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

storage::ActivityEntry to_entry(const ActivityRecord& r) {
  storage::ActivityEntry e;
  e.user_id = r.user_id;
  e.user_email = truncate_utf8(r.user_email.empty() ? "unknown" : r.user_email, kEmailMax);
  e.action = truncate_utf8(r.action, kActionMax);
  e.resource_type = trunc_opt(r.resource, kResourceMax);
  e.resource_id = trunc_opt(r.resource_id, kResourceIdMax);
  nlohmann::json details = redact_details(r.details);
  std::string text = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kDetailsMax) text = nlohmann::json{{"truncated", true}}.dump();
  e.details_json = std::move(text);
  e.ip = trunc_opt(r.ip, kIpMax);
  e.user_agent = trunc_opt(r.user_agent, kUserAgentMax);
  e.success = r.success;
  return e;
}

std::string iso_time(long long unix_millis) {
  std::time_t secs = static_cast<std::time_t>(unix_millis / 1000);
  long long ms = unix_millis % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<long long> parse_time(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  // Plain Unix milliseconds.
  if (s.find_first_not_of("0123456789") == std::string_view::npos) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  }
  int year, mon, day, hour = 0, min = 0, sec = 0, ms = 0;
  if (!parse_digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || s[7] != '-' ||
      !parse_digits(s, 5, 2, mon) || !parse_digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31) return std::nullopt;
  size_t pos = 10;
  long long offset_seconds = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!parse_digits(s, pos, 2, hour) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !parse_digits(s, pos + 3, 2, min)) {
      return std::nullopt;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!parse_digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
        std::string frac(s.substr(start, pos - start));
        if (frac.empty()) return std::nullopt;
        frac.resize(3, '0');
        ms = std::stoi(frac.substr(0, 3));
      }
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om;
        if (!parse_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !parse_digits(s, pos + 4, 2, om)) {
          return std::nullopt;
        }
        offset_seconds = (oh * 3600LL + om * 60LL) * (s[pos] == '+' ? 1 : -1);
        pos += 6;
      }
    }
    if (pos != s.size() || hour > 23 || min > 59 || sec > 60) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  long long secs = static_cast<long long>(timegm(&tm)) - offset_seconds;
  return secs * 1000 + ms;
}

nlohmann::json activity_json(const storage::ActivityEntry& e) {
  nlohmann::json details = nullptr;
  if (e.details_json) {
    details = nlohmann::json::parse(*e.details_json, nullptr, false);
    if (details.is_discarded()) details = *e.details_json;  // imported free text stays text
  }
  auto opt = [](const std::optional<std::string>& s) -> nlohmann::json {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
  };
  return {{"id", e.legacy_id ? *e.legacy_id : std::to_string(e.id)},
          {"timestamp", iso_time(e.at)},
          {"userEmail", opt(e.user_email)},
          {"action", e.action},
          {"resource", opt(e.resource_type)},
          {"resourceId", opt(e.resource_id)},
          {"details", details},
          {"ip", opt(e.ip)},
          {"userAgent", opt(e.user_agent)},
          {"success", e.success}};
}

void ActivityLog::record(ActivityRecord record, std::function<void(core::Status)> done) {
  storage::ActivityEntry entry = to_entry(record);
  services_.run_blocking(
      [this, entry = std::move(entry)]() mutable -> core::Status {
        auto r = services_.storage().activity().append(std::move(entry));
        return r.ok() ? core::Status() : r.status();
      },
      [done = std::move(done)](core::Status st) {
        if (!st.ok())
          core::get_logger("gw.activity")->warn("activity not recorded: {}", st.message());
        if (done) done(st);
      });
}

void ActivityLog::record_request(const http::Request& req, std::string action,
                                 std::optional<std::string> resource,
                                 std::optional<std::string> resource_id, nlohmann::json details,
                                 bool success, std::function<void(core::Status)> done) {
  const Principal& p = principal_of(req);
  ActivityRecord r;
  if (p.kind == Principal::Kind::kUser) r.user_id = p.user_id;
  r.user_email = p.actor_email();
  r.action = std::move(action);
  r.resource = std::move(resource);
  r.resource_id = std::move(resource_id);
  r.details = std::move(details);
  r.ip = req.remote_address;
  if (auto ua = req.header("User-Agent")) r.user_agent = std::string(*ua);
  r.success = success;
  record(std::move(r), std::move(done));
}

}  // namespace gw::auth
