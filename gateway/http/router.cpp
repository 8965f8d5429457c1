#include "gateway/http/router.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>

#include "core/log.h"

namespace gw::http {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto log = core::get_logger("gw.http");
  return log;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  // "/ws/" and "/ws" are the same route (Express's non-strict routing).
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// Lower is more specific: one rank per segment (0 literal, 1 parameter, 2 wildcard).
using Score = std::vector<int>;

bool match_route(const Route& route, const std::vector<std::string_view>& parts, Score& score,
                 std::map<std::string, std::string, std::less<>>& params) {
  score.clear();
  params.clear();
  const auto& segs = route.segments;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (!seg.empty() && seg.front() == '*') {
      std::string rest;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest += '/';
        rest += parts[j];
      }
      params[seg.substr(1)] = std::move(rest);
      score.push_back(2);
      return true;
    }
    if (i >= parts.size()) return false;
    if (!seg.empty() && seg.front() == ':') {
      if (parts[i].empty()) return false;
      auto decoded = percent_decode(parts[i]);
      if (!decoded) return false;
      params[seg.substr(1)] = std::move(*decoded);
      score.push_back(1);
    } else {
      if (parts[i] != seg) return false;
      score.push_back(0);
    }
  }
  return parts.size() == segs.size();
}

}  // namespace

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (fn_) {
      // Overwriting an unanswered responder would lose a request: answer it first.
      Responder old(std::move(*this));
    }
    fn_ = std::move(other.fn_);
  }
  return *this;
}

Responder::~Responder() {
  if (!fn_) return;
  try {
    auto fn = std::move(fn_);
    logger()->error("a handler dropped its responder without answering; sending 500");
    (*fn)(Response::error(500, "internal_error", "the request was not answered"));
  } catch (...) {
  }
}

void Responder::operator()(Response response) {
  if (!fn_) {
    logger()->error("a responder was called twice; the second response is dropped");
    return;
  }
  auto fn = std::move(fn_);
  (*fn)(std::move(response));
}

Handler sync(std::function<Response(Request&)> fn) {
  return [fn = std::move(fn)](const RequestPtr& req, Responder respond) { respond(fn(*req)); };
}

Middleware before_sync(std::string name, std::function<std::optional<Response>(Request&)> fn) {
  Middleware m;
  m.name = std::move(name);
  m.before = [fn = std::move(fn)](const RequestPtr& req, Next next) { next(fn(*req)); };
  return m;
}

const RouteOptions& Match::options() const {
  static const RouteOptions kDefaults;
  return route ? route->options : kDefaults;
}

Router::Router() = default;

const Route& Router::add(std::string method, std::string pattern, Handler handler,
                         RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must start with '/': " + pattern);
  }
  for (const auto& r : routes_) {
    if (r->method == method && r->pattern == pattern) {
      throw std::logic_error("route registered twice: " + method + " " + pattern);
    }
  }
  auto route = std::make_unique<Route>();
  route->method = std::move(method);
  route->pattern = std::move(pattern);
  route->options = std::move(options);
  route->handler = std::move(handler);
  for (auto s : split_path(route->pattern)) route->segments.emplace_back(s);
  for (size_t i = 0; i + 1 < route->segments.size(); ++i) {
    if (!route->segments[i].empty() && route->segments[i].front() == '*') {
      throw std::logic_error("a '*' wildcard must be the last segment: " + route->pattern);
    }
  }
  routes_.push_back(std::move(route));
  return *routes_.back();
}

void Router::set_fallback(Handler handler, RouteOptions options) {
  fallback_ = std::make_unique<Route>();
  fallback_->method = "GET";
  fallback_->pattern = "";
  fallback_->options = std::move(options);
  fallback_->handler = std::move(handler);
}

void Router::use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }

