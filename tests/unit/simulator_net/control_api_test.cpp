#include "simulator/control_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "tests/unit/simulator_net/fake_simulator.h"

namespace sim {
namespace {

using Json = nlohmann::json;

class ControlApiTest : public ::testing::Test {
 protected:
  ControlApiTest()
      : sim_(random_),
        api_(sim_, ServerInfo{"ws://127.0.0.1:1/ws/chat", "https://127.0.0.1:2",
                              "http://127.0.0.1:3", "abcd", "-----BEGIN CERTIFICATE-----"}) {}

  // Sends a request; returns the response if it came synchronously.
  std::optional<HttpResponse> call(const std::string& method, const std::string& target,
                                   const std::string& body = "") {
    std::optional<HttpResponse> out;
    int calls = 0;
    api_.handle(HttpRequest{method, target, body}, [&, this](HttpResponse r) {
      ++calls;
      out = std::move(r);
      ++responses_;
    });
    EXPECT_LE(calls, 1);
    return out;
  }
  Json json_of(const std::optional<HttpResponse>& r) {
    EXPECT_TRUE(r.has_value());
    if (!r) return {};
    EXPECT_EQ(r->content_type, "application/json");
    return Json::parse(r->body);
  }
  void expect_error(const std::optional<HttpResponse>& r, int status, const std::string& code) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(json_of(r)["error"]["code"], code) << r->body;
    EXPECT_TRUE(json_of(r)["error"]["message"].is_string());
  }

