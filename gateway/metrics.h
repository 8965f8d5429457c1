// Metrics: a small Prometheus registry. Components record counters, gauges and histograms by
// name + labels, or register a collector that is asked for current values at scrape time (e.g.
// sessions by state, webhook queue depth and lag); GET /metrics renders the text format.
//
// Names in use (add yours here when you register them):
//   superlight_http_requests_total{method,route,status}      counter   (gateway/http)
//   superlight_http_request_duration_seconds{method,route}  histogram (gateway/http)
//   superlight_http_connections_active                      gauge     (gateway/http)
//   superlight_http_rejected_connections_total              counter   (gateway/http)
//   superlight_build_info{version}                          gauge     (serve)
//   superlight_sessions{state}                              gauge     (api/messaging_components)
//   superlight_messages_in_total, superlight_messages_out_total  counter (api/messaging_components)
//   superlight_webhook_queue_depth, superlight_webhook_lag_seconds, superlight_webhook_in_flight
//                                                           gauge     (webhooks/metrics_binding)
//   superlight_webhook_deliveries_total{result}             counter   (webhooks/metrics_binding)
//
// Ownership: one Metrics per process, owned by the serve context and borrowed by everyone.
// Threading: every method is internally locked and safe from any thread. Collectors run on the
// scraping thread (the network thread) with the registry lock released; keep them quick.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Default histogram buckets, in seconds (HTTP latency).
  static const std::vector<double>& default_buckets();

  // Optional: the HELP line, and custom histogram buckets (before the first observe).
  void describe(std::string_view name, Type type, std::string_view help,
                std::vector<double> buckets = {});

  void inc(std::string_view name, const Labels& labels = {}, double by = 1);
  void set_gauge(std::string_view name, const Labels& labels, double value);
  void observe(std::string_view name, const Labels& labels, double value);

  // A collector writes current values at scrape time through the Sink.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void gauge(std::string_view name, const Labels& labels, double value) = 0;
    virtual void counter(std::string_view name, const Labels& labels, double value) = 0;
  };
  using Collector = std::function<void(Sink&)>;
  void add_collector(std::string_view help_name, Collector collector);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

  double value(std::string_view name, const Labels& labels = {}) const;  // counters/gauges; tests
  uint64_t histogram_count(std::string_view name, const Labels& labels = {}) const;

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> buckets;
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, Series> series;  // key: rendered label set "{a=\"b\"}"
  };
  Family& family(std::string_view name, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<Collector> collectors_;
};

// Renders a label set as {a="b",c="d"} with Prometheus escaping ("" for no labels).
std::string render_labels(const Labels& labels);

}  // namespace gw
