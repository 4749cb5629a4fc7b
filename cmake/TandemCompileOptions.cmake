# Warning and sanitizer flags applied to every Tandem target through tandem_target_defaults().
add_library(tandem_compile_options INTERFACE)
target_compile_options(tandem_compile_options INTERFACE
  -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wimplicit-fallthrough
  # GCC 12's maybe-uninitialized analysis reports false positives inside Abseil's InlinedVector and
  # std::optional at -O2; it stays a warning, just not an error.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-error=maybe-uninitialized>
  $<$<BOOL:${TANDEM_WERROR}>:-Werror>)
if(TANDEM_SANITIZE)
  target_compile_options(tandem_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(tandem_compile_options INTERFACE -fsanitize=address,undefined)
endif()

if(TANDEM_FUZZ)
  # Instrument every library for coverage-guided fuzzing; only the fuzz targets link the libFuzzer driver.
  # Every sanitizer report is fatal (see tests/fuzz/CMakeLists.txt).
  target_compile_options(tandem_compile_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                          -fno-sanitize-recover=all)
  target_link_options(tandem_compile_options INTERFACE -fsanitize=address,undefined)
endif()

function(tandem_target_defaults target)
  target_link_libraries(${target} PRIVATE tandem_compile_options)
endfunction()

# tandem_library(NAME name SRCS ... DEPS ...): one library per common/ folder, exported as tandem::name.
function(tandem_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(tandem_${ARG_NAME} ${ARG_SRCS})
  add_library(tandem::${ARG_NAME} ALIAS tandem_${ARG_NAME})
  target_include_directories(tandem_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(tandem_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  tandem_target_defaults(tandem_${ARG_NAME})
endfunction()
