#include "gateway/docs/api_docs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <system_error>
#include <vector>

#include "core/log.h"
#include "gateway/http/static_files.h"

namespace gw::docs {
namespace {

using http::Request;
using http::Response;

Response unavailable(const std::filesystem::path& dir) {
  // The path goes to the log (once per process), not to the anonymous client.
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    core::get_logger("gw.docs")->warn(
        "API documentation assets missing in {} (run npm ci in dashboard/ and rebuild, or set "
        "API_DOCS_DIR)",
        dir.string());
  }
  return Response::error(503, "api_docs_unavailable",
                         "the API documentation UI is not installed on this server; the OpenAPI "
                         "document is at /openapi.yaml");
}

Response with_docs_headers(Response res) {
  res.header("Content-Security-Policy", std::string(kApiDocsCsp));
  return res;
}

}  // namespace

std::filesystem::path default_api_docs_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return std::filesystem::path(".") / "api-docs";
  return exe.parent_path() / "api-docs";
}

bool api_docs_available(const std::filesystem::path& dir) {
  return std::all_of(std::begin(kApiDocsRequired), std::end(kApiDocsRequired),
                     [&](std::string_view name) {
                       std::error_code ec;
                       return std::filesystem::is_regular_file(dir / std::string(name), ec);
                     });
}

void install_api_docs_routes(http::Router& router, std::filesystem::path assets_dir) {
  const auto public_static = http::RouteOptions().rate("none");
  auto files = std::make_shared<http::StaticFiles>(assets_dir);

  router.get("/api-documentation", http::sync([dir = assets_dir, files](Request& req) {
               if (!api_docs_available(dir)) return unavailable(dir);
               auto res = files->serve(req, "/" + std::string(kApiDocsPage));
               if (!res) return unavailable(dir);
               return with_docs_headers(std::move(*res));
             }),
             public_static);

  router.get("/api-documentation/:file", http::sync([dir = assets_dir, files](Request& req) {
               const std::string_view name = req.param("file");
               const bool known = std::find(std::begin(kApiDocsAssets), std::end(kApiDocsAssets),
                                            name) != std::end(kApiDocsAssets);
               if (!known) return Response::error(404, "not_found", "no such documentation file");
               auto res = files->serve(req, "/" + std::string(name));
               if (!res) {
                 const bool required =
                     std::find(std::begin(kApiDocsRequired), std::end(kApiDocsRequired), name) !=
                     std::end(kApiDocsRequired);
                 if (required) return unavailable(dir);
                 return Response::error(404, "not_found", "no such documentation file");
               }
               return with_docs_headers(std::move(*res));
             }),
             public_static);

  // The seed linked its Markdown document here; it now lives in the rendered page.
  router.get("/api_documentation.md",
             http::sync([](Request&) { return Response::redirect(302, "/api-documentation"); }),
             public_static);
}

}  // namespace gw::docs
