#include "gateway/webhooks/replay.h"

#include "core/encoding.h"
#include "gateway/webhooks/event.h"

namespace gw::webhooks {

core::Result<ReplayResult> replay(storage::Database& db, storage::WebhookQueries& queries,
                                  storage::WebhookOutboxRepository& outbox, core::Random& random,
                                  const ReplayRequest& request) {
  if (request.to_ms <= request.from_ms) {
    return core::Status::invalid_argument("replay range is empty: 'to' must be after 'from'");
  }
  if (request.limit < 1 || request.limit > kMaxReplayEvents) {
    return core::Status::invalid_argument("replay limit must be 1.." +
                                          std::to_string(kMaxReplayEvents));
  }
  // One tag per replay call: a range that holds both an event and an earlier copy of it maps
  // both to the same new row, so the event is sent once.
  std::string tag = core::hex_encode(random.bytes(6));
  ReplayResult result;
  core::Status st = db.transaction("replaying webhooks", [&](soci::session&) -> core::Status {
    CORE_ASSIGN_OR_RETURN(std::vector<storage::WebhookEvent> events,
                          queries.created_between(request.from_ms, request.to_ms,
                                                  request.session_id, request.limit + 1));
    if (static_cast<int>(events.size()) > request.limit) {
      result.truncated = true;
      events.resize(static_cast<size_t>(request.limit));
    }
    for (const auto& e : events) {
      if (!e.delivered_at && !e.failed_at) {
        ++result.skipped_pending;
        continue;
      }
      storage::WebhookEvent copy;
      std::string id(header_event_id(e.event_id));
      copy.event_id = id + "~" + tag;
      copy.session_id = e.session_id;
      copy.event_type = e.event_type;
      copy.payload_json = e.payload_json;
      CORE_ASSIGN_OR_RETURN(bool queued, outbox.enqueue(std::move(copy)));
      if (queued) {
        ++result.queued;
        result.event_ids.push_back(std::move(id));
      }
    }
    return core::Status();
  });
  if (!st.ok()) return st;
  return result;
}

}  // namespace gw::webhooks
