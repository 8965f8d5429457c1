#include "gateway/http/response.h"

#include <nlohmann/json.hpp>

#include "gateway/http/request.h"
#include "gateway/http/router.h"

namespace gw::http {

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  // Invalid UTF-8 from user data must not throw while serialising an answer.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.set("Content-Type", std::move(content_type));
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

Response Response::redirect(int status, std::string location) {
  Response r;
  r.status = status;
  r.headers.set("Location", std::move(location));
  return r;
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

Response Response::seed_error(int status, std::string_view code, std::string_view message) {
  return json(status, {{"status", "error"},
                       {"message", message},
                       {"error", {{"code", code}, {"message", message}}}});
}

Response Response::error_for(const Request& req, int status, std::string_view code,
                             std::string_view message) {
  return req.options().seed_errors ? seed_error(status, code, message)
                                   : error(status, code, message);
}

Response Response::from_status(const Request& req, const core::Status& status) {
  return error_for(req, http_status_for(status.code()), error_code_for(status.code()),
                   status.message());
}

Response& Response::set_cookie(std::string_view name, std::string_view value,
                               const CookieOptions& o) {
  std::string c = std::string(name) + "=" + std::string(value);
  if (!o.path.empty()) c += "; Path=" + o.path;
  if (o.max_age_seconds) c += "; Max-Age=" + std::to_string(*o.max_age_seconds);
  if (o.http_only) c += "; HttpOnly";
  if (o.secure) c += "; Secure";
  if (!o.same_site.empty()) c += "; SameSite=" + o.same_site;
  headers.add("Set-Cookie", std::move(c));
  return *this;
}

int http_status_for(core::StatusCode code) {
  using C = core::StatusCode;
  switch (code) {
    case C::kOk:
      return 200;
    case C::kInvalidArgument:
      return 400;
    case C::kOutOfRange:
      return 400;
    case C::kNotFound:
      return 404;
    case C::kAlreadyExists:
      return 409;
    case C::kPermissionDenied:
      return 403;
    case C::kUnauthenticated:
      return 401;
    case C::kFailedPrecondition:
      return 409;
    case C::kDeadlineExceeded:
      return 504;
    case C::kUnavailable:
      return 503;
    case C::kUnimplemented:
      return 501;
    case C::kInternal:
      return 500;
  }
  return 500;
}

std::string_view error_code_for(core::StatusCode code) {
  using C = core::StatusCode;
  switch (code) {
    case C::kOk:
      return "ok";
    case C::kInvalidArgument:
      return "invalid_argument";
    case C::kOutOfRange:
      return "out_of_range";
    case C::kNotFound:
      return "not_found";
    case C::kAlreadyExists:
      return "already_exists";
    case C::kPermissionDenied:
      return "forbidden";
    case C::kUnauthenticated:
      return "unauthenticated";
    case C::kFailedPrecondition:
      return "failed_precondition";
    case C::kDeadlineExceeded:
      return "timeout";
    case C::kUnavailable:
      return "unavailable";
    case C::kUnimplemented:
      return "not_implemented";
    case C::kInternal:
      return "internal_error";
  }
  return "internal_error";
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

}  // namespace gw::http
