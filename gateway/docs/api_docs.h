// The API documentation page: GET /api-documentation renders docs/openapi.yaml (served at
// /openapi.yaml) with Swagger UI from npm (swagger-ui-dist, pinned in dashboard/package.json).
// The page is our own HTML without inline script (the CSP forbids it): it loads
// /api-documentation/swagger-ui-bundle.js and our /api-documentation/api-documentation.js, which
// calls SwaggerUIBundle. The build copies those files into `<build>/apps/superlight/api-docs/`
// (dashboard/CMakeLists.txt); the server finds them through API_DOCS_DIR, by default the
// `api-docs` folder next to the running executable, so `make run` works from the build tree.
// When the files are missing the routes answer 503 JSON, never a crash. GET /api_documentation.md
// keeps the seed's 302 to /api-documentation.
//
// Only a fixed list of asset names is served (no directory walking). The page and its assets get
// a CSP that differs from the server-wide one in one point: style-src also allows
// 'unsafe-inline' (Swagger UI sets style attributes) and img-src allows data: (its CSS icons).
// Scripts stay 'self' only.
//
// Ownership: the routes hold a copy of the directory path. Threading: handlers are stateless and
// read the file system; safe on any thread.
#pragma once

#include <filesystem>
#include <string_view>

#include "gateway/http/router.h"

namespace gw::docs {

// The CSP of the documentation page and its assets.
inline constexpr std::string_view kApiDocsCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'";

// The files the page needs (all must exist for the page to answer 200), relative to the
// assets directory.
inline constexpr std::string_view kApiDocsPage = "api-documentation.html";
inline constexpr std::string_view kApiDocsRequired[] = {
    "api-documentation.html", "api-documentation.js", "swagger-ui-bundle.js", "swagger-ui.css"};
// Served under /api-documentation/<name> (the optional favicons may be missing: 404).
inline constexpr std::string_view kApiDocsAssets[] = {"api-documentation.js",
                                                      "swagger-ui-bundle.js", "swagger-ui.css",
                                                      "favicon-32x32.png", "favicon-16x16.png"};

// `<directory of the running executable>/api-docs` (/proc/self/exe); "./api-docs" when the
// executable's path cannot be read.
std::filesystem::path default_api_docs_dir();

// True when every file of kApiDocsRequired is a regular file under `dir`.
bool api_docs_available(const std::filesystem::path& dir);

// GET /api-documentation, GET /api-documentation/:file, GET /api_documentation.md (302).
// Public routes, exempt from the IP rate limit like other static files.
void install_api_docs_routes(http::Router& router, std::filesystem::path assets_dir);

}  // namespace gw::docs
