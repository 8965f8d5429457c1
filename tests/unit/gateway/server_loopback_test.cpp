// The real HTTP server over loopback sockets: keep-alive, size limits enforced while reading,
// malformed input, slowloris, streamed uploads, security headers, WebSocket through the Beast-free
// interface, graceful shutdown. The client side is plain POSIX sockets (and Beast for WebSocket).
#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "gateway/http/server.h"
#include "gateway/metrics.h"

namespace gw::http {
namespace {

using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response with a Content-Length body (or none). nullopt on EOF/timeout.
  std::optional<RawResponse> read_response(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    RawResponse r;
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    r.status = std::stoi(head_text.substr(9, 3));
    size_t pos = head_text.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head_text.find("\r\n", pos + 2);
      std::string line =
          head_text.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(c));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[name] = value;
      }
      pos = next;
    }
    size_t len = 0;
    if (!head && r.headers.count("content-length")) len = std::stoul(r.headers["content-length"]);
    while (buf_.size() < len) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  // True when the server closed the connection (recv returns 0 or reset) within the timeout.
  bool wait_closed(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<long>(timeout.count() / 1000),
               static_cast<long>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, c, sizeof c, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upload_dir_ = std::filesystem::temp_directory_path() /
                  ("sl-gw-uploads-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(upload_dir_);

    router_.get("/hello", sync([](Request& r) {
                  return Response::json(
                      200,
                      {{"hello", "world"}, {"remote", r.remote_address}, {"secure", r.secure}});
                }));
    router_.post("/echo", sync([](Request& r) {
                   return Response::json(200, {{"size", r.body.size()}});
                 }),
                 RouteOptions().limit(1024));
    router_.post("/upload", sync([this](Request& r) {
                   nlohmann::json files = nlohmann::json::array();
                   if (r.form) {
                     for (const auto& f : r.form->files) {
                       files.push_back({{"field", f.field},
                                        {"name", f.filename},
                                        {"size", f.size},
                                        {"on_disk", std::filesystem::file_size(f.path)}});
                     }
                   }
                   nlohmann::json fields = nlohmann::json::object();
                   if (r.form) {
                     for (auto& [k, v] : r.form->fields) fields[k] = v;
                   }
                   (void)this;
                   return Response::json(200, {{"files", files}, {"fields", fields}});
                 }),
                 RouteOptions().uploads());
    router_.get("/slow", [](const RequestPtr&, Responder respond) {
      std::thread([respond = std::move(respond)]() mutable {
        std::this_thread::sleep_for(500ms);
        respond(Response::json(200, {{"slow", true}}));
      }).detach();
    });

    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.header_timeout = 700ms;
    o.idle_timeout = 3s;
    o.body_timeout = 3s;
    o.shutdown_grace = 3s;
    o.upload_limit = 64 * 1024;
    o.upload_dir = upload_dir_;
    o.trust_proxy = *TrustProxy::parse("loopback");
    o.log_requests = false;
    server_ = std::make_unique<Server>(io_, router_, o, &metrics_);
    server_->add_websocket({{"/ws"},
                            [](const Request& r) -> std::optional<Response> {
                              if (r.query_param("deny"))
                                return Response::error(401, "unauthenticated", "no ticket");
                              return std::nullopt;
                            },
                            [this](const RequestPtr&, std::shared_ptr<WsConnection> c) {
                              std::weak_ptr<WsConnection> weak = c;
                              c->on_message([weak](std::string m, bool text) {
                                if (auto s = weak.lock())
                                  s->send_text((text ? "echo:" : "bin:") + m);
                              });
                              c->on_close([this] { ws_closed_ = true; });
                            }});
    ASSERT_TRUE(server_->listen().ok());
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    std::filesystem::remove_all(upload_dir_);
  }

  static std::string get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
  }

  bool responsive() {
    Client c(port_);
    if (!c.send(get("/hello"))) return false;
    auto r = c.read_response();
    return r && r->status == 200;
  }

  size_t files_in_upload_dir() const {
    if (!std::filesystem::exists(upload_dir_)) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(upload_dir_),
                                             std::filesystem::directory_iterator()));
  }

  net::io_context io_{1};
  Router router_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::filesystem::path upload_dir_;
  std::atomic<bool> ws_closed_{false};
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get("/hello")));
  auto a = c.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(nlohmann::json::parse(a->body)["hello"], "world");
  ASSERT_TRUE(c.send(get("/hello")));
  auto b = c.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  // Both requests pipelined in one write also work.
  ASSERT_TRUE(c.send(get("/hello") + get("/nope")));
  EXPECT_EQ(c.read_response()->status, 200);
  auto nf = c.read_response();
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(nlohmann::json::parse(nf->body)["error"]["code"], "not_found");
  EXPECT_GE(metrics_.value("superlight_http_requests_total",
                           {{"method", "GET"}, {"route", "/hello"}, {"status", "200"}}),
            3);
}

