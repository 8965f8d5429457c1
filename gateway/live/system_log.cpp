#include "gateway/live/system_log.h"

#include <fstream>
#include <system_error>

#include "core/encoding.h"
#include "gateway/auth/activity.h"

namespace gw::live {
namespace {

nlohmann::json to_line(const SystemLogEntry& e) {
  nlohmann::json j = system_log_entry_json(e);
  j["ownerId"] = e.owner_id ? nlohmann::json(*e.owner_id) : nlohmann::json(nullptr);
  j["at"] = e.at_ms;
  return j;
}

std::optional<SystemLogEntry> from_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  SystemLogEntry e;
  if (!j.contains("id") || !j["id"].is_string()) return std::nullopt;
  e.id = j["id"].get<std::string>();
  if (j.contains("at") && j["at"].is_number_integer()) e.at_ms = j["at"].get<long long>();
  if (j.contains("sessionId") && j["sessionId"].is_string()) e.session_id = j["sessionId"];
  if (j.contains("ownerId") && j["ownerId"].is_string()) {
    e.owner_id = j["ownerId"].get<std::string>();
  }
  if (j.contains("message") && j["message"].is_string()) e.message = j["message"];
  if (j.contains("details")) e.details = auth::redact_details(j["details"]);
  return e;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json system_log_entry_json(const SystemLogEntry& e) {
  return {{"id", e.id},
          {"timestamp", auth::iso_time(e.at_ms)},
          {"sessionId", e.session_id},
          {"message", e.message},
          {"details", e.details}};
}

SystemLog::SystemLog(std::filesystem::path file, const core::Clock& clock, core::Random& random,
                     size_t max_entries)
    : file_(std::move(file)), clock_(clock), random_(random), max_entries_(max_entries) {}

core::Status SystemLog::load() {
  std::lock_guard lock(mu_);
  entries_.clear();
  if (file_.empty()) return core::Status();
  std::ifstream in(file_);
  if (!in) return core::Status();
  std::string line;
  while (std::getline(in, line)) {
    if (auto e = from_line(line)) {
      entries_.push_back(std::move(*e));
      if (entries_.size() > max_entries_) entries_.pop_front();
    }
  }
  return core::Status();
}

core::Result<SystemLogEntry> SystemLog::append(SystemLogEntry entry) {
  entry.id = core::hex_encode(random_.bytes(8));
  if (entry.at_ms == 0) entry.at_ms = clock_.unix_millis();
  entry.details = auth::redact_details(entry.details);
  std::lock_guard lock(mu_);
  entries_.push_back(entry);
  while (entries_.size() > max_entries_) entries_.pop_front();
  if (!file_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    if (std::filesystem::exists(file_, ec) &&
        std::filesystem::file_size(file_, ec) >= kRotateBytes) {
      // One backup, as the seed did; the in-memory tail survives.
      std::filesystem::rename(file_, file_.string() + ".bak", ec);
    }
    std::ofstream out(file_, std::ios::app);
    if (!out) return core::Status::unavailable("cannot write " + file_.string());
    out << dump(to_line(entry)) << '\n';
  }
  return entry;
}

std::vector<SystemLogEntry> SystemLog::entries() const {
  std::lock_guard lock(mu_);
  return {entries_.begin(), entries_.end()};
}

std::vector<SystemLogEntry> SystemLog::visible_to(const auth::Principal& p) const {
  std::lock_guard lock(mu_);
  std::vector<SystemLogEntry> out;
  for (const auto& e : entries_) {
    if (auth::can_access_owned(p, e.owner_id)) out.push_back(e);
  }
  return out;
}

core::Result<size_t> SystemLog::remove(const std::set<std::string>& ids) {
  std::lock_guard lock(mu_);
  size_t before = entries_.size();
  std::erase_if(entries_, [&](const SystemLogEntry& e) { return ids.count(e.id) > 0; });
  size_t removed = before - entries_.size();
  if (removed > 0) CORE_RETURN_IF_ERROR(rewrite_locked());
  return removed;
}

bool SystemLog::contains(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e.id == id) return true;
  }
  return false;
}

bool SystemLog::file_exists() const {
  std::error_code ec;
  return !file_.empty() && std::filesystem::exists(file_, ec);
}

size_t SystemLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

core::Status SystemLog::rewrite_locked() {
  if (file_.empty()) return core::Status();
  std::filesystem::path tmp = file_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return core::Status::unavailable("cannot write " + tmp.string());
    for (const auto& e : entries_) out << dump(to_line(e)) << '\n';
    if (!out) return core::Status::unavailable("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file_, ec);
  if (ec)
    return core::Status::unavailable("cannot replace " + file_.string() + ": " + ec.message());
  return core::Status();
}

}  // namespace gw::live
