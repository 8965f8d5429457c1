# Simulator fuzzers: the per-connection intake (intro, Noise handshake, transport frames, nodes).
# connection_intake.cpp is compiled in directly so the fuzzer does not pull in Beast or the core.
sl_fuzzer(sim_intake_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/sim_intake_fuzz.cpp sl_wa_noise sl_wa_binary
  sl_crypto sl_core)
target_sources(sim_intake_fuzz PRIVATE ${CMAKE_SOURCE_DIR}/simulator/connection_intake.cpp)
target_include_directories(sim_intake_fuzz PRIVATE ${CMAKE_SOURCE_DIR})
