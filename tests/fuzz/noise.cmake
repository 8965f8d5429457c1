# wa/noise fuzzers: the intro + frame byte-stream parser.
sl_fuzzer(frame_parser_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/frame_parser_fuzz.cpp sl_wa_noise)
