// Extra read queries over the webhook outbox that the delivery worker and the replay route need
// and that WebhookOutboxRepository does not offer: the due head of every per-session queue (so a
// session never has two events in flight and never overtakes itself), queue statistics for the
// metrics, and the events of a time range for replay. Writes still go through
// WebhookOutboxRepository (enqueue / mark_delivered / mark_failed).
//
// Ownership: holds references to the Database and Clock; they must outlive it.
// Threading: thread-safe; calls block — run them on the BlockingExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/session_repositories.h"

namespace storage {

struct WebhookQueueStats {
  long long pending = 0;                   // neither delivered nor given up
  long long due = 0;                       // pending with next_attempt_at <= now
  std::optional<long long> oldest_due_at;  // smallest next_attempt_at among due events (ms)
};

class WebhookQueries {
 public:
  WebhookQueries(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // For every session, its oldest pending event (lowest id) when that one is due; events
  // without a session are each their own queue. Oldest due first, at most `limit` (1..1000).
  // A later event of a session is never returned while an earlier one is pending, so delivering
  // only what this returns keeps per-session order across retries and restarts.
  core::Result<std::vector<WebhookEvent>> due_session_heads(int limit);

  core::Result<WebhookQueueStats> stats();

  // Events created in [from_ms, to_ms), optionally of one session, oldest first, at most
  // `limit` (1..100000).
  core::Result<std::vector<WebhookEvent>> created_between(
      long long from_ms, long long to_ms, const std::optional<std::string>& session_id, int limit);

 private:
  Database& db_;
  const core::Clock& clock_;
};

}  // namespace storage
