# sl_warnings(target): our own code builds with -Wall -Wextra -Werror; third-party and generated
# code (protobuf output) does not get these flags.
function(sl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror
    # GCC 12 reports a false -Wmismatched-new-delete inside Asio's coroutine frames at -O1+.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
endfunction()

# sl_library(name SOURCES...): a static library of ours with the repo root as include root.
function(sl_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  sl_warnings(${name})
endfunction()
