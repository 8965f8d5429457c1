// Request: the Beast-free view of one HTTP request that middleware and handlers see. The server
// (server.cpp) fills it from the wire; tests build one by hand. Handlers never include Beast or
// Asio: everything they need about a request is here.
//
// Ownership: a Request is held by a RequestPtr (shared_ptr) so an asynchronous handler can keep
// it alive until it responds. An uploaded Form owns its temporary files and deletes them when the
// last reference goes away, unless a handler moved a file elsewhere with Form::keep_file.
// Threading: a Request is not synchronised. It is created on the network thread; a handler that
// hands work to another thread must not touch the Request concurrently from both.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "gateway/http/headers.h"

namespace gw::http {

struct RouteOptions;

// One file part of a multipart/form-data upload, streamed to a temporary file.
struct UploadedFile {
  std::string field;           // the form field name
  std::string filename;        // client-supplied name, reduced to its last path component
  std::string content_type;    // client-supplied; never trust it for serving
  std::filesystem::path path;  // the temporary file (mode 0600) holding the bytes
  uint64_t size = 0;
};

// The parsed multipart body: text fields in memory, files on disk.
class Form {
 public:
  Form() = default;
  Form(const Form&) = delete;
  Form& operator=(const Form&) = delete;
  ~Form();  // removes every temporary file still owned

  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<UploadedFile> files;

  std::optional<std::string_view> field(std::string_view name) const;
  const UploadedFile* file(std::string_view field_name) const;

  // Moves an uploaded file to `dest` (rename, or copy + remove across file systems); the Form
  // stops owning it. NotFound when `file` is not one of this form's files.
  core::Status keep_file(const UploadedFile& file, const std::filesystem::path& dest);
};

class Request {
 public:
  uint64_t id = 0;           // per-process serial, for logs
  std::string method;        // upper case: "GET", "POST"…
  std::string target;        // the raw request target: "/a/b?x=1"
  std::string path;          // the target without the query, still percent-encoded
  std::string query_string;  // without the '?'
  QueryParams query;         // decoded query parameters, in order
  Headers headers;
  std::string body;            // empty for multipart uploads (see form)
  std::shared_ptr<Form> form;  // set for multipart/form-data bodies on routes that accept them
  std::string peer_address;    // the socket peer's IP
  std::string remote_address;  // the client IP after applying TRUST_PROXY to X-Forwarded-For
  bool secure = false;         // HTTPS configured, or X-Forwarded-Proto: https from a trusted proxy

  // Filled by the router: decoded path parameters (":id" → params["id"]) and the matched route
  // (null when no route matched, e.g. in middleware for a 404).
  std::map<std::string, std::string, std::less<>> params;
  const RouteOptions* route = nullptr;
  std::string route_pattern;  // "/api/v1/sessions/:id", or "" when unmatched

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  std::optional<std::string> query_param(std::string_view name) const;
  // The decoded path parameter, or "" when the route has none of that name.
  std::string_view param(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  // The route's options, or defaults when no route matched.
  const RouteOptions& options() const;

  // Parses the body as JSON into `out`. InvalidArgument with a user-facing message for an empty
  // body or a syntax error ("request body is not valid JSON: …").
  core::Status parse_json(nlohmann::json& out) const;

  // Typed per-request context that middleware hands to handlers (e.g. the authenticated
  // principal): `req.set_attribute(std::make_shared<Principal>(…))`, `req.attribute<Principal>()`.
  template <typename T>
  void set_attribute(std::shared_ptr<T> value) {
    attributes_[std::type_index(typeid(T))] = std::move(value);
  }
  template <typename T>
  T* attribute() const {
    auto it = attributes_.find(std::type_index(typeid(T)));
    return it == attributes_.end() ? nullptr : static_cast<T*>(it->second.get());
  }

  // Splits `target` into path/query_string/query. Used by the server and by tests.
  void set_target(std::string raw_target);

 private:
  std::unordered_map<std::type_index, std::shared_ptr<void>> attributes_;
};

using RequestPtr = std::shared_ptr<Request>;

}  // namespace gw::http
