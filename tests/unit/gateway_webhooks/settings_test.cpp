#include <gtest/gtest.h>

#include "gateway/metrics.h"
#include "gateway/webhooks/metrics_binding.h"
#include "tests/unit/gateway_webhooks/fixture.h"

namespace gw::webhooks::testing {
namespace {

using SettingsTest = WebhookFixture;

TEST_F(SettingsTest, SecretsAreRandomHexAndSealedAtRest) {
  std::string a = WebhookSettings::generate_secret(random_);
  std::string b = WebhookSettings::generate_secret(random_);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);

  create_session("s1", "http://127.0.0.1:9/hook");
  std::string secret = secret_of("s1");
  EXPECT_EQ(secret.size(), 64u);
  auto raw =
      storage_->db().query<std::string>("raw", [](soci::session& sql) -> core::Result<std::string> {
        std::string v;
        sql << "SELECT webhook_secret FROM wa_sessions WHERE id = 's1'", soci::into(v);
        return v;
      });
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->rfind("v1:", 0), 0u) << "sealed by SecretBox";
  EXPECT_EQ(raw->find(secret), std::string::npos);

  auto rotated = settings_->rotate_secret("s1");
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(*rotated, secret);
  EXPECT_EQ(secret_of("s1"), *rotated);
  EXPECT_EQ(*settings_->session_url("s1"), std::optional<std::string>("http://127.0.0.1:9/hook"));
  EXPECT_EQ(settings_->rotate_secret("nope").status().code(), core::StatusCode::kNotFound);
}