Match Router::match(std::string_view method, std::string_view path) const {
  Match best;
  const auto parts = split_path(path);
  Score score, best_score;
  std::map<std::string, std::string, std::less<>> params;
  std::vector<std::string> allowed;
  bool best_exact_method = false;
  for (const auto& r : routes_) {
    if (!match_route(*r, parts, score, params)) continue;
    const bool exact = r->method == method;
    const bool head_via_get = method == "HEAD" && r->method == "GET";
    if (!exact && !head_via_get) {
      bool seen = false;
      for (const auto& a : allowed) seen = seen || a == r->method;
      if (!seen) allowed.push_back(r->method);
      continue;
    }
    // Prefer the most specific pattern; on a tie, an explicit HEAD route over GET.
    const bool better = best.kind != Match::Kind::kFound || score < best_score ||
                        (score == best_score && exact && !best_exact_method);
    if (better) {
      best.kind = Match::Kind::kFound;
      best.route = r.get();
      best.params = params;
      best_score = score;
      best_exact_method = exact;
    }
  }
  if (best.kind == Match::Kind::kFound) return best;
  if (fallback_ && (method == "GET" || method == "HEAD")) {
    best.kind = Match::Kind::kFallback;
    best.route = fallback_.get();
    return best;
  }
  if (!allowed.empty()) {
    best.kind = Match::Kind::kMethodNotAllowed;
    bool has_get = false, has_head = false;
    for (const auto& a : allowed) {
      has_get = has_get || a == "GET";
      has_head = has_head || a == "HEAD";
    }
    if (has_get && !has_head) allowed.push_back("HEAD");
    for (size_t i = 0; i < allowed.size(); ++i) best.allow += (i ? ", " : "") + allowed[i];
    return best;
  }
  best.kind = Match::Kind::kNotFound;
  return best;
}

void Router::dispatch(const RequestPtr& req, Match match, Responder respond) const {
  req->params = match.params;
  req->route = match.route ? &match.route->options : nullptr;
  req->route_pattern = match.kind == Match::Kind::kFound ? match.route->pattern : std::string();

  // After-hooks wrap the final responder so they see every response, whoever produced it.
  auto outer = std::make_shared<Responder>(std::move(respond));
  Responder inner([this, req, outer](Response response) {
    for (auto it = middleware_.rbegin(); it != middleware_.rend(); ++it) {
      if (!it->after) continue;
      try {
        it->after(*req, response);
      } catch (const std::exception& e) {
        logger()->error("middleware '{}' after-hook threw: {}", it->name, e.what());
      }
    }
    (*outer)(std::move(response));
  });
  auto shared_match = std::make_shared<Match>(std::move(match));
  run_before(0, req, *shared_match, std::make_shared<Responder>(std::move(inner)));
  (void)shared_match;
}

void Router::run_before(size_t index, const RequestPtr& req, const Match& match,
                        std::shared_ptr<Responder> respond) const {
  while (index < middleware_.size() && !middleware_[index].before) ++index;
  if (index == middleware_.size()) {
    run_handler(req, match, std::move(*respond));
    return;
  }
  // The Match lives in this frame only; copy it for a possibly asynchronous continuation.
  auto m = std::make_shared<Match>(match);
  auto called = std::make_shared<std::atomic<bool>>(false);
  Next next = [this, index, req, m, respond, called](std::optional<Response> stop) {
    if (called->exchange(true)) {
      logger()->error("middleware '{}' continued twice; ignored", middleware_[index].name);
      return;
    }
    if (stop) {
      (*respond)(std::move(*stop));
      return;
    }
    run_before(index + 1, req, *m, respond);
  };
  try {
    middleware_[index].before(req, std::move(next));
  } catch (const std::exception& e) {
    logger()->error("middleware '{}' threw: {}", middleware_[index].name, e.what());
    if (!called->exchange(true) && !respond->done()) {
      (*respond)(Response::error_for(*req, 500, "internal_error", "internal server error"));
    }
  }
}

void Router::run_handler(const RequestPtr& req, const Match& match, Responder respond) const {
  switch (match.kind) {
    case Match::Kind::kFound:
    case Match::Kind::kFallback:
      try {
        match.route->handler(req, std::move(respond));
      } catch (const std::exception& e) {
        // The handler's Responder argument (if unanswered) sends the 500 while unwinding.
        logger()->error("handler for {} {} threw: {}", req->method, match.route->pattern, e.what());
        if (!respond.done()) {
          respond(Response::error_for(*req, 500, "internal_error", "internal server error"));
        }
      }
      return;
    case Match::Kind::kMethodNotAllowed: {
      auto r = Response::error(405, "method_not_allowed",
                               "method " + req->method + " is not allowed on this path");
      r.headers.set("Allow", match.allow);
      respond(std::move(r));
      return;
    }
    case Match::Kind::kNotFound:
      respond(Response::error(404, "not_found", "no route for " + req->method + " " + req->path));
      return;
  }
}

}  // namespace gw::http
