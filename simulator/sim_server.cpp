#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include "simulator/sim_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/encoding.h"
#include "core/log.h"
#include "simulator/media_server.h"
#include "simulator/ws_server.h"

namespace sim {
namespace {

using tcp = net::ip::tcp;
using net::use_awaitable;
namespace ssl = net::ssl;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = core::get_logger("sim.server");
  return log;
}

constexpr auto kHttpIdleTimeout = std::chrono::seconds(60);
constexpr auto kHttpWriteTimeout = std::chrono::seconds(60);
constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(15);
constexpr size_t kMaxControlBody = 1u << 20;

// Scheduler over steady_timers on the simulator's io_context.
class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(net::io_context& io) : io_(io) {}
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<net::steady_timer>(io_, delay);
    timer->async_wait([timer, fn = std::move(fn)](const beast::error_code& ec) {
      if (!ec) fn();
    });
  }

 private:
  net::io_context& io_;
};

// Either answers at once or, for scan / pair-code, when the core's callback fires: the steady
// timer doubles as the condition variable the session coroutine waits on.
struct PendingResponse {
  explicit PendingResponse(net::any_io_executor ex) : timer(ex) {}
  net::steady_timer timer;
  std::optional<HttpResponse> response;
  bool abandoned = false;
};

using AsyncHandler = std::function<void(const HttpRequest&, Responder)>;

struct HttpService {
  std::string name;  // "control" / "media", for logs
  AsyncHandler handler;
  size_t body_limit = kMaxControlBody;
  std::chrono::milliseconds response_timeout{60000};
};

// Tracks live HTTP sessions so stop() can close idle keep-alive connections.
struct SessionRegistry {
  uint64_t next = 1;
  std::unordered_map<uint64_t, std::function<void()>> closers;
};

http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "superlight-sim");
  res.set(http::field::content_type, r.content_type);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

// One keep-alive HTTP/1.1 session over a plain or TLS stream.
template <class Stream>
net::awaitable<void> serve_http(Stream& stream, const HttpService& service) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(service.body_limit);
    lowest.expires_after(kHttpIdleTimeout);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
    if (ec == http::error::end_of_stream) co_return;
    if (ec == http::error::body_limit) {
      auto res = to_beast(json_error(413, "too_large", "request body too large"), 11, false);
      lowest.expires_after(kHttpWriteTimeout);
      co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
      co_return;
    }
    if (ec) co_return;
    auto req = parser.release();
    HttpRequest request{std::string(req.method_string()), std::string(req.target()),
                        std::move(req.body())};

    auto pending = std::make_shared<PendingResponse>(stream.get_executor());
    pending->timer.expires_after(service.response_timeout);
    service.handler(request, [pending](HttpResponse r) {
      if (pending->response || pending->abandoned) return;
      pending->response = std::move(r);
      pending->timer.cancel();
    });
    if (!pending->response) {
      co_await pending->timer.async_wait(net::redirect_error(use_awaitable, ec));
    }
    if (!pending->response) {
      pending->abandoned = true;
      pending->response = json_error(
          504, "timeout",
          "no answer within " + std::to_string(service.response_timeout.count()) + " ms");
    }
    auto res = to_beast(*pending->response, req.version(), req.keep_alive());
    lowest.expires_after(kHttpWriteTimeout);
    co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) co_return;
  }
}

net::awaitable<void> plain_session(tcp::socket socket, std::shared_ptr<HttpService> service,
                                   std::shared_ptr<SessionRegistry> registry) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  uint64_t id = registry->next++;
  registry->closers.emplace(id, [weak = std::weak_ptr<beast::tcp_stream>(stream)] {
    if (auto s = weak.lock()) s->close();
  });
  co_await serve_http(*stream, *service);
  beast::error_code ec;
  stream->socket().shutdown(tcp::socket::shutdown_send, ec);
  registry->closers.erase(id);
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

