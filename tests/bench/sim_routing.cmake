# Simulator routing throughput: messages per second and send → deliver latency between two
# simulator-native test companions (tests/bench/sim_test_client.h) through a real SimServer.
if(TARGET sl_simulator_net)
  sl_benchmark(sim_routing_bench ${CMAKE_CURRENT_SOURCE_DIR}/sim_routing_bench.cpp)
  target_include_directories(sim_routing_bench PRIVATE ${CMAKE_SOURCE_DIR})
  target_link_libraries(sim_routing_bench PRIVATE sl_simulator_net sl_proto sl_wa_noise
    sl_wa_binary sl_crypto sl_net)
endif()
