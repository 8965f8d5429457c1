// Webhook replay (the logic behind POST /api/v1/webhook/replay): re-sends the events created in
// a time range, optionally of one session. Each event is queued again as a copy — a new outbox
// row with its own delivery log and retry schedule, sent with the ORIGINAL X-Event-Id (plus
// "X-Event-Replay: 1") so receivers that dedupe on the id can drop it. Events still waiting for
// delivery are skipped (they will be sent anyway). Copies go to the session's current URL and
// are signed with its current secret.
//
// The caller (API layer) decides who may replay what: pass session_id for a non-admin.
//
// Threading: blocks (SQL) — run on the BlockingExecutor; one DB transaction per call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/session_repositories.h"
#include "storage/webhook_queries.h"

namespace gw::webhooks {

inline constexpr int kMaxReplayEvents = 10000;

struct ReplayRequest {
  long long from_ms = 0;  // inclusive, unix ms
  long long to_ms = 0;    // exclusive, unix ms
  std::optional<std::string> session_id;
  int limit = 1000;  // 1..kMaxReplayEvents
};

struct ReplayResult {
  int queued = 0;                      // copies written
  int skipped_pending = 0;             // still in the queue, not copied
  bool truncated = false;              // the range held more than `limit` events
  std::vector<std::string> event_ids;  // X-Event-Ids of the copies, oldest first
};

core::Result<ReplayResult> replay(storage::Database& db, storage::WebhookQueries& queries,
                                  storage::WebhookOutboxRepository& outbox, core::Random& random,
                                  const ReplayRequest& request);

}  // namespace gw::webhooks