net::awaitable<void> tls_session(tcp::socket socket, std::shared_ptr<ssl::context> ctx,
                                 std::shared_ptr<HttpService> service,
                                 std::shared_ptr<SessionRegistry> registry) {
  auto stream = std::make_shared<TlsStream>(std::move(socket), *ctx);
  uint64_t id = registry->next++;
  registry->closers.emplace(id, [weak = std::weak_ptr<TlsStream>(stream)] {
    if (auto s = weak.lock()) beast::get_lowest_layer(*s).close();
  });
  beast::error_code ec;
  beast::get_lowest_layer(*stream).expires_after(kTlsHandshakeTimeout);
  co_await stream->async_handshake(ssl::stream_base::server,
                                   net::redirect_error(use_awaitable, ec));
  if (!ec) {
    co_await serve_http(*stream, *service);
    beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(5));
    co_await stream->async_shutdown(net::redirect_error(use_awaitable, ec));
  } else {
    logger()->debug("{}: TLS handshake failed: {}", service->name, ec.message());
  }
  registry->closers.erase(id);
}

net::awaitable<void> http_accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                      std::shared_ptr<ssl::context> tls,
                                      std::shared_ptr<HttpService> service,
                                      std::shared_ptr<SessionRegistry> registry) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket(acceptor->get_executor());
    co_await acceptor->async_accept(socket, net::redirect_error(use_awaitable, ec));
    if (!acceptor->is_open()) co_return;
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      logger()->warn("{}: accept failed: {}", service->name, ec.message());
      net::steady_timer t(acceptor->get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(net::redirect_error(use_awaitable, ec));
      continue;
    }
    if (tls) {
      net::co_spawn(acceptor->get_executor(),
                    tls_session(std::move(socket), tls, service, registry), net::detached);
    } else {
      net::co_spawn(acceptor->get_executor(), plain_session(std::move(socket), service, registry),
                    net::detached);
    }
  }
}

core::Result<std::shared_ptr<tcp::acceptor>> bind(net::io_context& io, const std::string& host,
                                                  uint16_t port, const char* what) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return core::Status::invalid_argument("bad listen address '" + host + "'");
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  tcp::endpoint ep(address, port);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Status::unavailable(std::string(what) + " listener on " + host + ":" +
                                     std::to_string(port) + ": " + ec.message());
  }
  return acceptor;
}

uint16_t local_port(const tcp::acceptor& a) {
  beast::error_code ec;
  auto ep = a.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

// The host clients should dial: a wildcard bind is reached through loopback.
std::string url_host(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "::") return "[::1]";
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

core::Result<std::shared_ptr<ssl::context>> make_tls_context(const MediaTls& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  // The leaf followed by its issuer, so clients that trust the CA can build the chain.
  std::string chain = tls.cert_pem + tls.ca_pem;
  if (!ec) ctx->use_certificate_chain(net::buffer(chain), ec);
  if (!ec) ctx->use_private_key(net::buffer(tls.key_pem), ssl::context::pem, ec);
  if (ec) return core::Status::internal("media TLS context: " + ec.message());
  return ctx;
}

}  // namespace

struct SimServer::Impl {
  explicit Impl(net::io_context& io) : io(io), scheduler(io) {}

  net::io_context& io;
  AsioScheduler scheduler;
  std::shared_ptr<SessionRegistry> sessions = std::make_shared<SessionRegistry>();
  std::unique_ptr<WsServer> ws;
  std::shared_ptr<tcp::acceptor> control_acceptor;
  std::shared_ptr<tcp::acceptor> media_acceptor;
  std::shared_ptr<ssl::context> tls;
  ServerInfo info;
  // Declared last so it is destroyed first: it holds sinks (connections) and callbacks that
  // reference the servers above.
  std::unique_ptr<Simulator> simulator;
  std::unique_ptr<ControlApi> control;
  bool stopped = false;
};

SimServer::SimServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SimServer::~SimServer() {
  if (!impl_) return;
  stop();
  // The core goes before the listeners and sessions whose callbacks reference it.
  impl_->control.reset();
  impl_->simulator.reset();
}

