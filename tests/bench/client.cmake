# Protocol client: RSS per idle linked client (1,000 clients linked to a `superlight sim` child
# process) and CPU time per 1:1 text sent and received with established sessions.
if(TARGET sl_wa_client AND TARGET superlight)
  sl_benchmark(client_bench ${CMAKE_CURRENT_SOURCE_DIR}/client_bench.cpp)
  target_link_libraries(client_bench PRIVATE sl_wa_client sl_wa_transport sl_wa_store
    nlohmann_json::nlohmann_json)
  target_include_directories(client_bench PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_definitions(client_bench PRIVATE
    SL_SUPERLIGHT_BINARY="$<TARGET_FILE:superlight>")
endif()
