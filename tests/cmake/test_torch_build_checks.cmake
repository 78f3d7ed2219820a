# Run by ctest as `cmake -P`: the checks of cmake/torch_build_checks.cmake (CHECKS) on made-up LibTorch flags and
# CUDA versions, each failing check in a child `cmake -P` (a FATAL_ERROR ends the script it runs in), and the ABI
# define of this build (TORCH_ABI) on every command of its compile_commands.json (COMPILE_COMMANDS).
include(${CHECKS})

function(expect_equal actual expected what)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(FATAL_ERROR "${what}: got '${actual}', expected '${expected}'")
  endif()
endfunction()

# Runs `code` after including the checks in a child `cmake -P`; `outcome` is "passes" or "fails", and a
# failure's message must contain every one of the following arguments.
function(expect_child outcome code)
  file(WRITE ${WORK}/child.cmake "include(${CHECKS})\n${code}\n")
  execute_process(COMMAND ${CMAKE_COMMAND} -P ${WORK}/child.cmake RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  string(REGEX REPLACE "[ \n]+" " " err "${err}")  # CMake wraps long messages
  if(outcome STREQUAL "passes" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "'${code}' failed: ${err}")
  elseif(outcome STREQUAL "fails")
    if(rc EQUAL 0)
      message(FATAL_ERROR "'${code}' passed; expected a configure error")
    endif()
    foreach(part ${ARGN})
      string(FIND "${err}" "${part}" at)
      if(at EQUAL -1)
        message(FATAL_ERROR "the error of '${code}' does not name '${part}': ${err}")
      endif()
    endforeach()
  endif()
endfunction()

# The ABI of LibTorch's flags.
iddl_torch_abi("-D_GLIBCXX_USE_CXX11_ABI=1" abi)
expect_equal("${abi}" "1" "cxx11 flags")
iddl_torch_abi("-D_GLIBCXX_USE_CXX11_ABI=0" abi)
expect_equal("${abi}" "0" "pre-cxx11 flags")
iddl_torch_abi("" abi)
expect_equal("${abi}" "" "no flags")
expect_child(passes "iddl_require_cxx11_abi(1 /opt/libtorch)")
expect_child(passes "iddl_require_cxx11_abi(\"\" /opt/libtorch)")
expect_child(fails "iddl_require_cxx11_abi(0 /opt/libtorch-pre)" "/opt/libtorch-pre" "_GLIBCXX_USE_CXX11_ABI=0"
             "libtorch-cxx11-abi-shared-with-deps")

# LibTorch's CUDA version from its build-version file.
iddl_torch_cuda_version("2.1.0+cu121" cuda)
expect_equal("${cuda}" "12.1" "2.1.0+cu121")
iddl_torch_cuda_version("2.0.1+cu118" cuda)
expect_equal("${cuda}" "11.8" "2.0.1+cu118")
iddl_torch_cuda_version("2.9.0+cu130" cuda)
expect_equal("${cuda}" "13.0" "2.9.0+cu130")
iddl_torch_cuda_version("2.1.0+cpu" cuda)
expect_equal("${cuda}" "" "2.1.0+cpu")

# The toolkit against LibTorch's CUDA: same major passes, anything else stops naming both versions.
expect_child(passes "iddl_require_matching_cuda(12.1 12.4.131)")
expect_child(passes "iddl_require_matching_cuda(13.0 13.0.48)")
expect_child(fails "iddl_require_matching_cuda(12.1 13.0.48)" "13.0.48" "CUDA 12.1" "CUDAToolkit_ROOT")
expect_child(fails "iddl_require_matching_cuda(11.8 12.1.105)" "12.1.105" "CUDA 11.8")
expect_child(fails "iddl_require_matching_cuda(12.1 \"\")" "CUDA 12.1" "no CUDA toolkit was found")
expect_child(fails "iddl_require_matching_cuda(\"\" 12.1.105)" "IDDL_TORCH_CUDA_VERSION")

# This build: every compile command carries LibTorch's ABI define, not only those of the LibTorch targets.
if(NOT TORCH_ABI STREQUAL "")
  file(STRINGS ${COMPILE_COMMANDS} commands REGEX "\"command\":")
  list(LENGTH commands count)
  if(count EQUAL 0)
    message(FATAL_ERROR "${COMPILE_COMMANDS} has no compile commands")
  endif()
  foreach(command IN LISTS commands)
    string(FIND "${command}" "-D_GLIBCXX_USE_CXX11_ABI=${TORCH_ABI}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "a compile command lacks -D_GLIBCXX_USE_CXX11_ABI=${TORCH_ABI}: ${command}")
    endif()
  endforeach()
  message(STATUS "${count} compile commands, each with -D_GLIBCXX_USE_CXX11_ABI=${TORCH_ABI}")
endif()
