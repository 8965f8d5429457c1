#include "storage/legacy_import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "core/encoding.h"
#include "crypto/aes.h"
#include "crypto/hash.h"

namespace storage {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

std::string str(const json& j, const char* key, std::string fallback = {}) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::optional<std::string> opt_str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  std::string s = it->is_string() ? it->get<std::string>() : it->dump();
  if (s.empty()) return std::nullopt;
  return s;
}

std::optional<long long> opt_time(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_number()) return it->get<long long>();
  if (!it->is_string()) return std::nullopt;
  auto t = parse_iso8601_ms(it->get<std::string>());
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::string digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

// Ids that do not fit our columns get a deterministic replacement, so a re-run maps the same
// legacy id to the same row.
std::string fit_id(const std::string& id, size_t max, std::string_view prefix) {
  if (!id.empty() && id.size() <= max) return id;
  std::string h = core::hex_encode(crypto::sha256(core::as_view(id)));
  return std::string(prefix) + h.substr(0, std::min<size_t>(40, max - prefix.size()));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

core::Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return core::Status::unavailable("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

core::Result<json> decrypt_json(core::ByteView key, const fs::path& p) {
  CORE_ASSIGN_OR_RETURN(std::string text, read_file(p));
  CORE_ASSIGN_OR_RETURN(std::string plain, legacy_decrypt(key, text));
  json j = json::parse(plain, nullptr, false);
  if (j.is_discarded()) {
    return core::Status::invalid_argument("decrypted content is not JSON");
  }
  return j;
}

class Importer {
 public:
  Importer(Storage& s, core::ByteView key, LegacyImportReport& r) : s_(s), key_(key), r_(r) {}

  core::Status users(const json& j) {
    if (!j.is_array()) return core::Status::invalid_argument("users.enc is not a JSON array");
    for (const auto& u : j) {
      if (!u.is_object() || str(u, "email").empty()) continue;
      User user;
      user.email = lower(str(u, "email"));
      user.password_hash = str(u, "password");
      if (user.password_hash.empty()) user.password_hash = str(u, "passwordHash");
      if (user.password_hash.empty()) {
        return core::Status::invalid_argument("user " + user.email + " has no password hash");
      }
      user.role = lower(str(u, "role", "user")) == "admin" ? "admin" : "user";
      auto active = u.find("isActive");
      user.active = !(active != u.end() && active->is_boolean() && !active->get<bool>());
      user.created_by = opt_str(u, "createdBy");
      if (!user.created_by) user.created_by = "migration";
      user.last_login_at = opt_time(u, "lastLogin");
      CORE_ASSIGN_OR_RETURN(auto stored, s_.users().upsert_by_email(user));
      ++r_.users;
      if (auto it = u.find("sessions"); it != u.end() && it->is_array()) {
        for (const auto& sid : *it) {
          if (!sid.is_string()) continue;
          CORE_ASSIGN_OR_RETURN(bool created,
                                s_.wa_sessions().ensure(sid.get<std::string>(), stored.first.id));
          if (created) ++r_.sessions;
        }
      }
    }
    return core::Status();
  }

  core::Status tokens(const json& j) {
    if (!j.is_object())
      return core::Status::invalid_argument("session_tokens.enc is not an object");
    for (const auto& [sid, token] : j.items()) {
      if (!token.is_string()) continue;
      CORE_ASSIGN_OR_RETURN(bool created, s_.wa_sessions().ensure(sid, std::nullopt));
      if (created) ++r_.sessions;
      CORE_ASSIGN_OR_RETURN(bool added,
                            s_.tokens().import_session_token(sid, token.get<std::string>()));
      if (added) ++r_.tokens;
    }
    return core::Status();
  }

  core::Result<std::optional<std::string>> user_id_for(const std::optional<std::string>& email) {
    if (!email) return std::optional<std::string>();
    CORE_ASSIGN_OR_RETURN(auto u, s_.users().find_by_email(*email));
    if (!u) return std::optional<std::string>();
    return std::optional<std::string>(u->id);
  }

  core::Status list(const json& j) {
    if (!j.is_object()) return core::Status::invalid_argument("recipient list is not an object");
    RecipientList l;
    l.id = fit_id(str(j, "id"), 191, "legacy_");
    l.name = str(j, "name", l.id);
    l.description = opt_str(j, "description");
    if (auto it = j.find("tags"); it != j.end() && it->is_array()) l.tags_json = it->dump();
    l.created_by_email = opt_str(j, "createdBy");
    CORE_ASSIGN_OR_RETURN(l.created_by_id, user_id_for(l.created_by_email));
    if (auto it = j.find("usageCount"); it != j.end() && it->is_number_integer()) {
      l.usage_count = it->get<int>();
    }
    l.last_used_at = opt_time(j, "lastUsed");
    l.created_at = opt_time(j, "createdAt").value_or(0);
    l.updated_at = opt_time(j, "updatedAt").value_or(l.created_at);
    std::vector<Recipient> rs;
    if (auto it = j.find("recipients"); it != j.end() && it->is_array()) {
      for (const auto& x : *it) {
        Recipient r;
        r.number = digits(str(x, "number"));
        if (r.number.size() < 8 || r.number.size() > 20) continue;
        r.name = opt_str(x, "name");
        r.job_title = opt_str(x, "jobTitle");
        r.company_name = opt_str(x, "companyName");
        if (auto cf = x.find("customFields"); cf != x.end() && cf->is_object()) {
          r.custom_fields_json = cf->dump();
        }
        r.added_at = opt_time(x, "addedAt").value_or(0);
        rs.push_back(std::move(r));
      }
    }
    CORE_RETURN_IF_ERROR(s_.recipient_lists().upsert(l, rs));
    ++r_.recipient_lists;
    r_.recipients += static_cast<int>(rs.size());
    return core::Status();
  }

  core::Status campaign(const json& j) {
    static const char* kStatuses[] = {"draft",  "ready",     "scheduled", "running", "sending",
                                      "paused", "completed", "cancelled", "failed"};
    if (!j.is_object()) return core::Status::invalid_argument("campaign is not an object");
    Campaign c;
    c.id = fit_id(str(j, "id"), 191, "legacy_");
    c.name = str(j, "name", c.id);
    std::string status = lower(str(j, "status", "draft"));
    c.status = std::find_if(std::begin(kStatuses), std::end(kStatuses),
                            [&](const char* s) { return status == s; }) != std::end(kStatuses)
                   ? status
                   : "draft";
    if (auto sid = opt_str(j, "sessionId")) {
      CORE_ASSIGN_OR_RETURN(auto session, s_.wa_sessions().find(*sid));
      if (session) c.session_id = sid;  // a vanished session is dropped, as the FK would
    }
    if (auto it = j.find("message"); it != j.end() && it->is_object()) c.message_json = it->dump();
    if (auto it = j.find("settings"); it != j.end() && it->is_object())
      c.settings_json = it->dump();
    if (auto it = j.find("statistics"); it != j.end() && it->is_object()) {
      c.statistics_json = it->dump();
    }
    c.scheduled_at = opt_time(j, "scheduledAt");
    c.started_at = opt_time(j, "startedAt");
    c.completed_at = opt_time(j, "completedAt");
    c.created_by_email = opt_str(j, "createdBy");
    CORE_ASSIGN_OR_RETURN(c.created_by_id, user_id_for(c.created_by_email));
    c.created_at = opt_time(j, "createdAt").value_or(0);
    c.updated_at = opt_time(j, "updatedAt").value_or(c.created_at);
    std::vector<CampaignRecipient> rs;
    if (auto it = j.find("recipients"); it != j.end() && it->is_array()) {
      for (const auto& x : *it) {
        CampaignRecipient r;
        r.number = digits(str(x, "number"));
        if (r.number.size() < 8 || r.number.size() > 20) continue;
        json payload = {{"name", x.value("name", json())},
                        {"jobTitle", x.value("jobTitle", json())},
                        {"companyName", x.value("companyName", json())},
                        {"customFields", x.value("customFields", json::object())}};
        r.payload_json = payload.dump();
        std::string st = lower(str(x, "status", "pending"));
        r.status = st == "sent" ? "sent" : st == "failed" ? "failed" : "pending";
        if (auto rc = x.find("retryCount"); rc != x.end() && rc->is_number_integer()) {
          r.attempts = rc->get<int>();
        }
        r.sent_at = opt_time(x, "sentAt");
        r.error = opt_str(x, "error");
        rs.push_back(std::move(r));
      }
    }
    CORE_RETURN_IF_ERROR(s_.campaigns().upsert(c, rs));
    ++r_.campaigns;
    r_.campaign_recipients += static_cast<int>(rs.size());
    return core::Status();
  }

  core::Status activities(const json& j) {
    if (!j.is_array()) return core::Status::invalid_argument("activity log is not a JSON array");
    for (const auto& a : j) {
      if (!a.is_object()) continue;
      ActivityEntry e;
      std::string id = str(a, "id");
      if (id.empty()) id = core::hex_encode(crypto::sha256(core::as_view(a.dump())));
      e.legacy_id = fit_id(id, 64, "h:");
      e.at = opt_time(a, "timestamp").value_or(0);
      e.user_email = opt_str(a, "userEmail");
      CORE_ASSIGN_OR_RETURN(e.user_id, user_id_for(e.user_email));
      e.action = str(a, "action", "unknown").substr(0, 100);
      e.resource_type = opt_str(a, "resource");
      e.resource_id = opt_str(a, "resourceId");
      if (e.resource_id && e.resource_id->size() > 191) e.resource_id->resize(191);
      if (auto d = a.find("details"); d != a.end() && !d->is_null()) e.details_json = d->dump();
      e.ip = opt_str(a, "ip");
      if (e.ip && e.ip->size() > 45) e.ip->resize(45);
      e.user_agent = opt_str(a, "userAgent");
      if (e.user_agent && e.user_agent->size() > 255) e.user_agent->resize(255);
      auto ok = a.find("success");
      e.success = !(ok != a.end() && ok->is_boolean() && !ok->get<bool>());
      CORE_ASSIGN_OR_RETURN(bool added, s_.activity().import(e));
      if (added) ++r_.activities;
    }
    return core::Status();
  }

  // Decrypts, imports in one transaction, renames to .bak; errors go to the report.
  template <typename F>
  void file(const fs::path& dir, const fs::path& path, F import) {
    std::string rel = fs::relative(path, dir).string();
    auto j = decrypt_json(key_, path);
    if (!j.ok()) {
      r_.errors.emplace_back(rel, j.status().message());
      return;
    }
    LegacyImportReport before = r_;
    core::Status st =
        s_.db().transaction("importing " + rel, [&](soci::session&) { return import(*j); });
    if (!st.ok()) {
      auto errors = r_.errors;
      r_ = before;  // counts of a rolled-back file do not count
      r_.errors = errors;
      r_.errors.emplace_back(rel, st.message());
      return;
    }
    fs::path bak = path;
    bak += ".bak";
    std::error_code ec;
    fs::rename(path, bak, ec);
    if (ec) {
      r_.errors.emplace_back(rel, "imported, but renaming to .bak failed: " + ec.message());
      return;
    }
    r_.imported_files.push_back(rel);
  }

 private:
  Storage& s_;
  core::ByteView key_;
  LegacyImportReport& r_;
};

std::vector<fs::path> files_in(const fs::path& dir, std::string_view ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

core::Result<long long> parse_iso8601_ms(std::string_view t) {
  auto bad = [&] {
    return core::Status::invalid_argument("not an ISO-8601 time: " + std::string(t));
  };
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > t.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
  if (!num(0, 4, &y) || t.size() < 10 || t[4] != '-' || !num(5, 2, &mo) || t[7] != '-' ||
      !num(8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return bad();
  }
  size_t pos = 10;
  long long offset_min = 0;
  if (pos < t.size()) {
    if (t[pos] != 'T' && t[pos] != ' ') return bad();
    if (!num(pos + 1, 2, &h) || t.size() < pos + 6 || t[pos + 3] != ':' || !num(pos + 4, 2, &mi)) {
      return bad();
    }
    pos += 6;
    if (pos < t.size() && t[pos] == ':') {
      if (!num(pos + 1, 2, &s)) return bad();
      pos += 3;
    }
    if (pos < t.size() && t[pos] == '.') {
      ++pos;
      int scale = 100;
      while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
        ms += (t[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
    }
    if (pos < t.size()) {
      if (t[pos] == 'Z') {
        ++pos;
      } else if (t[pos] == '+' || t[pos] == '-') {
        int oh, om;
        if (!num(pos + 1, 2, &oh) || t.size() < pos + 6 || t[pos + 3] != ':' ||
            !num(pos + 4, 2, &om)) {
          return bad();
        }
        offset_min = (t[pos] == '+' ? 1 : -1) * (oh * 60 + om);
        pos += 6;
      }
    }
    if (pos != t.size() || h > 23 || mi > 59 || s > 60) return bad();
  }
  long long days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  long long secs = days * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  return secs * 1000 + ms;
}

core::Result<std::string> legacy_encrypt(core::ByteView key, core::ByteView iv,
                                         std::string_view plaintext) {
  CORE_ASSIGN_OR_RETURN(auto ct, crypto::aes256_cbc_encrypt(key, iv, core::as_view(plaintext)));
  return core::hex_encode(iv) + ":" + core::hex_encode(ct);
}

core::Result<std::string> legacy_decrypt(core::ByteView key, std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  size_t colon = text.find(':');
  if (colon != 32) return core::Status::invalid_argument("not an <iv hex>:<ciphertext hex> file");
  auto iv = core::hex_decode(text.substr(0, colon));
  auto ct = core::hex_decode(text.substr(colon + 1));
  if (!iv.ok() || !ct.ok() || ct->empty() || ct->size() % 16 != 0) {
    return core::Status::invalid_argument("not an <iv hex>:<ciphertext hex> file");
  }
  auto plain = crypto::aes256_cbc_decrypt(key, *iv, *ct);
  if (!plain.ok()) {
    return core::Status::unauthenticated("cannot decrypt (wrong TOKEN_ENCRYPTION_KEY or corrupt)");
  }
  return core::to_string(*plain);
}

core::Result<LegacyImportReport> import_legacy(Storage& storage, const fs::path& dir,
                                               std::string_view legacy_key_hex) {
  if (legacy_key_hex.size() < 64) {
    return core::Status::invalid_argument(
        "the legacy files need the old server's TOKEN_ENCRYPTION_KEY (at least 64 hex characters)");
  }
  auto key = core::hex_decode(legacy_key_hex.substr(0, 64));
  if (!key.ok()) return core::Status::invalid_argument("TOKEN_ENCRYPTION_KEY is not hex");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return core::Status::not_found("legacy directory " + dir.string() + " does not exist");
  }
  LegacyImportReport report;
  Importer im(storage, *key, report);
  if (fs::exists(dir / "users.enc")) {
    im.file(dir, dir / "users.enc", [&](const json& j) { return im.users(j); });
  }
  if (fs::exists(dir / "session_tokens.enc")) {
    im.file(dir, dir / "session_tokens.enc", [&](const json& j) { return im.tokens(j); });
  }
  for (const auto& p : files_in(dir / "recipient_lists", ".json")) {
    im.file(dir, p, [&](const json& j) { return im.list(j); });
  }
  for (const auto& p : files_in(dir / "campaigns", ".json")) {
    im.file(dir, p, [&](const json& j) { return im.campaign(j); });
  }
  for (const auto& p : files_in(dir / "activity_logs", ".enc")) {
    im.file(dir, p, [&](const json& j) { return im.activities(j); });
  }
  return report;
}

bool has_legacy_files(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "users.enc", ec) ||
      fs::is_regular_file(dir / "session_tokens.enc", ec)) {
    return true;
  }
  return !files_in(dir / "activity_logs", ".enc").empty() ||
         !files_in(dir / "campaigns", ".json").empty() ||
         !files_in(dir / "recipient_lists", ".json").empty();
}

core::Result<std::optional<LegacyImportReport>> import_legacy_at_start(
    Storage& storage, const fs::path& dir, const std::optional<std::string>& legacy_key_hex,
    spdlog::logger& log) {
  if (!has_legacy_files(dir)) return std::optional<LegacyImportReport>();
  if (!legacy_key_hex || legacy_key_hex->empty()) {
    log.warn(
        "legacy seed files found in {} but TOKEN_ENCRYPTION_KEY is not set; set it to the old "
        "server's key to import them (they are left in place)",
        dir.string());
    return std::optional<LegacyImportReport>();
  }
  auto report = import_legacy(storage, dir, *legacy_key_hex);
  if (!report.ok()) {
    log.error("legacy import from {} failed: {}", dir.string(), report.status().message());
    return report.status();
  }
  const auto& r = *report;
  log.info(
      "legacy import from {}: {} file(s), {} user(s), {} new session(s), {} token(s), {} "
      "recipient list(s), {} campaign(s), {} activity entr(ies); imported files renamed to *.bak",
      dir.string(), r.imported_files.size(), r.users, r.sessions, r.tokens, r.recipient_lists,
      r.campaigns, r.activities);
  for (const auto& [file, error] : r.errors) {
    log.warn("legacy import: {}: {} (left in place; retried at the next start)", file, error);
  }
  return std::optional<LegacyImportReport>(std::move(report).value());
}

int run_import_legacy_command(const ImportLegacyOptions& options, std::ostream& out,
                              std::ostream& err) {
  if (options.dir.empty()) {
    err << "superlight import-legacy: --dir is required\n";
    return 2;
  }
  std::string legacy_key =
      options.legacy_key_hex.value_or(options.storage.encryption_key_hex.value_or(""));
  if (legacy_key.empty()) {
    err << "superlight import-legacy: set TOKEN_ENCRYPTION_KEY to the old server's key\n";
    return 2;
  }
  auto storage = Storage::open(options.storage);
  if (!storage.ok()) {
    err << "superlight import-legacy: " << storage.status().message() << "\n";
    return 1;
  }
  auto report = import_legacy(**storage, options.dir, legacy_key);
  if (!report.ok()) {
    err << "superlight import-legacy: " << report.status().message() << "\n";
    return report.status().code() == core::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const auto& r = *report;
  out << "imported " << r.imported_files.size() << " file(s): " << r.users << " user(s), "
      << r.sessions << " new session(s), " << r.tokens << " token(s), " << r.recipient_lists
      << " recipient list(s) with " << r.recipients << " recipient(s), " << r.campaigns
      << " campaign(s) with " << r.campaign_recipients << " recipient(s), " << r.activities
      << " activity entr(ies)\n";
  for (const auto& f : r.imported_files) out << "  " << f << " -> " << f << ".bak\n";
  for (const auto& [f, e] : r.errors) err << "  " << f << ": " << e << " (left in place)\n";
  return r.errors.empty() ? 0 : 1;
}

}  // namespace storage