TEST_F(ServerTest, SecurityHeadersOnEveryResponse) {
  Client c(port_);
  ASSERT_TRUE(c.send(get("/hello")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers["content-security-policy"],
            "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'self'");
  EXPECT_EQ(r->headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r->headers["x-frame-options"], "DENY");
  EXPECT_EQ(r->headers["referrer-policy"], "no-referrer");
  EXPECT_EQ(r->headers.count("strict-transport-security"), 0u);
  // Errors get them too.
  ASSERT_TRUE(c.send(get("/missing")));
  auto e = c.read_response();
  EXPECT_EQ(e->headers["x-frame-options"], "DENY");
  // Behind a trusted proxy saying https: HSTS, and the client address from X-Forwarded-For.
  ASSERT_TRUE(
      c.send(get("/hello", "X-Forwarded-Proto: https\r\nX-Forwarded-For: 203.0.113.9\r\n")));
  auto s = c.read_response();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->headers.count("strict-transport-security"));
  auto j = nlohmann::json::parse(s->body);
  EXPECT_EQ(j["secure"], true);
  EXPECT_EQ(j["remote"], "203.0.113.9");
}

TEST_F(ServerTest, HeadAnd405) {
  Client c(port_);
  ASSERT_TRUE(c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto h = c.read_response(/*head=*/true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_NE(h->headers["content-length"], "0");
  ASSERT_TRUE(c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto m = c.read_response();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 405);
  EXPECT_EQ(m->headers["allow"], "GET, HEAD");
}

TEST_F(ServerTest, BodyOverLimitIs413AndServerStaysResponsive) {
  {
    Client c(port_);
    ASSERT_TRUE(
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 5000\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "payload_too_large");
    EXPECT_TRUE(c.wait_closed(2s));
  }
  {
    // Chunked: the limit is enforced while reading.
    Client c(port_);
    std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) req += "200\r\n" + std::string(512, 'a') + "\r\n";
    req += "0\r\n\r\n";
    c.send(req);
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(nlohmann::json::parse(r->body)["size"], 5);
  }
  EXPECT_TRUE(responsive());
}

TEST_F(ServerTest, MalformedHttpIs400AndServerStaysResponsive) {
  {
    Client c(port_);
    ASSERT_TRUE(c.send("GARBAGE GARBAGE GARBAGE\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "bad_request");
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  {
    Client c(port_);
    ASSERT_TRUE(
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
  }
  EXPECT_TRUE(responsive());
}

TEST_F(ServerTest, SlowlorisIsCutWhileOthersAreServed) {
  Client slow(port_);
  ASSERT_TRUE(slow.send("GET /hello HTTP/1.1\r\n"));
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string header = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < header.size() && !stop; ++i) {
      if (!slow.send(std::string(1, header[i]))) break;
      std::this_thread::sleep_for(50ms);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  // Meanwhile a normal client is served promptly.
  EXPECT_TRUE(responsive());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  // The slow client is closed at the header deadline (700 ms) although it keeps sending.
  EXPECT_TRUE(slow.wait_closed(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  stop = true;
  trickle.join();
  EXPECT_TRUE(responsive());
}

std::string multipart_request(const std::string& boundary, const std::string& file_content,
                              bool chunked) {
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"sessionId\"\r\n\r\ns1\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n" +
                     file_content + "\r\n--" + boundary + "--\r\n";
  std::string head =
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
      "boundary=" +
      boundary + "\r\n";
  if (!chunked) return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string out = head + "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += 4096) {
    auto part = body.substr(i, 4096);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", part.size());
    out += std::string(size) + "\r\n" + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

TEST_F(ServerTest, MultipartUploadStreamsToDiskAndCleansUp) {
  Client c(port_);
  const std::string content(20000, 'z');
  ASSERT_TRUE(c.send(multipart_request("XyZ", content, /*chunked=*/true)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["fields"]["sessionId"], "s1");
  ASSERT_EQ(j["files"].size(), 1u);
  EXPECT_EQ(j["files"][0]["size"], 20000);
  EXPECT_EQ(j["files"][0]["on_disk"], 20000);
  EXPECT_EQ(j["files"][0]["name"], "a.bin");
  // The handler did not keep the file: the temporary file is gone once the request is done.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(files_in_upload_dir(), 0u);
}

TEST_F(ServerTest, HugeMultipartRejectedWhileReading) {
  // The upload directory is watched while the body streams: no file ever exceeds the limit.
  std::atomic<bool> watching{true};
  std::atomic<uintmax_t> largest{0};
  std::thread watcher([&] {
    while (watching) {
      std::error_code ec;
      if (std::filesystem::exists(upload_dir_, ec)) {
        for (auto& e : std::filesystem::directory_iterator(upload_dir_, ec)) {
          auto s = std::filesystem::file_size(e.path(), ec);
          if (!ec && s > largest) largest = s;
        }
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  {
    Client c(port_);
    c.send(multipart_request("XyZ", std::string(1024 * 1024, 'z'), /*chunked=*/true));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {
    // With a Content-Length over the limit, it is refused before reading the body.
    Client c(port_);
    c.send(
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: 100000000\r\n\r\n");
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {
    // Malformed multipart: 400.
    Client c(port_);
    std::string body = "this is not multipart";
    c.send(
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  watching = false;
  watcher.join();
  EXPECT_LE(largest.load(), 64u * 1024);
  EXPECT_EQ(files_in_upload_dir(), 0u);
  EXPECT_TRUE(responsive());
}

TEST_F(ServerTest, WebSocketEchoThroughBeastFreeInterface) {
  net::io_context client_io;
  websocket::stream<net::ip::tcp::socket> ws(client_io);
  ws.next_layer().connect({net::ip::make_address("127.0.0.1"), port_});
  ws.handshake("localhost", "/ws");
  ws.text(true);
  ws.write(net::buffer(std::string("hi")));
  beast::flat_buffer buf;
  ws.read(buf);
  EXPECT_EQ(beast::buffers_to_string(buf.data()), "echo:hi");
  ws.close(websocket::close_code::normal);
  for (int i = 0; i < 100 && !ws_closed_; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(ws_closed_);

  // The endpoint's admit hook can refuse the upgrade with an HTTP response.
  Client denied(port_);
  ASSERT_TRUE(denied.send(
      "GET /ws?deny=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
  auto r = denied.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "unauthenticated");
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequests) {
  Client idle(port_);
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_TRUE(idle.read_response());  // now idle on keep-alive

  Client busy(port_);
  ASSERT_TRUE(busy.send(get("/slow")));
  std::this_thread::sleep_for(100ms);  // the handler is running
  std::promise<void> done;
  server_->shutdown([&] { done.set_value(); });

  EXPECT_TRUE(idle.wait_closed(2s));  // idle connections are closed at once
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_EQ(done.get_future().wait_for(3s), std::future_status::ready);
  // No longer accepting.
  Client late(port_);
  EXPECT_TRUE(!late.connected() || !late.send(get("/hello")) || !late.read_response());
}

}  // namespace
}  // namespace gw::http
