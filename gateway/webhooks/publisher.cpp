#include "gateway/webhooks/publisher.h"

namespace gw::webhooks {

core::Result<bool> WebhookPublisher::publish(const Event& event) {
  if (event.id.empty() || event.id.size() > 48 || event.id.find('~') != std::string::npos) {
    // 48 leaves room in the 64-character column for the "~tag" of replay copies.
    return core::Status::invalid_argument("webhook event id must be 1..48 characters without '~'");
  }
  CORE_ASSIGN_OR_RETURN(std::optional<WebhookTarget> target, settings_.target(event.session_id));
  if (!target) return false;
  CORE_ASSIGN_OR_RETURN(bool queued, outbox_.enqueue(to_outbox(event)));
  if (queued && !db_.in_transaction()) wake();
  return queued;
}

}  // namespace gw::webhooks
