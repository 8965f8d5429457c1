#include "gateway/http/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <future>
#include <thread>

namespace gw::http {
namespace {

RequestPtr make(std::string method, std::string target) {
  auto r = std::make_shared<Request>();
  r->method = std::move(method);
  r->set_target(std::move(target));
  return r;
}

// Dispatches synchronously and returns the response (handlers in these tests answer inline).
std::optional<Response> run(const Router& router, RequestPtr req) {
  std::optional<Response> out;
  router.dispatch(req, Responder([&](Response r) { out = std::move(r); }));
  return out;
}

Handler echo(std::string tag) {
  return sync([tag](Request& r) {
    nlohmann::json params = nlohmann::json::object();
    for (auto& [k, v] : r.params) params[k] = v;
    return Response::json(200, {{"tag", tag}, {"params", params}});
  });
}

nlohmann::json body(const Response& r) { return nlohmann::json::parse(r.body); }

TEST(Router, MatchesLiteralAndParams) {
  Router router;
  router.get("/api/v1/sessions/:id/qr", echo("qr"));
  router.get("/api/v1/sessions", echo("list"));
  auto r = run(router, make("GET", "/api/v1/sessions/abc_1/qr?format=svg"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body(*r)["tag"], "qr");
  EXPECT_EQ(body(*r)["params"]["id"], "abc_1");
  EXPECT_EQ(body(*run(router, make("GET", "/api/v1/sessions")))["tag"], "list");
  // Express-style non-strict trailing slash.
  EXPECT_EQ(body(*run(router, make("GET", "/api/v1/sessions/")))["tag"], "list");
}

TEST(Router, ParamsArePercentDecodedAndNeverEmpty) {
  Router router;
  router.del("/users/:email", echo("user"));
  auto r = run(router, make("DELETE", "/users/a%40b.c"));
  EXPECT_EQ(body(*r)["params"]["email"], "a@b.c");
  EXPECT_EQ(run(router, make("DELETE", "/users//"))->status, 404);
  EXPECT_EQ(run(router, make("DELETE", "/users/%zz"))->status, 404);
}

TEST(Router, LiteralBeatsParamWhateverTheOrder) {
  Router router;
  router.get("/campaigns/:id", echo("by-id"));
  router.get("/campaigns/overdue", echo("overdue"));
  router.get("/files/*rest", echo("files"));
  EXPECT_EQ(body(*run(router, make("GET", "/campaigns/overdue")))["tag"], "overdue");
  EXPECT_EQ(body(*run(router, make("GET", "/campaigns/42")))["tag"], "by-id");
  auto f = run(router, make("GET", "/files/a/b/c.txt"));
  EXPECT_EQ(body(*f)["params"]["rest"], "a/b/c.txt");
}

TEST(Router, NotFoundAndMethodNotAllowedAreJson) {
  Router router;
  router.get("/things/:id", echo("get"));
  router.put("/things/:id", echo("put"));
  auto nf = run(router, make("GET", "/nope"));
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(body(*nf)["error"]["code"], "not_found");
  auto na = run(router, make("POST", "/things/1"));
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(body(*na)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(na->headers.get("allow").value_or(""), "GET, PUT, HEAD");
}

TEST(Router, HeadUsesGetRoute) {
  Router router;
  router.get("/x", echo("get"));
  EXPECT_EQ(run(router, make("HEAD", "/x"))->status, 200);
}

TEST(Router, FallbackOnlyForGetAndHead) {
  Router router;
  router.post("/api", echo("api"));
  router.set_fallback(echo("static"));
  EXPECT_EQ(body(*run(router, make("GET", "/index.html")))["tag"], "static");
  EXPECT_EQ(run(router, make("POST", "/index.html"))->status, 404);
}

TEST(Router, DuplicateRouteIsAProgrammingError) {
  Router router;
  router.get("/a", echo("a"));
  EXPECT_THROW(router.get("/a", echo("b")), std::logic_error);
  EXPECT_THROW(router.get("no-slash", echo("b")), std::logic_error);
  EXPECT_THROW(router.get("/a/*x/b", echo("b")), std::logic_error);
}

TEST(Router, RouteOptionsReachMiddlewareAndSeedErrors) {
  Router router;
  router.post("/api/v1/sessions", sync([](Request& r) {
                return Response::error_for(r, 400, "invalid_argument", "sessionId is required");
              }),
              RouteOptions().auth_tag("master").seed());
  std::string seen_auth;
  router.use(before_sync("auth", [&](Request& r) -> std::optional<Response> {
    seen_auth = r.options().auth;
    return std::nullopt;
  }));
  auto r = run(router, make("POST", "/api/v1/sessions"));
  EXPECT_EQ(seen_auth, "master");
  auto j = body(*r);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["message"], "sessionId is required");
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_EQ(j["error"]["message"], "sessionId is required");
}

TEST(Router, MiddlewareShortCircuitsAndAfterHooksSeeEveryResponse) {
  Router router;
  bool handler_ran = false;
  router.get("/secret", sync([&](Request&) {
               handler_ran = true;
               return Response::json(200, {{"ok", true}});
             }),
             RouteOptions().auth_tag("login"));
  std::vector<std::string> order;
  router.use({"first",
              [&](const RequestPtr&, Next next) {
                order.push_back("before1");
                next(std::nullopt);
              },
              [&](const Request&, Response& r) {
                order.push_back("after1");
                r.headers.set("X-First", "1");
              }});
  router.use({"auth",
              [&](const RequestPtr& req, Next next) {
                order.push_back("before2");
                if (req->options().auth == "login") {
                  return next(Response::error(401, "unauthenticated", "login required"));
                }
                next(std::nullopt);
              },
              [&](const Request&, Response&) { order.push_back("after2"); }});
  auto r = run(router, make("GET", "/secret"));
  EXPECT_FALSE(handler_ran);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->headers.get("x-first").value_or(""), "1");
  EXPECT_EQ(order, (std::vector<std::string>{"before1", "before2", "after2", "after1"}));
  // 404s pass through middleware too (rate limits and headers apply to them).
  order.clear();
  EXPECT_EQ(run(router, make("GET", "/missing"))->status, 404);
  EXPECT_EQ(order.front(), "before1");
}

TEST(Router, AsynchronousMiddlewareAndHandlerFromAnotherThread) {
  Router router;
  router.get("/slow", [](const RequestPtr& req, Responder respond) {
    std::thread([req, respond = std::move(respond)]() mutable {
      respond(Response::json(
          200, {{"user", req->attribute<std::string>() ? *req->attribute<std::string>() : ""}}));
    }).detach();
  });
  router.use({"async-auth",
              [](const RequestPtr& req, Next next) {
                std::thread([req, next = std::move(next)] {
                  req->set_attribute(std::make_shared<std::string>("alice"));
                  next(std::nullopt);
                }).detach();
              },
              {}});
  std::promise<Response> done;
  auto fut = done.get_future();
  router.dispatch(make("GET", "/slow"),
                  Responder([&](Response r) { done.set_value(std::move(r)); }));
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(body(fut.get())["user"], "alice");
}

TEST(Router, ThrowingHandlerAndDroppedResponderAnswer500) {
  Router router;
  router.get("/throw", [](const RequestPtr&, Responder) { throw std::runtime_error("boom"); });
  router.get("/drop", [](const RequestPtr&, Responder) {});
  auto a = run(router, make("GET", "/throw"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500);
  EXPECT_EQ(body(*a)["error"]["code"], "internal_error");
  auto b = run(router, make("GET", "/drop"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 500);
}

TEST(Router, ResponderAnswersOnlyOnce) {
  int calls = 0;
  {
    Responder r([&](Response) { ++calls; });
    r(Response::empty(204));
    r(Response::empty(500));
    EXPECT_TRUE(r.done());
  }
  EXPECT_EQ(calls, 1);
}

TEST(Request, QueryCookiesAndJson) {
  auto r = make("POST", "/x?sessionId=a%20b&empty&n=1+2");
  EXPECT_EQ(r->path, "/x");
  EXPECT_EQ(r->query_param("sessionId").value_or(""), "a b");
  EXPECT_EQ(r->query_param("empty").value_or("?"), "");
  EXPECT_EQ(r->query_param("n").value_or(""), "1 2");
  EXPECT_FALSE(r->query_param("missing"));
  r->headers.add("Cookie", "sl.sid=abc; other=\"q\"");
  EXPECT_EQ(r->cookie("sl.sid").value_or(""), "abc");
  EXPECT_EQ(r->cookie("other").value_or(""), "q");
  EXPECT_EQ(r->header("COOKIE").has_value(), true);
  nlohmann::json j;
  r->body = "{\"a\":1}";
  ASSERT_TRUE(r->parse_json(j).ok());
  EXPECT_EQ(j["a"], 1);
  r->body = "{bad";
  auto st = r->parse_json(j);
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
  r->body = "";
  EXPECT_FALSE(r->parse_json(j).ok());
}

TEST(Response, ErrorShapesAndStatusMapping) {
  auto plain = Response::error(404, "not_found", "Session x not found");
  auto j = nlohmann::json::parse(plain.body);
  EXPECT_EQ(j, nlohmann::json::parse(
                   R"({"error":{"code":"not_found","message":"Session x not found"}})"));
  EXPECT_EQ(plain.headers.get("content-type").value_or(""), "application/json; charset=utf-8");
  auto seed = Response::seed_error(500, "internal_error", "Failed");
  j = nlohmann::json::parse(seed.body);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["message"], "Failed");
  EXPECT_EQ(j["error"]["code"], "internal_error");
  Request req;
  auto s = Response::from_status(req, core::Status::not_found("nope"));
  EXPECT_EQ(s.status, 404);
  EXPECT_EQ(http_status_for(core::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(http_status_for(core::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(http_status_for(core::StatusCode::kAlreadyExists), 409);
  // Invalid UTF-8 never makes serialisation throw.
  EXPECT_NO_THROW(Response::error(400, "x", std::string("\xff\xfe", 2)));
}

TEST(Response, CookieAttributes) {
  Response r;
  CookieOptions co;
  co.max_age_seconds = 3600;
  co.secure = true;
  r.set_cookie("sid", "v", co);
  EXPECT_EQ(r.headers.get("set-cookie").value_or(""),
            "sid=v; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax");
}

}  // namespace
}  // namespace gw::http
