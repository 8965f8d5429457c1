// The compiled implementation of Asio, Asio SSL and Beast (separate compilation mode).
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
