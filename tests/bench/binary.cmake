# Binary node encode/decode throughput (wa/binary).
sl_benchmark(binary_bench ${CMAKE_CURRENT_SOURCE_DIR}/binary_bench.cpp)
target_link_libraries(binary_bench PRIVATE sl_wa_binary)
