// Shared fixture for the webhook tests: a real, migrated SQLite database in a fresh temp dir
// (storage::Storage::open), the outbox queries, a UrlPolicy that allows loopback receivers
// (set through the policy's options, never the environment), settings and a publisher.
//
// Threading: used from the test thread; the worker it builds runs its own thread.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "core/clock.h"
#include "core/random.h"
#include "gateway/webhooks/delivery_worker.h"
#include "gateway/webhooks/event.h"
#include "gateway/webhooks/publisher.h"
#include "gateway/webhooks/url_policy.h"
#include "gateway/webhooks/webhook_settings.h"
#include "storage/executor.h"
#include "storage/storage.h"
#include "storage/webhook_queries.h"

namespace gw::webhooks::testing {

inline constexpr const char* kKeyHex =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

class WebhookFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("sl-webhooks-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage::StorageOptions o;
    o.database.url = "sqlite://" + (dir_ / "test.db").string();
    o.encryption_key_hex = kKeyHex;
    o.key_file = dir_ / "secret.key";
    auto s = storage::Storage::open(o, clock_, random_);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    storage_ = std::move(*s);
    queries_ = std::make_unique<storage::WebhookQueries>(storage_->db(), clock_);
    UrlPolicy::Options po;
    po.allow_private = true;  // loopback receivers
    policy_ = UrlPolicy(po);
    settings_ = std::make_unique<WebhookSettings>(storage_->wa_sessions(), policy_, random_,
                                                  WebhookSettings::Options{});
    publisher_ = std::make_unique<WebhookPublisher>(storage_->db(), storage_->webhooks(),
                                                    *settings_, [this] {
                                                      if (worker_) worker_->notify();
                                                    });
  }

  void TearDown() override {
    worker_.reset();
    executor_.reset();
    publisher_.reset();
    settings_.reset();
    queries_.reset();
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }

  static DeliveryOptions fast_options() {
    DeliveryOptions o;
    o.connect_timeout = std::chrono::milliseconds(1000);
    o.total_timeout = std::chrono::milliseconds(2000);
    o.poll_interval = std::chrono::milliseconds(100);
    o.stats_interval = std::chrono::milliseconds(100);
    o.backoff.base = std::chrono::milliseconds(50);
    o.backoff.cap = std::chrono::milliseconds(200);
    o.backoff.min_delay = std::chrono::milliseconds(20);
    o.backoff.horizon = std::chrono::hours(1);
    o.version = "9.9.9";
    return o;
  }

  void start_worker(DeliveryOptions o = fast_options(), const UrlPolicy* policy = nullptr) {
    if (!executor_) executor_ = std::make_unique<storage::ThreadPoolExecutor>(2);
    worker_ = std::make_unique<DeliveryWorker>(
        DeliveryWorker::Deps{*executor_, storage_->webhooks(), *queries_, *settings_,
                             policy ? *policy : policy_, clock_, random_},
        std::move(o));
    ASSERT_TRUE(worker_->start().ok());
  }

  void create_session(const std::string& id, const std::optional<std::string>& url) {
    storage::WaSession s;
    s.id = id;
    s.webhook_url = url;
    ASSERT_TRUE(settings_->prepare_new_session(s).ok());
    auto r = storage_->wa_sessions().create(s);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }

  std::string secret_of(const std::string& id) {
    auto s = storage_->wa_sessions().find(id);
    return s.ok() && *s && (*s)->webhook_secret ? *(*s)->webhook_secret : "";
  }

  // Publishes a session-status event inside a DB transaction (as producers do) and wakes.
  std::string publish(const std::string& session, const std::string& status) {
    std::string id = random_event_id(random_);
    core::Status st = storage_->db().transaction("test publish", [&](soci::session&) {
      auto r = publisher_->publish(
          session_status_event(id, session, status, std::nullopt, std::nullopt));
      if (!r.ok()) return r.status();
      return *r ? core::Status() : core::Status::failed_precondition("not queued");
    });
    EXPECT_TRUE(st.ok()) << st.to_string();
    publisher_->wake();
    return id;
  }

  std::optional<storage::WebhookEvent> row(const std::string& event_id) {
    auto r = storage_->webhooks().find(event_id);
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  bool delivered(const std::string& event_id) {
    auto r = row(event_id);
    return r && r->delivered_at.has_value();
  }

  std::filesystem::path dir_;
  core::SystemClock clock_;
  core::SecureRandom random_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<storage::WebhookQueries> queries_;
  UrlPolicy policy_;
  std::unique_ptr<WebhookSettings> settings_;
  std::unique_ptr<WebhookPublisher> publisher_;
  std::unique_ptr<storage::ThreadPoolExecutor> executor_;
  std::unique_ptr<DeliveryWorker> worker_;
};

}  // namespace gw::webhooks::testing
