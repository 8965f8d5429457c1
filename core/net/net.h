// The include every networking file uses instead of Asio/Beast directly: it fixes the GCC 12 +
// Boost 1.74 <utility> gap and names the namespaces once. Only the few files that own sockets
// (transport, HTTP listener, simulator server) include it; everything else sees small interfaces.
//
// Threading: Asio's rules; each component documents which executor it lives on.
#pragma once

#include <utility>  // must precede asio/awaitable.hpp on GCC 12 (std::exchange)

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
