// A tiny HTTP/1.1 server on 127.0.0.1 for the delivery tests: it records every request and
// answers through a scriptable handler (status, extra headers, a delay). One thread accepts;
// each connection is served on its own thread, one request per connection ("Connection:
// close"). stop() closes the port (the "receiver is down" case); start() can reopen the same port.
//
// Threading: handler runs on connection threads; requests() is locked.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gw::webhooks::testing {

struct Request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};
};

class TestReceiver {
 public:
  using Handler = std::function<Response(const Request&, int index)>;
  TestReceiver() = default;
  ~TestReceiver() { stop(); }

  // Listens on `port` (0 = any); returns the port or -1.
  int start(int port = 0);
  void stop();
  void set_handler(Handler h) {
    std::lock_guard lock(mu_);
    handler_ = std::move(h);
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void serve(int fd);

  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Request> requests_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::vector<std::thread> conn_threads_;
};

// Polls `pred` every 20 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace gw::webhooks::testing
