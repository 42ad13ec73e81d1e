pg2sr_add_test_dir(codecs LIBS pg2sr_codecs nlohmann_json::nlohmann_json NEEDS_POSTGRES pgoutput_capture)

# libFuzzer run of the pgoutput decoder and change assembler (builds with clang-14 itself).
add_test(NAME codecs.decoder_fuzz COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fuzz-decoder.sh 60)
set_tests_properties(codecs.decoder_fuzz PROPERTIES TIMEOUT 400)
