// /api-documentation over a real loopback server: the page and its assets with their content
// types and CSP, the seed's /api_documentation.md redirect, the 503 when the assets are missing,
// refusal of unknown names and traversal, and (when the build copied them) the real Swagger UI
// files next to superlight.
#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "gateway/docs/api_docs.h"
#include "gateway/http/router.h"
#include "gateway/http/server.h"
#include "gateway/metrics.h"

namespace gw::docs {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One request per connection ("Connection: close"), read to EOF.
std::optional<Reply> request(uint16_t port, const std::string& method, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  const std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.size() < 12) return std::nullopt;
  Reply r;
  r.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n");
  while (pos < end) {
    size_t next = raw.find("\r\n", pos + 2);
    std::string line = raw.substr(pos + 2, next - pos - 2);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = next;
  }
  r.body = raw.substr(end + 4);
  return r;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

class ApiDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sl-api-docs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    fs::remove_all(dir_);
  }

  void write_assets() {
    write_file(dir_ / "api-documentation.html", "<!DOCTYPE html><title>docs</title>");
    write_file(dir_ / "api-documentation.js", "SwaggerUIBundle({url:'/openapi.yaml'});");
    write_file(dir_ / "swagger-ui-bundle.js", "window.SwaggerUIBundle=function(){};");
    write_file(dir_ / "swagger-ui.css", ".swagger-ui{}");
  }

  void start(const fs::path& assets) {
    install_api_docs_routes(router_, assets);
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.log_requests = false;
    o.upload_dir = dir_ / "uploads";
    server_ = std::make_unique<http::Server>(io_, router_, o, &metrics_);
    ASSERT_TRUE(server_->listen().ok());
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  fs::path dir_;
  net::io_context io_{1};
  http::Router router_;
  Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ApiDocsTest, ServesThePageWithItsOwnCsp) {
  write_assets();
  start(dir_);
  auto r = request(port_, "GET", "/api-documentation");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(r->body, "<!DOCTYPE html><title>docs</title>");
  const std::string csp = r->headers["content-security-policy"];
  EXPECT_EQ(csp, std::string(kApiDocsCsp));
  // Scripts stay same-origin only; only styles get 'unsafe-inline'.
  auto script_src = csp.substr(csp.find("script-src"));
  script_src = script_src.substr(0, script_src.find(';'));
  EXPECT_EQ(script_src, "script-src 'self'");
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r->headers["x-content-type-options"], "nosniff");
}

