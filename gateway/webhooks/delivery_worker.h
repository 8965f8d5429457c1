// DeliveryWorker: sends the webhook outbox. One thread owns a libcurl multi handle and runs
// every transfer; all SQL (fetching due events, looking up the session's URL and secret,
// resolving and checking the host, recording each attempt) runs on the BlockingExecutor and
// reports back to that thread.
//
// Guarantees:
//  * at-least-once: an event leaves the queue only when a 2xx answer was recorded in SQL, or
//    when it is parked as dead after the retry horizon. A crash, a kill or a stop that abandons
//    a transfer leaves the event pending; it is sent again after the restart (receivers dedupe
//    on X-Event-Id).
//  * per-session order: at most one event per session is in flight, and only the oldest
//    pending event of a session is ever sent (storage::WebhookQueries::due_session_heads), so a
//    failing event holds back the later ones of its session until it is delivered or parked.
//  * 2xx = delivered; anything else — connect/DNS error, timeout, policy refusal, 3xx
//    (redirects are never followed), 4xx, 5xx — is a failed attempt, retried per BackoffPolicy.
//  * every attempt is in the delivery log (WebhookOutboxRepository::deliveries).
// Only one worker per database should run (no cross-process leasing).
//
// Ownership: the worker borrows everything in Deps (all must outlive it); it owns its thread,
// the multi handle and the easy handles. Destroying it without stop() abandons in-flight
// transfers at once (state is in SQL, nothing is lost) but still waits for its SQL tasks.
// Threading: start/notify/stop/stats may be called from any thread; stop() blocks.
// The Random is used only from the worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "gateway/webhooks/backoff.h"
#include "gateway/webhooks/url_policy.h"
#include "gateway/webhooks/webhook_settings.h"
#include "storage/executor.h"
#include "storage/session_repositories.h"
#include "storage/webhook_queries.h"

namespace gw::webhooks {

struct DeliveryOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  int max_parallel = 32;  // transfers at once
  int max_per_host = 8;   // transfers at once to one host:port
  // Fallback scan of the outbox, for events queued by another process, due retries, and
  // events written before a crash; notify() covers fresh events.
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds stats_interval{5000};
  BackoffPolicy backoff;
  std::string version = "0.0.0";  // User-Agent: SuperLight/<version>; from_environment() sets ours
  // WEBHOOK_RETRY_HORIZON_HOURS (0.01..720, default 24), WEBHOOK_RETRY_MAX_DELAY_SECONDS (the
  // backoff cap, 1..600, default 600; InvalidArgument otherwise) and the project version.
  static core::Result<DeliveryOptions> from_environment();
};

struct DeliveryStats {
  uint64_t delivered = 0;        // events answered 2xx
  uint64_t failed_attempts = 0;  // attempts that did not get a 2xx
  uint64_t dead = 0;             // events parked after the horizon
  int64_t queue_depth = 0;       // pending events (refreshed every stats_interval)
  double lag_seconds = 0;        // age of the oldest due event (same refresh)
  int in_flight = 0;
};

class DeliveryWorker {
 public:
  struct Deps {
    storage::BlockingExecutor& executor;
    storage::WebhookOutboxRepository& outbox;
    storage::WebhookQueries& queries;
    WebhookSettings& settings;
    const UrlPolicy& policy;
    const core::Clock& clock;
    core::Random& random;
  };

  DeliveryWorker(Deps deps, DeliveryOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  core::Status start();
  // Look at the outbox now (call after committing a transaction that queued an event).
  void notify();
  // Stops fetching, lets in-flight transfers finish for up to `grace`, abandons the rest
  // (they stay pending in SQL), waits for outstanding SQL tasks, joins. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  DeliveryStats stats() const;

  struct Shared;  // state shared with executor tasks (public for the implementation file)

 private:
  void run();

  Deps deps_;
  DeliveryOptions options_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace gw::webhooks
