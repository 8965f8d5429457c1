# Simulator capacity: handshakes per second and memory per idle connection, with test-only
# WhatsApp-wire clients (tests/unit/simulator_net/ws_test_client.h) against a real SimServer.
if(TARGET sl_simulator_net)
  sl_benchmark(sim_connections_bench ${CMAKE_CURRENT_SOURCE_DIR}/sim_connections_bench.cpp)
  target_include_directories(sim_connections_bench PRIVATE ${CMAKE_SOURCE_DIR})
  target_link_libraries(sim_connections_bench PRIVATE sl_simulator_net sl_proto sl_wa_noise
    sl_wa_binary sl_net)
endif()
