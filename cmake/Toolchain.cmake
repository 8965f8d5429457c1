# Build-speed helpers: ccache and lld when present (a cold build on 2 cores is dominated by
# Asio/Beast template instantiation; ccache makes rebuilds near-instant).
find_program(SL_CCACHE ccache)
if(SL_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER "${SL_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${SL_CCACHE}")
endif()

find_program(SL_LLD ld.lld)
if(SL_LLD)
  add_link_options(-fuse-ld=lld)
endif()

# GCC 12 + Boost 1.74: asio/awaitable.hpp uses std::exchange without including <utility>.
# clang 14 does not detect coroutine support in Boost 1.74 without these macros.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
endif()