TEST_F(ApiDocsTest, ServesTheAssetsWithTheirContentTypes) {
  write_assets();
  start(dir_);
  const std::map<std::string, std::string> expected = {
      {"/api-documentation/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
      {"/api-documentation/api-documentation.js", "text/javascript; charset=utf-8"},
      {"/api-documentation/swagger-ui.css", "text/css; charset=utf-8"},
  };
  for (const auto& [path, type] : expected) {
    auto r = request(port_, "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->headers["content-type"], type) << path;
    EXPECT_FALSE(r->body.empty()) << path;
  }
  auto css = request(port_, "GET", "/api-documentation/swagger-ui.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->body, ".swagger-ui{}");
}

TEST_F(ApiDocsTest, HeadAnswersWithoutBody) {
  write_assets();
  start(dir_);
  auto r = request(port_, "HEAD", "/api-documentation");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
}

TEST_F(ApiDocsTest, SeedMarkdownLinkRedirects) {
  start(dir_);
  auto r = request(port_, "GET", "/api_documentation.md");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->headers["location"], "/api-documentation");
}

TEST_F(ApiDocsTest, MissingAssetsAnswer503Json) {
  start(dir_ / "does-not-exist");
  for (const char* path : {"/api-documentation", "/api-documentation/swagger-ui-bundle.js"}) {
    auto r = request(port_, "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 503) << path;
    auto body = nlohmann::json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_EQ(body["error"]["code"], "api_docs_unavailable");
    // The server's directory layout is not disclosed.
    EXPECT_EQ(r->body.find(dir_.string()), std::string::npos);
  }
}

TEST_F(ApiDocsTest, PageNeedsEveryRequiredAsset) {
  write_assets();
  fs::remove(dir_ / "swagger-ui-bundle.js");
  EXPECT_FALSE(api_docs_available(dir_));
  start(dir_);
  auto r = request(port_, "GET", "/api-documentation");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST_F(ApiDocsTest, OnlyKnownNamesAreServed) {
  write_assets();
  write_file(dir_ / "secret.txt", "no");
  fs::create_directories(dir_ / "sub");
  write_file(dir_ / "sub" / "swagger-ui.css", "nested");
  start(dir_);
  for (const char* path :
       {"/api-documentation/secret.txt", "/api-documentation/..%2f..%2fetc%2fpasswd",
        "/api-documentation/sub%2fswagger-ui.css", "/api-documentation/favicon-32x32.png",
        "/api-documentation/api-documentation.html"}) {
    auto r = request(port_, "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_NE(r->body, "no") << path;  // a JSON error, never the file
    EXPECT_EQ(r->body.find("nested"), std::string::npos) << path;
    EXPECT_NE(r->headers["content-type"].find("application/json"), std::string::npos) << path;
  }
}

TEST_F(ApiDocsTest, RealAssetsOverLoopback) {
  const fs::path built = SL_API_DOCS_BUILD_DIR;
  if (!fs::exists(built / "swagger-ui-bundle.js")) {
    GTEST_SKIP() << "swagger-ui-dist not installed (run npm ci in dashboard/)";
  }
  start(built);
  auto page = request(port_, "GET", "/api-documentation");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("swagger-ui"), std::string::npos);
  auto bundle = request(port_, "GET", "/api-documentation/swagger-ui-bundle.js");
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->status, 200);
  EXPECT_EQ(bundle->headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_GT(bundle->body.size(), 100000u);
  EXPECT_NE(bundle->body.find("SwaggerUIBundle"), std::string::npos);
  auto css = request(port_, "GET", "/api-documentation/swagger-ui.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->headers["content-type"], "text/css; charset=utf-8");
  auto icon = request(port_, "GET", "/api-documentation/favicon-32x32.png");
  ASSERT_TRUE(icon);
  EXPECT_EQ(icon->status, 200);
  EXPECT_EQ(icon->headers["content-type"], "image/png");
}

TEST(ApiDocsDir, DefaultIsNextToTheExecutable) {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  EXPECT_EQ(default_api_docs_dir(), exe.parent_path() / "api-docs");
}

// The files dashboard/CMakeLists.txt copied next to superlight (skipped when npm ci was not run).
TEST(ApiDocsBuild, RealSwaggerUiAssetsAreCopiedNextToSuperlight) {
  const fs::path built = SL_API_DOCS_BUILD_DIR;
  if (!fs::exists(built / "swagger-ui-bundle.js")) {
    GTEST_SKIP() << "swagger-ui-dist not installed (run npm ci in dashboard/)";
  }
  ASSERT_TRUE(api_docs_available(built));
  std::ifstream page(built / "api-documentation.html");
  std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  // No inline script: every <script> has a src.
  size_t pos = 0;
  int scripts = 0;
  while ((pos = html.find("<script", pos)) != std::string::npos) {
    auto close = html.find('>', pos);
    ASSERT_NE(close, std::string::npos);
    EXPECT_NE(html.substr(pos, close - pos).find("src="), std::string::npos);
    ++scripts;
    pos = close;
  }
  EXPECT_EQ(scripts, 2);
  EXPECT_NE(html.find("/api-documentation/swagger-ui-bundle.js"), std::string::npos);
  EXPECT_NE(html.find("/api-documentation/api-documentation.js"), std::string::npos);
  std::ifstream js(built / "api-documentation.js");
  std::string script((std::istreambuf_iterator<char>(js)), std::istreambuf_iterator<char>());
  EXPECT_NE(script.find("url: '/openapi.yaml'"), std::string::npos);
}

}  // namespace
}  // namespace gw::docs
