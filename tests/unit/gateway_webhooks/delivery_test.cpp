// End-to-end delivery over loopback: a real SQLite outbox, the real libcurl worker, and a raw
// socket HTTP receiver (test_receiver.h) scripted to fail, hang, redirect or disappear.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gateway/webhooks/replay.h"
#include "gateway/webhooks/signer.h"
#include "tests/unit/gateway_webhooks/fixture.h"
#include "tests/unit/gateway_webhooks/test_receiver.h"

namespace gw::webhooks::testing {
namespace {

using std::chrono::milliseconds;

class DeliveryTest : public WebhookFixture {
 protected:
  void TearDown() override {
    worker_.reset();
    receiver_.stop();
    WebhookFixture::TearDown();
  }

  bool all_delivered(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      if (!delivered(id)) return false;
    }
    return true;
  }

  // Indices into `ids` of the requests received for them, in arrival order.
  std::vector<int> arrival_indices(const std::vector<std::string>& ids) {
    std::map<std::string, int> index;
    for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = static_cast<int>(i);
    std::vector<int> out;
    for (const auto& r : receiver_.requests()) {
      auto it = index.find(r.headers.at("x-event-id"));
      if (it != index.end()) out.push_back(it->second);
    }
    return out;
  }

  static void expect_ordered(const std::vector<int>& seq, size_t n) {
    for (size_t i = 1; i < seq.size(); ++i) {
      EXPECT_LE(seq[i - 1], seq[i]) << "an event overtook an earlier one of its session";
    }
    std::set<int> seen(seq.begin(), seq.end());
    EXPECT_EQ(seen.size(), n);
  }

  TestReceiver receiver_;
};

TEST_F(DeliveryTest, DeliversInOrderPerSessionWithValidSignatures) {
  ASSERT_GT(receiver_.start(), 0);
  receiver_.set_handler([](const Request&, int index) {
    Response r;
    r.status = index < 3 ? 500 : 204;  // the first three attempts fail
    return r;
  });
  create_session("a", receiver_.url("/a"));
  create_session("b", receiver_.url("/b"));
  std::vector<std::string> a, b;
  for (int i = 0; i < 8; ++i) {
    a.push_back(publish("a", "S" + std::to_string(i)));
    b.push_back(publish("b", "S" + std::to_string(i)));
  }
  long long before = clock_.unix_seconds();
  start_worker();
  ASSERT_TRUE(wait_until([&] { return all_delivered(a) && all_delivered(b); }));

  expect_ordered(arrival_indices(a), a.size());
  expect_ordered(arrival_indices(b), b.size());
  std::map<std::string, std::string> secrets = {{"a", secret_of("a")}, {"b", secret_of("b")}};
  for (const auto& r : receiver_.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("user-agent"), "SuperLight/9.9.9");
    EXPECT_EQ(r.headers.count("expect"), 0u);
    auto body = nlohmann::json::parse(r.body);
    std::string session = body["sessionId"];
    EXPECT_EQ(r.target, "/" + session);
    EXPECT_EQ(body["event"], "session-status");
    EXPECT_TRUE(verify_signature(r.body, secrets[session], r.headers.at("x-signature-256")))
        << "bad signature for " << r.body;
    EXPECT_FALSE(verify_signature(r.body, secrets[session == "a" ? "b" : "a"],
                                  r.headers.at("x-signature-256")));
    long long ts = std::stoll(r.headers.at("x-timestamp"));
    EXPECT_LE(std::llabs(ts - before), 5);
  }
  // The delivery log: failures then the success, per attempt.
  int failures = 0;
  for (const auto& id : a) {
    auto e = row(id);
    auto log = storage_->webhooks().deliveries(e->id);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(static_cast<int>(log->size()), e->attempts);
    EXPECT_EQ(log->back().http_status, 204);
    for (size_t i = 0; i + 1 < log->size(); ++i) {
      EXPECT_EQ((*log)[i].http_status, 500);
      ASSERT_TRUE((*log)[i].error.has_value());
      EXPECT_NE((*log)[i].error->find("HTTP 500"), std::string::npos);
      ++failures;
    }
  }
  for (const auto& id : b) failures += row(id)->attempts - 1;
  EXPECT_EQ(failures, 3);
  ASSERT_TRUE(wait_until([&] { return worker_->stats().queue_depth == 0; }));
  auto stats = worker_->stats();
  EXPECT_EQ(stats.delivered, 16u);
  EXPECT_EQ(stats.failed_attempts, 3u);
  EXPECT_EQ(stats.dead, 0u);
}

