# tandem_benchmark(NAME name SRCS ... DEPS ... [LABELS ...]): a Google Benchmark program for hot functions,
# its main() from benchmark::benchmark_main. In a build with tests it is also a ctest entry, <name>_smoke
# (labels bench, smoke and LABELS), that runs every benchmark once for a tiny --benchmark_min_time: it checks
# that the program works, never how fast anything is (see docs/BENCHMARKS.md).
function(tandem_benchmark)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  # TandemDependencies finds Google Benchmark only for builds with tests; an optimised build without them
  # (the release preset, for figures worth recording) still gets the program when the package is installed.
  if(NOT TARGET benchmark::benchmark_main)
    find_package(benchmark CONFIG QUIET)
  endif()
  if(NOT TARGET benchmark::benchmark_main)
    message(STATUS "Google Benchmark not found: ${ARG_NAME} is not built")
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark_main)
  tandem_target_defaults(${ARG_NAME})
  if(TANDEM_BUILD_TESTS)
    # Seconds (a plain number in Google Benchmark 1.7): each benchmark runs a handful of iterations.
    add_test(NAME ${ARG_NAME}_smoke COMMAND ${ARG_NAME} --benchmark_min_time=0.001)
    set(labels bench smoke ${ARG_LABELS})
    list(REMOVE_DUPLICATES labels)
    set_tests_properties(${ARG_NAME}_smoke PROPERTIES TIMEOUT 120 LABELS "${labels}")
    # As tandem_test does: `tandem_tests_<label>` builds what a `ctest -L <label>` run needs.
    foreach(label IN LISTS labels)
      if(NOT TARGET tandem_tests_${label})
        add_custom_target(tandem_tests_${label})
      endif()
      add_dependencies(tandem_tests_${label} ${ARG_NAME})
    endforeach()
  endif()
endfunction()
