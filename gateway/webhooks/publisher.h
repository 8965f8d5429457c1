// WebhookPublisher: how producers (the session manager, the campaign engine) hand an event to
// the durable outbox. The outbox row is written through the storage layer's ambient
// transaction: call publish() inside the Database::transaction() that records the fact the event
// reports (the inbound message row, the receipt's status change, the session's new state), so
// the event exists if and only if the fact was committed:
//
//   storage.db().transaction("recording inbound message", [&](soci::session&) -> core::Status {
//     CORE_ASSIGN_OR_RETURN(bool fresh, storage.messages().record_inbound(record));
//     if (!fresh) return core::Status();
//     return publisher.publish(new_message_event(...)).status();
//   });
//   publisher.wake();  // after the commit: deliver now instead of at the next poll
//
// Ownership: holds references to the Database, the outbox repository and WebhookSettings; they
// must outlive it. The wake function is copied.
// Threading: thread-safe; publish() blocks (SQL) — call it on the BlockingExecutor, from the
// thread that owns the transaction.
#pragma once

#include <functional>
#include <utility>

#include "core/status.h"
#include "gateway/webhooks/event.h"
#include "gateway/webhooks/webhook_settings.h"
#include "storage/database.h"
#include "storage/session_repositories.h"

namespace gw::webhooks {

class WebhookPublisher {
 public:
  WebhookPublisher(storage::Database& db, storage::WebhookOutboxRepository& outbox,
                   WebhookSettings& settings, std::function<void()> wake = {})
      : db_(db), outbox_(outbox), settings_(settings), wake_(std::move(wake)) {}

  // Queues `event`. True when a row was written; false when nothing is queued because no
  // webhook URL applies to the event's session (neither per-session nor WEBHOOK_URL) or the
  // same event id is already in the outbox (a producer retrying the same fact). Outside a
  // transaction it also wakes the worker; inside one, call wake() after the commit.
  core::Result<bool> publish(const Event& event);

  // Tells the delivery worker to look at the outbox now.
  void wake() const {
    if (wake_) wake_();
  }

 private:
  storage::Database& db_;
  storage::WebhookOutboxRepository& outbox_;
  WebhookSettings& settings_;
  std::function<void()> wake_;
};

}  // namespace gw::webhooks