core::Result<std::unique_ptr<SimServer>> SimServer::start(net::io_context& io,
                                                          const SimServerOptions& options,
                                                          core::Clock& clock,
                                                          core::Random& random) {
  auto impl = std::make_unique<Impl>(io);
  WsServerOptions ws_options;
  ws_options.handshake_timeout = options.noise_handshake_timeout;
  CORE_ASSIGN_OR_RETURN(impl->ws, WsServer::listen(io, options.host, options.ws_port, ws_options));
  CORE_ASSIGN_OR_RETURN(impl->control_acceptor,
                        bind(io, options.host, options.control_port, "control"));
  CORE_ASSIGN_OR_RETURN(impl->media_acceptor, bind(io, options.host, options.media_port, "media"));

  CORE_ASSIGN_OR_RETURN(MediaTls tls,
                        load_or_create_media_tls(options.ephemeral ? "" : options.state_dir));
  CORE_ASSIGN_OR_RETURN(impl->tls, make_tls_context(tls));

  const std::string host = url_host(options.host);
  const std::string media_host = host + ":" + std::to_string(local_port(*impl->media_acceptor));
  SimulatorConfig config;
  config.state_dir = options.state_dir;
  config.ephemeral = options.ephemeral;
  config.media_host = media_host;
  CORE_ASSIGN_OR_RETURN(impl->simulator,
                        Simulator::open(std::move(config), clock, random, impl->scheduler));

  impl->info.ws_url = "ws://" + host + ":" + std::to_string(impl->ws->port()) + "/ws/chat";
  impl->info.media_url = "https://" + media_host;
  impl->info.control_url =
      "http://" + host + ":" + std::to_string(local_port(*impl->control_acceptor));
  impl->info.root_key_hex = core::hex_encode(impl->simulator->root_public_key());
  impl->info.media_ca_pem = tls.ca_pem;
  impl->control = std::make_unique<ControlApi>(*impl->simulator, impl->info);

  auto control_service = std::make_shared<HttpService>();
  control_service->name = "control";
  control_service->body_limit = kMaxControlBody;
  control_service->response_timeout = options.link_timeout;
  ControlApi* api = impl->control.get();
  control_service->handler = [api](const HttpRequest& r, Responder respond) {
    api->handle(r, std::move(respond));
  };

  auto media_service = std::make_shared<HttpService>();
  media_service->name = "media";
  media_service->body_limit = kMaxMediaBody;
  Simulator* core_sim = impl->simulator.get();
  media_service->handler = [core_sim](const HttpRequest& r, Responder respond) {
    respond(handle_media_request(*core_sim, r));
  };

  impl->ws->start(*impl->simulator, random);
  net::co_spawn(io,
                http_accept_loop(impl->control_acceptor, nullptr, control_service, impl->sessions),
                net::detached);
  net::co_spawn(io,
                http_accept_loop(impl->media_acceptor, impl->tls, media_service, impl->sessions),
                net::detached);
  logger()->info("simulator ready: ws {} control {} media {}{}", impl->info.ws_url,
                 impl->info.control_url, impl->info.media_url,
                 options.ephemeral ? " (ephemeral)" : " state " + options.state_dir);
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

const ServerInfo& SimServer::info() const { return impl_->info; }

Simulator& SimServer::simulator() { return *impl_->simulator; }

std::string SimServer::ready_line() const {
  const auto& i = impl_->info;
  return nlohmann::ordered_json{{"ready", true},
                                {"ws_url", i.ws_url},
                                {"media_url", i.media_url},
                                {"root_key", i.root_key_hex},
                                {"media_ca_pem", i.media_ca_pem},
                                {"control_url", i.control_url}}
      .dump();
}

void SimServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  if (impl_->control_acceptor) impl_->control_acceptor->close(ec);
  if (impl_->media_acceptor) impl_->media_acceptor->close(ec);
  if (impl_->ws) impl_->ws->stop();
  std::vector<std::function<void()>> closers;
  for (auto& [id, c] : impl_->sessions->closers) closers.push_back(c);
  for (auto& c : closers) c();
}

int run_simulator(const SimServerOptions& options, std::FILE* ready_out) {
  core::LogOptions log_options;
  log_options.level = options.log_level;
  if (auto s = core::init_logging(log_options); !s.ok()) {
    std::fprintf(stderr, "superlight sim: %s\n", s.message().c_str());
    return 2;
  }
  net::io_context io(1);
  auto server =
      SimServer::start(io, options, core::SystemClock::instance(), core::SecureRandom::instance());
  if (!server.ok()) {
    std::fprintf(stderr, "superlight sim: %s\n", server.status().to_string().c_str());
    return 1;
  }
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int signo) {
    if (ec) return;
    logger()->info("signal {}: stopping", signo);
    (*server)->stop();
    io.stop();
  });
  std::string line = (*server)->ready_line();
  std::fprintf(ready_out, "%s\n", line.c_str());
  std::fflush(ready_out);
  io.run();
  server->reset();
  return 0;
}

}  // namespace sim
