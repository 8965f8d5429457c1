#include "gateway/metrics.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(Metrics, CountersGaugesHistogramsRender) {
  Metrics m;
  m.describe("superlight_http_requests_total", Metrics::Type::kCounter, "requests");
  m.inc("superlight_http_requests_total", {{"route", "/health"}, {"status", "200"}});
  m.inc("superlight_http_requests_total", {{"route", "/health"}, {"status", "200"}});
  m.set_gauge("superlight_sessions", {{"state", "CONNECTED"}}, 3);
  m.observe("lat", {{"route", "/x"}}, 0.003);
  m.observe("lat", {{"route", "/x"}}, 2);
  EXPECT_EQ(m.value("superlight_http_requests_total", {{"route", "/health"}, {"status", "200"}}),
            2);
  EXPECT_EQ(m.histogram_count("lat", {{"route", "/x"}}), 2u);
  auto text = m.render();
  EXPECT_NE(text.find("# HELP superlight_http_requests_total requests\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE superlight_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("superlight_http_requests_total{route=\"/health\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("superlight_sessions{state=\"CONNECTED\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE lat histogram\n"), std::string::npos);
  EXPECT_NE(text.find("lat_bucket{route=\"/x\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_bucket{route=\"/x\",le=\"2.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_bucket{route=\"/x\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_count{route=\"/x\"} 2\n"), std::string::npos);
}

TEST(Metrics, CollectorsAndEscaping) {
  Metrics m;
  int depth = 5;
  m.add_collector("webhooks",
                  [&](Metrics::Sink& s) { s.gauge("superlight_webhook_queue_depth", {}, depth); });
  EXPECT_NE(m.render().find("superlight_webhook_queue_depth 5\n"), std::string::npos);
  depth = 7;
  EXPECT_NE(m.render().find("superlight_webhook_queue_depth 7\n"), std::string::npos);
  EXPECT_EQ(render_labels({{"a", "q\"\\\n"}}), "{a=\"q\\\"\\\\\\n\"}");
}

}  // namespace
}  // namespace gw
