# Every third-party dependency is found here once, so a missing Debian package fails the
# configure step with its name (scripts/install-deps installs them all).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SIGNAL REQUIRED IMPORTED_TARGET libsignal-protocol-c)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)

if(SL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SL_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# sl_net: the one place Asio/Beast are configured. Separate compilation keeps their
# implementation in one TU (core/net/asio_src.cpp) instead of every file that includes them.
add_library(sl_net_config INTERFACE)
target_compile_definitions(sl_net_config INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION)
target_link_libraries(sl_net_config INTERFACE Boost::boost Boost::system OpenSSL::SSL
  OpenSSL::Crypto Threads::Threads)

# SQLite for the simulator's state (the product's storage layer uses SOCI on top of it later).
find_package(SQLite3 REQUIRED)
