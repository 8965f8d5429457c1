# Storage: inbound messages recorded per second together with their ratchet (Signal session)
# update, one DB transaction each — the hot write path of a busy session. DATABASE_URL picks the
# database (default: a temporary SQLite file); scripts/test-db-start provides MariaDB/PostgreSQL.
if(TARGET sl_storage)
  sl_benchmark(storage_bench ${CMAKE_CURRENT_SOURCE_DIR}/storage_bench.cpp)
  target_include_directories(storage_bench PRIVATE ${CMAKE_SOURCE_DIR})
  target_link_libraries(storage_bench PRIVATE sl_storage)
endif()
