// A minimal HTTP/1.1 origin on 127.0.0.1 for the media fetcher tests: one accept thread, one
// request per connection, and a handler that returns the raw bytes to write back (status line,
// headers and body exactly as given, so tests can send lying or chunk-less responses) plus an
// optional delay before answering. Records the request targets it saw.
//
// Threading: the handler runs on the accept thread; targets() is locked.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gw::testing {

class HttpStub {
 public:
  struct Answer {
    std::string raw;
    std::chrono::milliseconds delay{0};
  };
  using Handler = std::function<Answer(const std::string& target)>;

  explicit HttpStub(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0) {
      return;
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~HttpStub() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mu_);
    return targets_;
  }

  static Answer ok(const std::string& body, const std::string& type = "application/octet-stream") {
    return {"HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body};
  }

 private:
  void loop() {
    while (!stopping_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string target;
      auto sp1 = req.find(' ');
      auto sp2 = sp1 == std::string::npos ? sp1 : req.find(' ', sp1 + 1);
      if (sp2 != std::string::npos) target = req.substr(sp1 + 1, sp2 - sp1 - 1);
      {
        std::lock_guard lock(mu_);
        targets_.push_back(target);
      }
      Answer a = handler_(target);
      if (a.delay.count() > 0) std::this_thread::sleep_for(a.delay);
      size_t off = 0;
      while (off < a.raw.size()) {
        ssize_t n = ::send(c, a.raw.data() + off, a.raw.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::shutdown(c, SHUT_WR);
      while (::recv(c, buf, sizeof buf, 0) > 0) {
      }
      ::close(c);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> targets_;
};

}  // namespace gw::testing