  core::FakeRandom random_{9};
  testing::FakeSimulator sim_;
  ControlApi api_;
  int responses_ = 0;
};

TEST_F(ControlApiTest, InfoReportsUrlsAndKeys) {
  auto r = call("GET", "/control/info");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  Json j = json_of(r);
  EXPECT_EQ(j["ws_url"], "ws://127.0.0.1:1/ws/chat");
  EXPECT_EQ(j["media_url"], "https://127.0.0.1:2");
  EXPECT_EQ(j["root_key"], "abcd");
  EXPECT_EQ(j["media_ca_pem"], "-----BEGIN CERTIFICATE-----");
  expect_error(call("POST", "/control/info"), 405, "method_not_allowed");
}

TEST_F(ControlApiTest, CreateAccountThenConflictAndBadInput) {
  auto r = call("POST", "/control/accounts", R"({"phone":"15551234567","name":"Ann"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  Json j = json_of(r);
  EXPECT_EQ(j["phone"], "15551234567");
  EXPECT_EQ(j["lid"], "915551234567");
  EXPECT_EQ(j["name"], "Ann");
  EXPECT_TRUE(j["virtual"].is_null());

  expect_error(call("POST", "/control/accounts", R"({"phone":"15551234567"})"), 409,
               "already_exists");
  expect_error(call("POST", "/control/accounts", R"({"phone":"+1 555"})"), 400, "invalid_argument");
  expect_error(call("POST", "/control/accounts", R"({"name":"x"})"), 400, "invalid_argument");
  expect_error(call("POST", "/control/accounts", R"({"phone":15551234567})"), 400,
               "invalid_argument");
  expect_error(call("POST", "/control/accounts", "{nope"), 400, "invalid_argument");
  expect_error(call("POST", "/control/accounts", "[1,2]"), 400, "invalid_argument");
  expect_error(call("POST", "/control/accounts", R"({"phone":"1","virtual":"robot"})"), 400,
               "invalid_argument");
  EXPECT_EQ(sim_.accounts.size(), 1u);
}

TEST_F(ControlApiTest, VirtualAccountsAndListing) {
  auto r = call("POST", "/control/accounts", R"({"phone":"100","virtual":"echo"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(json_of(r)["virtual"], "echo");
  EXPECT_EQ(sim_.accounts.back().virtual_kind, VirtualKind::kEcho);
  call("POST", "/control/accounts", R"({"phone":"200","virtual":"silent"})");
  EXPECT_EQ(sim_.accounts.back().virtual_kind, VirtualKind::kSilent);
  sim_.accounts[0].devices.push_back({0, "100@s.whatsapp.net", false});
  sim_.accounts[0].devices.push_back({3, "100:3@s.whatsapp.net", true});

  Json list = json_of(call("GET", "/control/accounts"));
  ASSERT_EQ(list["accounts"].size(), 2u);
  EXPECT_EQ(list["accounts"][0]["devices"].size(), 2u);
  EXPECT_EQ(list["accounts"][0]["devices"][1]["id"], 3);
  EXPECT_EQ(list["accounts"][0]["devices"][1]["jid"], "100:3@s.whatsapp.net");
  EXPECT_EQ(list["accounts"][0]["devices"][1]["online"], true);

  Json one = json_of(call("GET", "/control/accounts/200"));
  EXPECT_EQ(one["phone"], "200");
  expect_error(call("GET", "/control/accounts/999"), 404, "not_found");
}

TEST_F(ControlApiTest, ScanAnswersWhenTheCoreCallsBack) {
  std::optional<HttpResponse> out;
  api_.handle(HttpRequest{"POST", "/control/accounts/100/scan", R"({"qr":"ref,a,b,c"})"},
              [&](HttpResponse r) { out = std::move(r); });
  EXPECT_FALSE(out.has_value());  // waits for the device to link
  ASSERT_EQ(sim_.scans.size(), 1u);
  EXPECT_EQ(sim_.scans[0].first, "100");
  EXPECT_EQ(sim_.scans[0].second, "ref,a,b,c");
  ASSERT_TRUE(sim_.pending_link);
  sim_.pending_link(std::string("100:1@s.whatsapp.net"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(json_of(out)["device_jid"], "100:1@s.whatsapp.net");
}

TEST_F(ControlApiTest, ScanErrorsMapToStatuses) {
  std::optional<HttpResponse> out;
  auto scan = [&] {
    out.reset();
    api_.handle(HttpRequest{"POST", "/control/accounts/100/scan", R"({"qr":"x"})"},
                [&](HttpResponse r) { out = std::move(r); });
  };
  scan();
  sim_.pending_link(core::Status::not_found("unknown ref"));
  expect_error(out, 404, "not_found");
  scan();
  sim_.pending_link(core::Status::failed_precondition("ref expired"));
  expect_error(out, 410, "expired");
  scan();
  sim_.pending_link(core::Status::failed_precondition("already linking"));
  expect_error(out, 409, "failed_precondition");
  expect_error(call("POST", "/control/accounts/100/scan", R"({})"), 400, "invalid_argument");
  expect_error(call("GET", "/control/accounts/100/scan"), 405, "method_not_allowed");
}

TEST_F(ControlApiTest, PairCode) {
  std::optional<HttpResponse> out;
  api_.handle(HttpRequest{"POST", "/control/accounts/100/pair-code", R"({"code":"ABCD1234"})"},
              [&](HttpResponse r) { out = std::move(r); });
  ASSERT_EQ(sim_.scans.size(), 1u);
  EXPECT_EQ(sim_.scans[0].second, "ABCD1234");
  sim_.pending_link(std::string("100:2@s.whatsapp.net"));
  EXPECT_EQ(json_of(out)["device_jid"], "100:2@s.whatsapp.net");
}

TEST_F(ControlApiTest, RemoveDevice) {
  auto r = call("DELETE", "/control/accounts/100/devices/3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(sim_.removed.size(), 1u);
  EXPECT_EQ(sim_.removed[0], std::make_pair(std::string("100"), uint16_t{3}));
  expect_error(call("DELETE", "/control/accounts/100/devices/x"), 400, "invalid_argument");
  expect_error(call("DELETE", "/control/accounts/100/devices/70000"), 400, "invalid_argument");
  sim_.remove_status = core::Status::not_found("no device");
  expect_error(call("DELETE", "/control/accounts/100/devices/4"), 404, "not_found");
}

TEST_F(ControlApiTest, SendAndPercentEncodedPhone) {
  auto r = call("POST", "/control/accounts/%31%30%30/send", R"({"to":"200","text":"hi"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(sim_.sent.size(), 1u);
  EXPECT_EQ(sim_.sent[0].phone, "100");
  EXPECT_EQ(sim_.sent[0].to, "200");
  EXPECT_EQ(sim_.sent[0].text, "hi");
  expect_error(call("POST", "/control/accounts/100/send", R"({"to":"200"})"), 400,
               "invalid_argument");
  sim_.send_status = core::Status::failed_precondition("not virtual");
  expect_error(call("POST", "/control/accounts/100/send", R"({"to":"200","text":""})"), 409,
               "failed_precondition");
  expect_error(call("POST", "/control/accounts/%zz/send", "{}"), 400, "invalid_argument");
}

TEST_F(ControlApiTest, Faults) {
  auto r = call("POST", "/control/faults", R"({"kind":"drop","phone":"100","count":2})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(sim_.faults.size(), 1u);
  EXPECT_EQ(sim_.faults[0].kind, Fault::Kind::kDrop);
  EXPECT_EQ(sim_.faults[0].phone, std::optional<std::string>("100"));
  EXPECT_EQ(sim_.faults[0].count, 2);

  call("POST", "/control/faults", R"({"kind":"stream_error"})");
  EXPECT_EQ(sim_.faults.back().kind, Fault::Kind::kStreamError);
  EXPECT_EQ(sim_.faults.back().code, 503);
  EXPECT_FALSE(sim_.faults.back().phone.has_value());
  call("POST", "/control/faults", R"({"kind":"reject_login","code":403})");
  EXPECT_EQ(sim_.faults.back().kind, Fault::Kind::kRejectLogin);
  EXPECT_EQ(sim_.faults.back().code, 403);
  call("POST", "/control/faults", R"({"kind":"delay","ms":250})");
  EXPECT_EQ(sim_.faults.back().kind, Fault::Kind::kDelay);
  EXPECT_EQ(sim_.faults.back().ms, 250);

  expect_error(call("POST", "/control/faults", R"({"kind":"delay"})"), 400, "invalid_argument");
  expect_error(call("POST", "/control/faults", R"({"kind":"meteor"})"), 400, "invalid_argument");
  expect_error(call("POST", "/control/faults", R"({"kind":"drop","count":0})"), 400,
               "out_of_range");
  expect_error(call("POST", "/control/faults", R"({"kind":"drop","ms":"x"})"), 400,
               "invalid_argument");
  EXPECT_EQ(sim_.faults.size(), 4u);
}

TEST_F(ControlApiTest, Stats) {
  sim_.stats_value.connections_open = 3;
  sim_.stats_value.messages_routed = 42;
  Json j = json_of(call("GET", "/control/stats"));
  EXPECT_EQ(j["connections_open"], 3);
  EXPECT_EQ(j["messages_routed"], 42);
  EXPECT_TRUE(j.contains("messages_queued"));
}

TEST_F(ControlApiTest, UnknownRoutes) {
  expect_error(call("GET", "/"), 404, "not_found");
  expect_error(call("GET", "/control"), 404, "not_found");
  expect_error(call("GET", "/control/nope"), 404, "not_found");
  expect_error(call("GET", "/control/accounts/1/what"), 404, "not_found");
  expect_error(call("GET", "/control/accounts/1/a/b/c/d"), 404, "not_found");
}

TEST(ControlStatusMapping, CoversEveryCode) {
  EXPECT_EQ(http_status_for(core::Status::invalid_argument("x")), 400);
  EXPECT_EQ(http_status_for(core::Status::out_of_range("x")), 400);
  EXPECT_EQ(http_status_for(core::Status::not_found("x")), 404);
  EXPECT_EQ(http_status_for(core::Status::already_exists("x")), 409);
  EXPECT_EQ(http_status_for(core::Status::failed_precondition("qr ref expired")), 410);
  EXPECT_EQ(http_status_for(core::Status::failed_precondition("busy")), 409);
  EXPECT_EQ(http_status_for(core::Status::permission_denied("x")), 403);
  EXPECT_EQ(http_status_for(core::Status::unauthenticated("x")), 401);
  EXPECT_EQ(http_status_for(core::Status::deadline_exceeded("x")), 504);
  EXPECT_EQ(http_status_for(core::Status::unavailable("x")), 503);
  EXPECT_EQ(http_status_for(core::Status::unimplemented("x")), 501);
  EXPECT_EQ(http_status_for(core::Status::internal("x")), 500);
}

}  // namespace
}  // namespace sim