TEST_F(DeliveryTest, ReceiverDownRetriesWithBackoffThenDelivers) {
  int port = receiver_.start();
  ASSERT_GT(port, 0);
  receiver_.stop();  // nobody listens on the port now
  create_session("a", "http://127.0.0.1:" + std::to_string(port) + "/hook");
  std::vector<std::string> ids = {publish("a", "1"), publish("a", "2"), publish("a", "3")};
  start_worker();
  ASSERT_TRUE(wait_until([&] { return row(ids[0])->attempts >= 4; }));
  EXPECT_EQ(row(ids[1])->attempts, 0) << "later events wait behind the failing head";
  EXPECT_EQ(row(ids[2])->attempts, 0);
  auto log = storage_->webhooks().deliveries(row(ids[0])->id);
  ASSERT_TRUE(log.ok());
  for (const auto& d : *log) {
    EXPECT_FALSE(d.http_status.has_value());
    ASSERT_TRUE(d.error.has_value());
    EXPECT_NE(d.error->find("connect"), std::string::npos) << *d.error;
  }
  for (size_t i = 1; i < log->size(); ++i) {
    EXPECT_GE((*log)[i].at - (*log)[i - 1].at, 15) << "retries are spaced by the backoff";
  }
  ASSERT_EQ(receiver_.start(port), port);
  ASSERT_TRUE(wait_until([&] { return all_delivered(ids); }));
  expect_ordered(arrival_indices(ids), ids.size());
  EXPECT_EQ(receiver_.count(), 3u);
}

TEST_F(DeliveryTest, RedirectIsNotFollowedAndParksAtTheHorizon) {
  ASSERT_GT(receiver_.start(), 0);
  std::atomic<bool> healthy{false};
  receiver_.set_handler([&](const Request&, int) {
    Response r;
    if (healthy) return r;
    r.status = 302;
    r.headers.emplace_back("Location", receiver_.url("/elsewhere"));
    return r;
  });
  create_session("a", receiver_.url("/hook"));
  std::string first = publish("a", "1");
  DeliveryOptions o = fast_options();
  o.backoff.horizon = milliseconds(700);
  start_worker(o);
  ASSERT_TRUE(wait_until([&] { return row(first)->failed_at.has_value(); }));
  healthy = true;
  EXPECT_FALSE(row(first)->delivered_at.has_value());
  auto log = storage_->webhooks().deliveries(row(first)->id);
  ASSERT_TRUE(log.ok());
  ASSERT_GE(log->size(), 2u);
  for (const auto& d : *log) {
    EXPECT_EQ(d.http_status, 302);
    EXPECT_NE(d.error->find("redirects are not followed"), std::string::npos);
  }
  for (const auto& r : receiver_.requests()) EXPECT_NE(r.target, "/elsewhere");
  EXPECT_GE(worker_->stats().dead, 1u);
  // Parked, it no longer holds back its session; and it can still be replayed.
  std::string second = publish("a", "2");
  ASSERT_TRUE(wait_until([&] { return delivered(second); }));
  auto copies = replay(storage_->db(), *queries_, storage_->webhooks(), random_,
                       {row(first)->created_at, row(first)->created_at + 1, std::string("a"), 10});
  ASSERT_TRUE(copies.ok());
  EXPECT_EQ(copies->queued, 1);
  worker_->notify();
  ASSERT_TRUE(wait_until([&] {
    for (const auto& r : receiver_.requests()) {
      if (r.headers.count("x-event-replay") && r.headers.at("x-event-id") == first) return true;
    }
    return false;
  }));
}

