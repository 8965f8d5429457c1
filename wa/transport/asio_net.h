// The real (Asio/Beast) implementations of the transport interfaces: a Scheduler over an
// executor's steady timers, a WebSocket channel factory (ws:// and wss://), and an HTTPS client
// for media. These and asio_net.cpp are the only wa/ files that see Asio or Beast.
//
// TLS contexts are built once per trust configuration and shared by every channel the factory
// creates (an OpenSSL context is tens of KB; thousands of clients share one).
//
// Threading: everything created with an executor runs its callbacks on that executor. Give each
// client a strand (or a single-threaded io_context) so its callbacks never run concurrently;
// many clients may share one io_context.
#pragma once

#include <memory>

#include "core/net/net.h"
#include "wa/transport/channel.h"
#include "wa/transport/scheduler.h"
#include "wa/transport/transport.h"

namespace wa::transport {

std::unique_ptr<Scheduler> make_asio_scheduler(net::any_io_executor executor);

std::unique_ptr<ChannelFactory> make_beast_channel_factory(net::any_io_executor executor);

std::unique_ptr<HttpClient> make_beast_http_client(net::any_io_executor executor, TlsConfig tls);

}  // namespace wa::transport

namespace wa::transport {

// Everything one client needs from Asio, bundled: its scheduler, a channel factory and Noise
// transport factory on `executor`, and an HTTPS client for media. Give each client its own
// strand as `executor`.
struct AsioClientEnvironment {
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<ChannelFactory> channels;
  std::unique_ptr<TransportFactory> transports;
  std::unique_ptr<HttpClient> http;
};

AsioClientEnvironment make_asio_client_environment(net::any_io_executor executor,
                                                   TransportConfig config, TlsConfig media_tls,
                                                   core::Clock& clock, core::Random& random);

}  // namespace wa::transport
