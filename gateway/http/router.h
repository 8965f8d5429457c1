// Router: method + path templates ("/api/v1/sessions/:id/qr", "/files/*rest") → handlers, with a
// middleware chain around every request. Pure: no sockets, so routing, 404/405 and middleware are
// unit-tested by calling dispatch() with a hand-made Request and a lambda Responder.
//
// Handlers are asynchronous without seeing Asio: a handler receives a Responder and calls it once,
// now or later (after a database call on the blocking pool, after a WhatsApp reply…):
//
//   router.get("/api/v1/sessions/:id", [&](const RequestPtr& req, Responder respond) {
//     pool.run([&, req, respond = std::move(respond)]() mutable {
//       respond(Response::json(200, lookup(req->param("id"))));  // any thread (see Responder)
//     });
//   }, RouteOptions().auth_tag("token").seed());
//   router.get("/health", sync([](Request&) { return Response::json(200, {{"status", "ok"}}); }));
//
// Matching: literal segments beat ":param" segments, which beat a trailing "*rest" wildcard, so
// "/campaigns/overdue" wins over "/campaigns/:id" whatever the registration order. Parameters are
// percent-decoded; an empty segment never matches a parameter. A path matched with another method
// answers 405 with an Allow header; nothing matched answers 404 (both JSON), unless a fallback
// handler is set (static dashboard files) for GET/HEAD. HEAD uses the GET route (body stripped).
//
// Ownership: the Router owns routes and middleware; routes are registered before the server
// starts and never change afterwards. Threading: the server calls dispatch() on the network
// thread, and middleware and handlers start there. The chain continues on whichever thread calls
// next()/the Responder: a before-hook that finishes on a worker thread should hop back first
// (ServeContext::post) so later middleware and the handler run on the network thread. After-hooks
// run on the thread that answers; keep them to header edits from request data.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/request.h"
#include "gateway/http/response.h"

namespace gw::http {

struct RouteOptions {
  // Largest accepted body in bytes (0 = the server's default JSON limit). Enforced while reading:
  // larger bodies get 413 before the handler runs.
  size_t body_limit = 0;
  // Accept multipart/form-data, streamed to temporary files (Request::form). The limit is
  // body_limit or the server's upload limit (MAX_UPLOAD_MB).
  bool multipart = false;
  // Auth requirement tag for the auth middleware ("" = public; e.g. "login", "admin", "token",
  // "master", "token-or-login"). The router does not interpret it.
  std::string auth;
  // Errors use the seed's shape too ({"status":"error","message"} + {"error":{…}}).
  bool seed_errors = false;
  // Rate-limit tag for rate-limit middleware ("" = default policy; "none" = exempt; e.g.
  // "legacy", "login").
  std::string rate_limit;

  // Chainable setters: GCC 12's -Wextra flags partial designated initializers, so write
  // `RouteOptions().auth_tag("token").seed()` instead of `{.auth = "token", …}`.
  RouteOptions& limit(size_t bytes) {
    body_limit = bytes;
    return *this;
  }
  RouteOptions& uploads() {
    multipart = true;
    return *this;
  }
  RouteOptions& auth_tag(std::string tag) {
    auth = std::move(tag);
    return *this;
  }
  RouteOptions& seed() {
    seed_errors = true;
    return *this;
  }
  RouteOptions& rate(std::string tag) {
    rate_limit = std::move(tag);
    return *this;
  }
};

// Completes one request. Call it exactly once. It may be called from any thread: the server's
// implementation posts the response to the network thread. A second call is ignored (and logged);
// destroying a Responder that was never called answers 500 so a request can never hang.
class Responder {
 public:
  using Fn = std::function<void(Response)>;

  Responder() = default;
  explicit Responder(Fn fn) : fn_(std::make_unique<Fn>(std::move(fn))) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void operator()(Response response);
  bool done() const { return fn_ == nullptr; }

 private:
  std::unique_ptr<Fn> fn_;
};

using Handler = std::function<void(const RequestPtr&, Responder)>;

// Adapts a synchronous handler (returns the response directly).
Handler sync(std::function<Response(Request&)> fn);

// Middleware. `before` runs in registration order before the handler; it continues the chain with
// next(std::nullopt) or short-circuits with next(response) (401, 429…). It may call next later
// (asynchronous auth lookups) under the Responder's rules: exactly once, any thread. `after` runs
// on every response (handler's, short-circuited, 404/405) in reverse order and may add headers.
using Next = std::function<void(std::optional<Response>)>;
struct Middleware {
  std::string name;
  std::function<void(const RequestPtr&, Next)> before;   // may be empty
  std::function<void(const Request&, Response&)> after;  // may be empty
};

// A middleware whose before-hook is synchronous: return a Response to stop, nullopt to continue.
Middleware before_sync(std::string name, std::function<std::optional<Response>(Request&)> fn);

struct Route {
  std::string method;
  std::string pattern;
  RouteOptions options;
  Handler handler;
  std::vector<std::string> segments;  // split pattern
};

struct Match {
  enum class Kind { kFound, kFallback, kNotFound, kMethodNotAllowed };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;  // kFound / kFallback
  std::map<std::string, std::string, std::less<>> params;
  std::string allow;  // kMethodNotAllowed: "GET, POST"
  // The options that govern reading the body (route's, fallback's, or defaults).
  const RouteOptions& options() const;
};

class Router {
 public:
  Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers a route. The pattern starts with '/'; ":name" segments capture one segment, a final
  // "*name" captures the rest (possibly empty). Registering the same method+pattern twice throws
  // std::logic_error (a programming error caught at start-up).
  const Route& add(std::string method, std::string pattern, Handler handler,
                   RouteOptions options = {});
  const Route& get(std::string p, Handler h, RouteOptions o = {}) {
    return add("GET", std::move(p), std::move(h), std::move(o));
  }
  const Route& post(std::string p, Handler h, RouteOptions o = {}) {
    return add("POST", std::move(p), std::move(h), std::move(o));
  }
  const Route& put(std::string p, Handler h, RouteOptions o = {}) {
    return add("PUT", std::move(p), std::move(h), std::move(o));
  }
  const Route& patch(std::string p, Handler h, RouteOptions o = {}) {
    return add("PATCH", std::move(p), std::move(h), std::move(o));
  }
  const Route& del(std::string p, Handler h, RouteOptions o = {}) {
    return add("DELETE", std::move(p), std::move(h), std::move(o));
  }

  // Handler for GET/HEAD requests no route matched (static files). Its 404 is its own business.
  void set_fallback(Handler handler, RouteOptions options = {});
  void use(Middleware middleware);

  // Finds the route for `path` (raw, percent-encoded, no query).
  Match match(std::string_view method, std::string_view path) const;

  // Runs middleware + handler (or the 404/405 answer) for `req`, which must be the request
  // `match` was computed for. Sets req->params / route / route_pattern. Exceptions thrown by a
  // handler or middleware become a 500 JSON error.
  void dispatch(const RequestPtr& req, Match match, Responder respond) const;
  void dispatch(const RequestPtr& req, Responder respond) const {
    dispatch(req, match(req->method, req->path), std::move(respond));
  }

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  void run_before(size_t index, const RequestPtr& req, const Match& match,
                  std::shared_ptr<Responder> respond) const;
  void run_handler(const RequestPtr& req, const Match& match, Responder respond) const;

  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<Middleware> middleware_;
  std::unique_ptr<Route> fallback_;
};

}  // namespace gw::http
