// Response: what a handler produces. Bodies are strings, or a file path the server streams (static
// files). Error helpers produce the gateway's one error shape,
//   {"error": {"code": "not_found", "message": "Session x not found"}}
// and, for routes inherited from the Node seed (RouteOptions::seed_errors), the seed's fields too:
//   {"status": "error", "message": "Session x not found", "error": {"code", "message"}}
// so clients written against the seed keep working.
//
// Ownership: plain value. Threading: none shared.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "gateway/http/headers.h"

namespace gw::http {

class Request;

struct CookieOptions {
  std::string path = "/";
  std::optional<long> max_age_seconds;  // nullopt = session cookie; 0 = delete
  bool http_only = true;
  bool secure = false;            // set true when the request is secure
  std::string same_site = "Lax";  // "Strict", "Lax", "None" or "" to omit
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::filesystem::path file;  // when set, the body is this file's content (streamed)
  bool close = false;          // close the connection after this response

  static Response json(int status, const nlohmann::json& body);
  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response empty(int status);  // e.g. 204, 304
  static Response redirect(int status, std::string location);

  // {"error":{"code","message"}}.
  static Response error(int status, std::string_view code, std::string_view message);
  // The seed's shape plus ours: {"status":"error","message",…,"error":{"code","message"}}.
  static Response seed_error(int status, std::string_view code, std::string_view message);
  // error() or seed_error() depending on the matched route's seed_errors option.
  static Response error_for(const Request& req, int status, std::string_view code,
                            std::string_view message);
  // Maps a core::Status (InvalidArgument → 400, NotFound → 404, …) to an error response.
  static Response from_status(const Request& req, const core::Status& status);

  Response& header(std::string name, std::string value) {
    headers.set(std::move(name), std::move(value));
    return *this;
  }
  Response& set_cookie(std::string_view name, std::string_view value,
                       const CookieOptions& options = {});
};

int http_status_for(core::StatusCode code);
std::string_view error_code_for(core::StatusCode code);  // "invalid_argument", "not_found"…
std::string_view reason_phrase(int status);

}  // namespace gw::http