TEST_F(DeliveryTest, TimeoutIsAFailedAttempt) {
  ASSERT_GT(receiver_.start(), 0);
  receiver_.set_handler([](const Request&, int index) {
    Response r;
    if (index == 0) r.delay = milliseconds(2500);
    return r;
  });
  create_session("a", receiver_.url());
  std::string id = publish("a", "1");
  DeliveryOptions o = fast_options();
  o.total_timeout = milliseconds(400);
  start_worker(o);
  ASSERT_TRUE(wait_until([&] { return delivered(id); }));
  auto log = storage_->webhooks().deliveries(row(id)->id);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_FALSE((*log)[0].http_status.has_value());
  EXPECT_NE((*log)[0].error->find("Timeout"), std::string::npos) << *(*log)[0].error;
  EXPECT_GE((*log)[0].duration_ms.value_or(0), 300);
  EXPECT_EQ((*log)[1].http_status, 200);
}

TEST_F(DeliveryTest, WorkerKilledMidDeliveryLosesNothing) {
  ASSERT_GT(receiver_.start(), 0);
  receiver_.set_handler([](const Request&, int index) {
    Response r;
    if (index < 2) r.delay = milliseconds(3000);  // hold the first two in flight
    return r;
  });
  create_session("a", receiver_.url("/a"));
  create_session("b", receiver_.url("/b"));
  std::vector<std::string> a, b;
  for (int i = 0; i < 5; ++i) {
    a.push_back(publish("a", std::to_string(i)));
    b.push_back(publish("b", std::to_string(i)));
  }
  start_worker();
  ASSERT_TRUE(wait_until([&] { return receiver_.count() >= 2; }));
  worker_.reset();  // destroyed without stop(): in-flight transfers abandoned
  EXPECT_FALSE(delivered(a[0]));
  EXPECT_FALSE(delivered(b[0]));

  start_worker();  // "after the restart"
  ASSERT_TRUE(wait_until([&] { return all_delivered(a) && all_delivered(b); }));
  expect_ordered(arrival_indices(a), a.size());
  expect_ordered(arrival_indices(b), b.size());
  std::set<std::string> received;
  for (const auto& r : receiver_.requests()) received.insert(r.headers.at("x-event-id"));
  for (const auto& id : a) EXPECT_EQ(received.count(id), 1u);
  for (const auto& id : b) EXPECT_EQ(received.count(id), 1u);
}

TEST_F(DeliveryTest, GracefulStopFinishesInFlight) {
  ASSERT_GT(receiver_.start(), 0);
  receiver_.set_handler([](const Request&, int) {
    Response r;
    r.delay = milliseconds(300);
    return r;
  });
  create_session("a", receiver_.url());
  std::string id = publish("a", "1");
  start_worker();
  ASSERT_TRUE(wait_until([&] { return receiver_.count() >= 1; }));
  worker_->stop(std::chrono::seconds(5));
  EXPECT_TRUE(delivered(id)) << "the in-flight request finished and was recorded";
}

TEST_F(DeliveryTest, DeliveryTimePolicyRefusesPrivateTargets) {
  ASSERT_GT(receiver_.start(), 0);
  create_session("a", std::nullopt);
  // Stored behind the save-time check's back (e.g. by an older version, or DNS that changed).
  ASSERT_TRUE(storage_->wa_sessions().set_webhook("a", receiver_.url(), secret_of("a")).ok());
  std::string id = publish("a", "1");
  UrlPolicy strict;
  start_worker(fast_options(), &strict);
  ASSERT_TRUE(wait_until([&] { return row(id)->attempts >= 2; }));
  EXPECT_EQ(receiver_.count(), 0u);
  EXPECT_NE(row(id)->last_error->find("loopback"), std::string::npos) << *row(id)->last_error;
}

