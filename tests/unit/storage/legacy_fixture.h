// Writes the Node server's seed files (users.enc, session_tokens.enc, a recipient list, a
// campaign, an activity log) for the legacy-import tests and the CLI test's helper process.
//
// Threading: used from one thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/encoding.h"
#include "core/random.h"
#include "storage/legacy_import.h"

namespace storage::testing {

namespace fs = std::filesystem;
using nlohmann::json;

// Writes the Node server's files exactly as it did: AES-256-CBC under the first 64 hex chars of
// TOKEN_ENCRYPTION_KEY, a random IV per write, "<iv hex>:<ciphertext hex>", no newline.
class LegacyFixture {
 public:
  LegacyFixture(fs::path dir, std::string key_hex)
      : dir_(std::move(dir)), key_hex_(std::move(key_hex)) {}

  void write(const fs::path& rel, const json& j, bool pretty = false) {
    auto key = core::hex_decode(key_hex_.substr(0, 64));
    core::Bytes iv = rng_.bytes(16);
    auto text = legacy_encrypt(*key, iv, pretty ? j.dump(2) : j.dump());
    if (!text.ok()) return;
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << *text;
  }

  void write_all(const std::string& admin_hash, const std::string& user_hash) {
    write("users.enc",
          json::array({{{"id", "0b0c3f5e-1111-4c4c-8888-000000000001"},
                        {"email", "Admin@Example.com"},
                        {"password", admin_hash},
                        {"role", "admin"},
                        {"createdBy", "system"},
                        {"createdAt", "2025-11-30T10:00:00.000Z"},
                        {"sessions", json::array({"sales", "support"})},
                        {"lastLogin", "2025-12-01T08:30:15.250Z"},
                        {"isActive", true}},
                       {{"id", "0b0c3f5e-1111-4c4c-8888-000000000002"},
                        {"email", "user@example.com"},
                        {"password", user_hash},
                        {"role", "user"},
                        {"createdBy", "admin@example.com"},
                        {"createdAt", "2025-11-30T11:00:00.000Z"},
                        {"sessions", json::array()},
                        {"lastLogin", nullptr},
                        {"isActive", false}}}),
          /*pretty=*/true);
    write("session_tokens.enc", {{"sales", "2b7e1516-28ae-4d2a-a6f7-15884c09cf4f"},
                                 {"legacy_only", "7c9e6679-7425-40de-944b-e07fc1f90ae7"}});
    write("recipient_lists/list_1733100000000_ab12cd.json",
          {{"id", "list_1733100000000_ab12cd"},
           {"name", "VIP قائمة"},
           {"description", "imported"},
           {"tags", json::array({"vip", "2025"})},
           {"createdBy", "user@example.com"},
           {"createdAt", "2025-12-02T09:00:00Z"},
           {"updatedAt", "2025-12-02T09:30:00Z"},
           {"usageCount", 3},
           {"lastUsed", nullptr},
           {"recipients", json::array({{{"number", "+1 (555) 000-0001"},
                                        {"name", "Ann"},
                                        {"jobTitle", "CTO"},
                                        {"companyName", "ACME"},
                                        {"customFields", {{"City", "Paris"}}},
                                        {"addedAt", "2025-12-02T09:00:00Z"}},
                                       {{"number", "15550000002"}, {"name", "Bo"}}})}});
    write("campaigns/campaign_1733100000000_deadbeef.json",
          {{"id", "campaign_1733100000000_deadbeef"},
           {"name", "December 🎄"},
           {"status", "completed"},
           {"createdBy", "admin@example.com"},
           {"sessionId", "sales"},
           {"createdAt", "2025-12-02T10:00:00.000Z"},
           {"startedAt", "2025-12-02T10:05:00.000Z"},
           {"completedAt", "2025-12-02T10:15:00.000Z"},
           {"message", {{"type", "text"}, {"content", "<p>Hi {{Name}}</p>"}}},
           {"settings", {{"delayBetweenMessages", 3000}, {"maxRetries", 3}}},
           {"recipients", json::array({{{"number", "15550000001"},
                                        {"name", "Ann"},
                                        {"status", "sent"},
                                        {"sentAt", "2025-12-02T10:06:00.000Z"},
                                        {"retryCount", 0}},
                                       {{"number", "15550000002"},
                                        {"status", "failed"},
                                        {"error", "not on WhatsApp"},
                                        {"retryCount", 3}}})}});
    write("activity_logs/activities_2025-12-01.enc",
          json::array({{{"id", "act_1"},
                        {"timestamp", "2025-12-01T08:30:15.250Z"},
                        {"userEmail", "admin@example.com"},
                        {"action", "login"},
                        {"resource", "auth"},
                        {"details", {{"success", true}}},
                        {"ip", "203.0.113.9"},
                        {"userAgent", "Mozilla"},
                        {"success", true}},
                       {{"id", "act_2"},
                        {"timestamp", "2025-12-01T08:31:00.000Z"},
                        {"userEmail", "admin@example.com"},
                        {"action", "create"},
                        {"resource", "session"},
                        {"resourceId", "sales"},
                        {"success", true}}}));
  }

 private:
  fs::path dir_;
  std::string key_hex_;
  core::FakeRandom rng_{99};
};

}  // namespace storage::testing
