#!/usr/bin/env bash
# Installs the Debian packages IDDL needs (only those missing; nothing when all are there)
# and makes sure LibTorch's BLAS (libblas.so.3) is OpenBLAS, not the 5-7x slower reference BLAS.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev libopenblas0-openmp
  openmpi-bin libopenmpi-dev
  iproute2                      # ip netns: the two-host mpirun test (tests/runners/launch/test_launchers.cpp)
  slurm-wlm munge               # the throwaway Slurm cluster of tests/runners/launch/test_slurm.cpp
  libsqlite3-dev sqlite3
  libtomlplusplus-dev libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev
  libboost-dev libboost-filesystem-dev
  libgtest-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev   # the libFuzzer targets with ASan and UBSan (tests/fuzz, docs/fuzzing.md)
  python3                       # reads iddl-report's CSV as a researcher would (tests/reports/everyday_test.cpp)
  libxml2-utils                 # xmllint: the charts' SVG validates as XML (tests/reports/svg_chart_test.cpp)
  chromium                      # tests only: opens iddl-report's HTML page headless (tests/reports/html_browser_test.cpp)
  dataset-fashion-mnist
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
blas_link="/usr/lib/${multiarch}/libblas.so.3"
openblas="/usr/lib/${multiarch}/openblas-openmp/libblas.so.3"
case "$(readlink -f "$blas_link")" in
  *openblas*) ;;
  *)
    echo "setup: libblas.so.3 is $(readlink -f "$blas_link"); switching it to OpenBLAS"
    "${sudo_cmd[@]}" update-alternatives --set "libblas.so.3-${multiarch}" "$openblas"
    ;;
esac
echo "setup: packages present; libblas.so.3 -> $(readlink -f "$blas_link")"