TEST_F(DeliveryTest, HostnameIsPinnedToTheCheckedAddress) {
  ASSERT_GT(receiver_.start(), 0);
  // "receiver.test" exists only in this fake DNS: the request can reach the receiver only
  // through the CURLOPT_RESOLVE pin, never through a second lookup by libcurl.
  UrlPolicy::Options po;
  po.allow_private = true;
  UrlPolicy pinned(po, [](const std::string& host) -> core::Result<std::vector<IpAddress>> {
    if (host == "receiver.test") return std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")};
    return core::Status::not_found("no such host");
  });
  create_session("a", std::nullopt);
  std::string url = "http://receiver.test:" + std::to_string(receiver_.port()) + "/hook";
  ASSERT_TRUE(storage_->wa_sessions().set_webhook("a", url, secret_of("a")).ok());
  std::string id = publish("a", "1");
  start_worker(fast_options(), &pinned);
  ASSERT_TRUE(wait_until([&] { return delivered(id); }));
  ASSERT_EQ(receiver_.count(), 1u);
  EXPECT_EQ(receiver_.requests()[0].headers.at("host"),
            "receiver.test:" + std::to_string(receiver_.port()));
}

TEST_F(DeliveryTest, EventWhoseUrlWasRemovedIsParked) {
  create_session("a", "http://127.0.0.1:9/hook");
  std::string id = publish("a", "1");
  ASSERT_TRUE(settings_->set_url("a", std::nullopt).ok());
  start_worker();
  ASSERT_TRUE(wait_until([&] { return row(id)->failed_at.has_value(); }));
  EXPECT_EQ(row(id)->last_error, std::optional<std::string>("no webhook URL configured"));
}

TEST_F(DeliveryTest, ReplayResendsARange) {
  ASSERT_GT(receiver_.start(), 0);
  create_session("a", receiver_.url("/a"));
  create_session("b", receiver_.url("/b"));
  long long from = clock_.unix_millis();
  std::vector<std::string> a = {publish("a", "1"), publish("a", "2"), publish("a", "3")};
  std::string b0 = publish("b", "1");
  long long to = clock_.unix_millis() + 1;
  start_worker();
  ASSERT_TRUE(wait_until([&] { return all_delivered(a) && delivered(b0); }));
  std::map<std::string, std::string> first_bodies;
  for (const auto& r : receiver_.requests()) first_bodies[r.headers.at("x-event-id")] = r.body;
  size_t before = receiver_.count();

  auto bad = replay(storage_->db(), *queries_, storage_->webhooks(), random_, {to, from, {}, 10});
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);

  auto result = replay(storage_->db(), *queries_, storage_->webhooks(), random_,
                       {from, to, std::string("a"), 1000});
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->queued, 3);
  EXPECT_EQ(result->event_ids, a);
  worker_->notify();
  ASSERT_TRUE(wait_until([&] { return receiver_.count() == before + 3; }));
  auto requests = receiver_.requests();
  std::vector<std::string> replayed;
  for (size_t i = before; i < requests.size(); ++i) {
    const auto& r = requests[i];
    replayed.push_back(r.headers.at("x-event-id"));
    EXPECT_EQ(r.headers.at("x-event-replay"), "1");
    EXPECT_EQ(r.body, first_bodies[r.headers.at("x-event-id")]) << "same body, same id";
    EXPECT_TRUE(verify_signature(r.body, secret_of("a"), r.headers.at("x-signature-256")));
  }
  EXPECT_EQ(replayed, a) << "replayed in the original order";

  // A replay of everything, with one event still pending: that one is not copied.
  receiver_.stop();
  std::string pending = publish("b", "2");
  auto all = replay(storage_->db(), *queries_, storage_->webhooks(), random_,
                    {from, clock_.unix_millis() + 1, std::nullopt, 2});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->truncated);
  EXPECT_EQ(all->queued, 2);
}

}  // namespace
}  // namespace gw::webhooks::testing
