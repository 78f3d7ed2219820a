# Checks of the LibTorch IDDL is built against (docs/gpu.md): its C++ ABI and, for a CUDA LibTorch, the CUDA
# toolkit that must match it. Pure functions of their inputs, so that tests/cmake runs them on made-up versions.

# The _GLIBCXX_USE_CXX11_ABI value ("0" or "1") that LibTorch's compile flags `flags` set, "" when they set none.
function(iddl_torch_abi flags out)
  set(abi "")
  if(flags MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
    set(abi "${CMAKE_MATCH_1}")
  endif()
  set(${out} "${abi}" PARENT_SCOPE)
endfunction()

# Stops the configure when LibTorch (found in `torch_dir`) uses the pre-C++11 ABI: fmt, Boost, GoogleTest and
# Google Benchmark from the system are built with the C++11 ABI, and IDDL passes std::string across all of them.
function(iddl_require_cxx11_abi abi torch_dir)
  if(abi STREQUAL "0")
    message(FATAL_ERROR
      "The LibTorch in ${torch_dir} is built with the pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0), but fmt, Boost, "
      "GoogleTest and Google Benchmark of this system use the C++11 ABI, so IDDL cannot link against it. Use the "
      "cxx11-ABI LibTorch (libtorch-cxx11-abi-shared-with-deps-<version>+cu<NNN>.zip from pytorch.org) and pass "
      "its folder with -DCMAKE_PREFIX_PATH=<libtorch> (docs/gpu.md).")
  endif()
endfunction()

# The CUDA version ("12.1") of a LibTorch build-version text ("2.1.0+cu121"), "" when it names none ("+cpu").
function(iddl_torch_cuda_version build_version out)
  set(version "")
  if(build_version MATCHES "\\+cu([0-9]+)([0-9])")
    set(version "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

# Stops the configure unless the CUDA toolkit (`toolkit_version`, "" when none was found) has the major version
# of the CUDA LibTorch is built for (`torch_cuda`, "" when unknown): the NCCL backend and LibTorch must share
# one CUDA runtime.
function(iddl_require_matching_cuda torch_cuda toolkit_version)
  if(torch_cuda STREQUAL "")
    message(FATAL_ERROR
      "LibTorch is built with CUDA, but its CUDA version is unknown (no '+cuNNN' in its build-version file): "
      "name it with -DIDDL_TORCH_CUDA_VERSION=<major.minor> (docs/gpu.md).")
  endif()
  if(toolkit_version STREQUAL "")
    message(FATAL_ERROR
      "LibTorch is built with CUDA ${torch_cuda}, but no CUDA toolkit was found: install CUDA "
      "${torch_cuda} (any ${torch_cuda}-compatible toolkit of the same major version) and point "
      "-DCUDAToolkit_ROOT at it (docs/gpu.md).")
  endif()
  string(REGEX MATCH "^[0-9]+" torch_major "${torch_cuda}")
  string(REGEX MATCH "^[0-9]+" toolkit_major "${toolkit_version}")
  if(NOT torch_major STREQUAL toolkit_major)
    message(FATAL_ERROR
      "CUDA toolkit ${toolkit_version} does not match the CUDA ${torch_cuda} LibTorch is built with (major "
      "versions ${toolkit_major} and ${torch_major}): point -DCUDAToolkit_ROOT at a CUDA ${torch_major}.x toolkit, "
      "or use a LibTorch built for CUDA ${toolkit_major} (docs/gpu.md).")
  endif()
endfunction()