TEST_F(SettingsTest, SetUrlChecksPolicyAndKeepsSecret) {
  create_session("s1", std::nullopt);
  std::string secret = secret_of("s1");
  ASSERT_TRUE(settings_->set_url("s1", std::string("http://127.0.0.1:8080/x")).ok());
  EXPECT_EQ(secret_of("s1"), secret);
  EXPECT_EQ(settings_->set_url("s1", std::string("ftp://127.0.0.1/")).code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(settings_->set_url("zz", std::string("http://127.0.0.1/")).code(),
            core::StatusCode::kNotFound);
  // A host that does not resolve is the caller's mistake (400), not a missing session (404).
  EXPECT_EQ(settings_->set_url("s1", std::string("http://no-such-host.invalid/x")).code(),
            core::StatusCode::kInvalidArgument);

  // Without the override, the save-time check refuses private targets.
  UrlPolicy strict;
  WebhookSettings strict_settings(storage_->wa_sessions(), strict, random_, {});
  auto st = strict_settings.set_url("s1", std::string("http://127.0.0.1:8080/x"));
  EXPECT_EQ(st.code(), core::StatusCode::kPermissionDenied) << st.to_string();
  storage::WaSession s;
  s.id = "s2";
  s.webhook_url = "http://10.0.0.1/";
  EXPECT_EQ(strict_settings.prepare_new_session(s).code(), core::StatusCode::kPermissionDenied);

  ASSERT_TRUE(settings_->set_url("s1", std::nullopt).ok());
  EXPECT_FALSE(settings_->session_url("s1")->has_value());
  EXPECT_EQ(secret_of("s1"), secret);
}

TEST_F(SettingsTest, TargetFallsBackToDefaults) {
  create_session("s1", std::nullopt);
  create_session("s2", "http://127.0.0.1:1/own");
  auto none = settings_->target(std::string("s1"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "no per-session URL and no WEBHOOK_URL";

  WebhookSettings::Options o;
  o.default_url = "http://127.0.0.1:2/default";
  o.default_secret = "global-secret";
  WebhookSettings with_default(storage_->wa_sessions(), policy_, random_, o);
  auto t1 = with_default.target(std::string("s1"));
  ASSERT_TRUE(t1.ok() && t1->has_value());
  EXPECT_EQ((*t1)->url, "http://127.0.0.1:2/default");
  EXPECT_TRUE((*t1)->is_default);
  EXPECT_EQ((*t1)->secret, secret_of("s1")) << "the session's own secret signs";
  auto t2 = with_default.target(std::string("s2"));
  EXPECT_EQ((*t2)->url, "http://127.0.0.1:1/own");
  auto t3 = with_default.target(std::nullopt);
  EXPECT_EQ((*t3)->secret, std::optional<std::string>("global-secret"));
  auto gone = with_default.target(std::string("deleted"));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(SettingsTest, FromEnvironment) {
  ::setenv("WEBHOOK_URL", "not a url", 1);
  EXPECT_FALSE(WebhookSettings::Options::from_environment(policy_).ok());
  ::setenv("WEBHOOK_URL", "https://hooks.example.com/in", 1);
  ::setenv("WEBHOOK_SECRET", "abc", 1);
  auto o = WebhookSettings::Options::from_environment(policy_);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->default_url, std::optional<std::string>("https://hooks.example.com/in"));
  EXPECT_EQ(o->default_secret, std::optional<std::string>("abc"));
  ::unsetenv("WEBHOOK_URL");
  ::unsetenv("WEBHOOK_SECRET");

  ::setenv("WEBHOOK_RETRY_HORIZON_HOURS", "48", 1);
  auto d = DeliveryOptions::from_environment();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->backoff.horizon, std::chrono::hours(48));
  ::setenv("WEBHOOK_RETRY_HORIZON_HOURS", "0", 1);
  EXPECT_FALSE(DeliveryOptions::from_environment().ok());
  ::setenv("WEBHOOK_RETRY_HORIZON_HOURS", "12h", 1);
  EXPECT_FALSE(DeliveryOptions::from_environment().ok());
  // A fraction the configuration check accepts must not stop the worker.
  ::setenv("WEBHOOK_RETRY_HORIZON_HOURS", "0.5", 1);
  ASSERT_TRUE(DeliveryOptions::from_environment().ok());
  EXPECT_EQ(DeliveryOptions::from_environment()->backoff.horizon, std::chrono::minutes(30));
  ::unsetenv("WEBHOOK_RETRY_HORIZON_HOURS");
  EXPECT_EQ(DeliveryOptions::from_environment()->backoff.horizon, std::chrono::hours(24));
  EXPECT_NE(DeliveryOptions::from_environment()->version, "0.0.0");

  ::setenv("WEBHOOK_RETRY_MAX_DELAY_SECONDS", "4", 1);
  auto capped = DeliveryOptions::from_environment();
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->backoff.cap, std::chrono::seconds(4));
  EXPECT_LE(capped->backoff.base, std::chrono::milliseconds(capped->backoff.cap));
  for (const char* bad : {"0", "601", "abc", "4s"}) {
    ::setenv("WEBHOOK_RETRY_MAX_DELAY_SECONDS", bad, 1);
    EXPECT_FALSE(DeliveryOptions::from_environment().ok()) << bad;
  }
  ::unsetenv("WEBHOOK_RETRY_MAX_DELAY_SECONDS");
}

TEST_F(SettingsTest, PublishJoinsTheCallersTransaction) {
  create_session("s1", "http://127.0.0.1:9/hook");
  create_session("quiet", std::nullopt);
  std::string id = random_event_id(random_);
  core::Status st = storage_->db().transaction("rolled back", [&](soci::session&) -> core::Status {
    auto r = publisher_->publish(session_status_event(id, "s1", "CONNECTED", {}, {}));
    EXPECT_TRUE(r.ok() && *r);
    return core::Status::internal("the fact failed to commit");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(row(id).has_value()) << "the event must roll back with the fact";

  std::string id2 = publish("s1", "CONNECTED");
  EXPECT_TRUE(row(id2).has_value());
  auto dup = publisher_->publish(session_status_event(id2, "s1", "CONNECTED", {}, {}));
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(*dup) << "same event id is not queued twice";

  auto quiet =
      publisher_->publish(session_status_event(random_event_id(random_), "quiet", "X", {}, {}));
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(*quiet) << "no URL → nothing queued";
  EXPECT_FALSE(publisher_->publish(session_status_event("bad~id", "s1", "X", {}, {})).ok());
}

TEST_F(SettingsTest, MetricsCollector) {
  start_worker();
  gw::Metrics metrics;
  register_webhook_metrics(metrics, *worker_);
  std::string text = metrics.render();
  EXPECT_NE(text.find("superlight_webhook_queue_depth"), std::string::npos) << text;
  EXPECT_NE(text.find("superlight_webhook_lag_seconds"), std::string::npos);
  EXPECT_NE(text.find("superlight_webhook_deliveries_total{result=\"delivered\"}"),
            std::string::npos);
  worker_.reset();
}

}  // namespace
}  // namespace gw::webhooks::testing
