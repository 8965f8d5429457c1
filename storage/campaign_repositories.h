// Repositories for bulk sending: recipient lists with their recipients, and campaigns with their
// per-recipient send state. The send loop asks for the next due recipient with an index-backed
// query instead of loading the whole campaign (the seed's O(N²) reload), and every failure
// counts an attempt so a permanently failing recipient stops being retried.
//
// Ownership: repositories hold references to Database and Clock; they must outlive it.
// Threading: thread-safe; calls block — run them on the BlockingExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace storage {

struct Recipient {
  long long id = 0;
  std::string number{};  // digits only
  std::optional<std::string> name{};
  std::optional<std::string> job_title{};
  std::optional<std::string> company_name{};
  std::string custom_fields_json = "{}";
  long long added_at = 0;
};

struct RecipientList {
  std::string id{};
  std::string name{};
  std::optional<std::string> description{};
  std::string tags_json = "[]";
  std::optional<std::string> created_by_id{};
  std::optional<std::string> created_by_email{};
  int usage_count = 0;
  std::optional<long long> last_used_at{};
  long long created_at = 0;
  long long updated_at = 0;
  long long recipient_count = 0;  // filled by reads
};

class RecipientListRepository {
 public:
  RecipientListRepository(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // AlreadyExists for a taken id. created_at/updated_at default to now when 0.
  core::Status create(RecipientList list, const std::vector<Recipient>& recipients);
  // Insert or replace the list and all its recipients in one transaction (legacy import).
  core::Status upsert(RecipientList list, const std::vector<Recipient>& recipients);
  core::Result<std::optional<RecipientList>> find(const std::string& id);
  // All lists, or those created by one user.
  core::Result<std::vector<RecipientList>> list(const std::optional<std::string>& created_by_id);
  core::Result<std::vector<Recipient>> recipients(const std::string& list_id);
  core::Status add_recipients(const std::string& list_id, const std::vector<Recipient>& recipients);
  core::Status mark_used(const std::string& id);
  core::Status remove(const std::string& id);

 private:
  core::Status write(soci::session& sql, const RecipientList& list,
                     const std::vector<Recipient>& recipients, bool replace);
  Database& db_;
  const core::Clock& clock_;
};

struct Campaign {
  std::string id{};
  std::string name{};
  std::string status = "draft";
  std::optional<std::string> session_id{};
  std::string message_json = "{}";
  std::string settings_json = "{}";
  std::optional<std::string> statistics_json{};
  std::optional<long long> scheduled_at{};
  std::optional<long long> started_at{};
  std::optional<long long> completed_at{};
  std::optional<std::string> created_by_id{};
  std::optional<std::string> created_by_email{};
  long long created_at = 0;
  long long updated_at = 0;
};

struct CampaignRecipient {
  long long id = 0;
  std::string campaign_id{};
  std::string number{};
  std::string payload_json = "{}";
  std::string status = "pending";  // pending | sending | sent | failed | skipped
  int attempts = 0;
  std::optional<long long> next_attempt_at{};
  std::optional<long long> sent_at{};
  std::optional<std::string> message_id{};
  std::optional<std::string> error{};
};

struct CampaignStats {
  long long total = 0, pending = 0, sending = 0, sent = 0, failed = 0, skipped = 0;
};

class CampaignRepository {
 public:
  CampaignRepository(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  core::Status create(Campaign campaign, const std::vector<CampaignRecipient>& recipients);
  // Insert or replace the campaign and its recipients (legacy import).
  core::Status upsert(Campaign campaign, const std::vector<CampaignRecipient>& recipients);
  core::Result<std::optional<Campaign>> find(const std::string& id);
  core::Result<std::vector<Campaign>> list(const std::optional<std::string>& created_by_id);
  // Campaigns in status "ready"/"scheduled" whose scheduled_at has passed.
  core::Result<std::vector<Campaign>> due_scheduled();
  // Sets status; "sending" stamps started_at, "completed"/"cancelled"/"failed" completed_at.
  core::Status set_status(const std::string& id, const std::string& status);
  // The next recipient to send: pending, or failed with attempts < max_attempts and
  // next_attempt_at <= now; lowest id first. Marks it "sending".
  core::Result<std::optional<CampaignRecipient>> claim_next(const std::string& campaign_id,
                                                            int max_attempts);
  core::Status mark_sent(long long recipient_id, const std::string& message_id);
  // Counts an attempt; retry_at = nullopt makes the failure final.
  core::Status mark_failed(long long recipient_id, const std::string& error,
                           std::optional<long long> retry_at);
  // Manual retry: failed → pending (attempts kept). Returns how many were reset.
  core::Result<long long> retry_failed(const std::string& campaign_id);
  // "sending" rows left by a crash go back to pending.
  core::Result<long long> recover_sending(const std::string& campaign_id);
  core::Result<CampaignStats> stats(const std::string& campaign_id);
  core::Result<std::vector<CampaignRecipient>> recipients(const std::string& campaign_id, int limit,
                                                          int offset);
  core::Status remove(const std::string& id);

 private:
  core::Status write(soci::session& sql, const Campaign& c,
                     const std::vector<CampaignRecipient>& recipients, bool replace);
  Database& db_;
  const core::Clock& clock_;
};

}  // namespace storage
