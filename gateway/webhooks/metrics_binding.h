// Registers the delivery worker's numbers with the Prometheus registry (gateway/metrics.h) as a
// scrape-time collector: superlight_webhook_queue_depth, superlight_webhook_lag_seconds,
// superlight_webhook_deliveries_total{result="delivered|failed|dead"},
// superlight_webhook_in_flight. Header-only so sl_gateway_webhooks does not link the registry;
// the serve wiring that owns both objects calls it.
//
// Ownership: the collector keeps a reference to `worker`; the worker must outlive scrapes
// (unregister by destroying the Metrics first, or keep the worker for the process lifetime).
// Threading: the collector reads atomics only; safe on the scraping thread.
#pragma once

#include "gateway/metrics.h"
#include "gateway/webhooks/delivery_worker.h"

namespace gw::webhooks {

inline void register_webhook_metrics(gw::Metrics& metrics, const DeliveryWorker& worker) {
  metrics.describe("superlight_webhook_queue_depth", gw::Metrics::Type::kGauge,
                   "Webhook events waiting for delivery");
  metrics.describe("superlight_webhook_lag_seconds", gw::Metrics::Type::kGauge,
                   "Age of the oldest due webhook event");
  metrics.describe("superlight_webhook_deliveries_total", gw::Metrics::Type::kCounter,
                   "Webhook delivery outcomes");
  metrics.describe("superlight_webhook_in_flight", gw::Metrics::Type::kGauge,
                   "Webhook requests in progress");
  metrics.add_collector("superlight_webhook", [&worker](gw::Metrics::Sink& sink) {
    DeliveryStats s = worker.stats();
    sink.gauge("superlight_webhook_queue_depth", {}, static_cast<double>(s.queue_depth));
    sink.gauge("superlight_webhook_lag_seconds", {}, s.lag_seconds);
    sink.gauge("superlight_webhook_in_flight", {}, static_cast<double>(s.in_flight));
    sink.counter("superlight_webhook_deliveries_total", {{"result", "delivered"}},
                 static_cast<double>(s.delivered));
    sink.counter("superlight_webhook_deliveries_total", {{"result", "failed"}},
                 static_cast<double>(s.failed_attempts));
    sink.counter("superlight_webhook_deliveries_total", {{"result", "dead"}},
                 static_cast<double>(s.dead));
  });
}

}  // namespace gw::webhooks
