#include "gateway/http/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

namespace gw::http {
namespace {

TEST(SafeJoin, RefusesTraversal) {
  const std::filesystem::path root = "/srv/dash";
  EXPECT_EQ(*safe_join(root, "/index.html"), root / "index.html");
  EXPECT_EQ(*safe_join(root, "/css/a%20b.css"), root / "css" / "a b.css");
  EXPECT_EQ(*safe_join(root, "//css///x.js"), root / "css" / "x.js");
  EXPECT_FALSE(safe_join(root, "/../etc/passwd").ok());
  EXPECT_FALSE(safe_join(root, "/css/../../etc/passwd").ok());
  EXPECT_FALSE(safe_join(root, "/%2e%2e/etc/passwd").ok());
  EXPECT_FALSE(safe_join(root, "/%2E%2E%2Fetc%2Fpasswd").ok());
  EXPECT_FALSE(safe_join(root, "/..%5c..%5cwindows").ok());
  EXPECT_FALSE(safe_join(root, "/a%00.html").ok());
  EXPECT_FALSE(safe_join(root, "/.env").ok());
  EXPECT_FALSE(safe_join(root, "/.git/config").ok());
  EXPECT_FALSE(safe_join(root, "/%zz").ok());
}

TEST(MimeTypes, ByExtension) {
  EXPECT_EQ(mime_type_for("a/index.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("s.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("i.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type_for("p.png"), "image/png");
  EXPECT_EQ(mime_type_for("openapi.yaml"), "application/yaml; charset=utf-8");
  EXPECT_EQ(mime_type_for("x.exe"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("noext"), "application/octet-stream");
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() / ("sl-static-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base_);
    root_ = base_ / "dash";
    std::filesystem::create_directories(root_ / "js");
    std::ofstream(root_ / "index.html") << "<html></html>";
    std::ofstream(root_ / "js" / "app.js") << "console.log(1)";
    std::ofstream(root_ / ".env") << "SECRET=1";
    std::ofstream(base_ / "outside.txt") << "secret";
    std::filesystem::create_symlink(base_ / "outside.txt", root_ / "link.txt");
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  Request get(std::string path) {
    Request r;
    r.method = "GET";
    r.set_target(std::move(path));
    return r;
  }

  std::filesystem::path base_, root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndIndex) {
  StaticFiles files(root_);
  ASSERT_TRUE(files.available());
  auto r = files.serve(get("/js/app.js"), "/js/app.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->file.filename(), "app.js");
  EXPECT_EQ(r->headers.get("content-type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_TRUE(r->headers.has("etag"));
  EXPECT_TRUE(r->headers.has("last-modified"));
  auto index = files.serve(get("/"), "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->file.filename(), "index.html");
}

TEST_F(StaticFilesTest, NeverLeavesTheRoot) {
  StaticFiles files(root_);
  EXPECT_FALSE(files.serve(get("/../outside.txt"), "/../outside.txt"));
  EXPECT_FALSE(files.serve(get("/%2e%2e/outside.txt"), "/%2e%2e/outside.txt"));
  EXPECT_FALSE(files.serve(get("/link.txt"), "/link.txt"));  // symlink escaping the root
  EXPECT_FALSE(files.serve(get("/.env"), "/.env"));
  EXPECT_FALSE(files.serve(get("/missing.js"), "/missing.js"));
  EXPECT_FALSE(files.serve(get("/js"), "/js"));  // directory without index
}

TEST_F(StaticFilesTest, ConditionalGet) {
  StaticFiles files(root_);
  auto r = files.serve(get("/index.html"), "/index.html");
  ASSERT_TRUE(r);
  auto etag = std::string(*r->headers.get("etag"));
  auto req = get("/index.html");
  req.headers.add("If-None-Match", etag);
  auto again = files.serve(req, "/index.html");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->file.empty());
}

TEST_F(StaticFilesTest, HandlerAnswers404Json) {
  StaticFiles files(root_);
  auto h = files.handler();
  auto req = std::make_shared<Request>(get("/nope.html"));
  std::optional<Response> out;
  h(req, Responder([&](Response r) { out = std::move(r); }));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 404);
  EXPECT_NE(out->body.find("\"not_found\""), std::string::npos);
}

TEST(StaticFilesMissingRoot, NotAvailable) {
  StaticFiles files("/nonexistent/dashboard");
  EXPECT_FALSE(files.available());
}

}  // namespace
}  // namespace gw::http
