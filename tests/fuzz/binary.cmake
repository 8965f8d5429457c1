# Binary node decoder fuzzer (wa/binary).
sl_fuzzer(node_decoder_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/node_decoder_fuzz.cpp sl_wa_binary)
