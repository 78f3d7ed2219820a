# The fuzz targets seen from the main (g++) build: where Debian's clang 14 and its libFuzzer runtime are found
# (scripts/setup.sh installs them), a second configure of this source tree with -DIDDL_FUZZ=ON builds them in
# <build>/fuzz as part of the build, and ctest runs each for IDDL_FUZZ_TEST_SECONDS on its seed corpus.
set(IDDL_FUZZ_TARGETS sweep_toml run_spec idx cifar event_lines journal)
set(IDDL_FUZZ_TEST_SECONDS 20 CACHE STRING "seconds ctest fuzzes each target")

find_program(IDDL_FUZZ_CXX clang++-14)
find_program(IDDL_FUZZ_CC clang-14)
set(fuzz_runtime_found FALSE)
if(IDDL_FUZZ_CXX AND IDDL_FUZZ_CC)
  set(probe_dir ${CMAKE_BINARY_DIR}/fuzz-probe)
  file(WRITE ${probe_dir}/probe.cpp
       "#include <cstddef>\n#include <cstdint>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
  execute_process(COMMAND ${IDDL_FUZZ_CXX} -fsanitize=fuzzer,address,undefined probe.cpp -o probe
                  WORKING_DIRECTORY ${probe_dir} RESULT_VARIABLE probe_failed OUTPUT_QUIET ERROR_QUIET)
  if(NOT probe_failed)
    set(fuzz_runtime_found TRUE)
  endif()
endif()
if(NOT fuzz_runtime_found)
  message(STATUS "Fuzz targets: not built (no clang++-14 with libFuzzer; scripts/setup.sh installs clang-14 and "
                 "libclang-rt-14-dev)")
  return()
endif()
message(STATUS "Fuzz targets: built with ${IDDL_FUZZ_CXX} in ${CMAKE_BINARY_DIR}/fuzz")

include(ExternalProject)
set(fuzz_build ${CMAKE_BINARY_DIR}/fuzz)
ExternalProject_Add(iddl_fuzz_targets
  SOURCE_DIR ${CMAKE_SOURCE_DIR}
  BINARY_DIR ${fuzz_build}
  CMAKE_GENERATOR ${CMAKE_GENERATOR}
  CMAKE_ARGS -DIDDL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=${IDDL_FUZZ_CXX}
             -DCMAKE_C_COMPILER=${IDDL_FUZZ_CC} -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
             -DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER} -DIDDL_WERROR=${IDDL_WERROR}
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON)

foreach(target ${IDDL_FUZZ_TARGETS})
  add_test(NAME fuzz_${target}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_target.sh ${fuzz_build} ${target} ${IDDL_FUZZ_TEST_SECONDS})
  set_tests_properties(fuzz_${target} PROPERTIES TIMEOUT 180 LABELS fuzz)
endforeach()
