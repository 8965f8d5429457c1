// Static files for the dashboard: URL paths are resolved under one root directory and can never
// leave it (no "..", no encoded traversal, no NUL or backslash, no dot-files such as .env, and
// symlinks must resolve inside the root). MIME types come from the extension, never from content
// sniffing; unknown types are served as application/octet-stream. Responses carry a weak ETag and
// Last-Modified; a matching If-None-Match answers 304.
//
// Ownership: StaticFiles holds the root path only. Threading: const and stateless after
// construction; safe from any thread (it reads the file system).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "gateway/http/request.h"
#include "gateway/http/response.h"
#include "gateway/http/router.h"

namespace gw::http {

// Joins a raw (percent-encoded) URL path under `root`. InvalidArgument for any traversal attempt
// or forbidden segment. The result is lexically inside root; it may not exist.
core::Result<std::filesystem::path> safe_join(const std::filesystem::path& root,
                                              std::string_view url_path);

// "text/html; charset=utf-8" for ".html", …; "application/octet-stream" when unknown.
std::string_view mime_type_for(const std::filesystem::path& path);

struct StaticOptions {
  std::string index = "index.html";
  std::string cache_control = "no-cache";  // revalidate with the ETag
};

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root, StaticOptions options = {});

  bool available() const;  // the root exists and is a directory
  // The response for `req` (GET/HEAD): 200 with Response::file set, 304, or nullopt when there is
  // no such file (or the path is refused: traversal attempts look like missing files).
  std::optional<Response> serve(const Request& req, std::string_view url_path) const;
  // A router fallback: serve(req, req.path) or a 404 JSON error.
  Handler handler() const;

 private:
  std::filesystem::path root_;
  std::filesystem::path canonical_root_;
  StaticOptions options_;
};

}  // namespace gw::http
