#!/usr/bin/env bash
# Runs one fuzz target for a while: run_target.sh FUZZ_BUILD_DIR TARGET SECONDS
# Seeds come from tests/fuzz/corpus/TARGET (never written); inputs libFuzzer finds interesting are kept in
# FUZZ_BUILD_DIR/corpus/TARGET and any crash, leak or sanitizer report in FUZZ_BUILD_DIR/artifacts/TARGET-*.
# Exits non-zero on a finding (docs/fuzzing.md says how to turn it into a regression).
set -euo pipefail
build=$1 target=$2 seconds=$3
here=$(cd "$(dirname "$0")" && pwd)
binary="$build/bin/fuzz_$target"
if [ ! -x "$binary" ]; then
  echo "run_target.sh: no $binary: configure the build where clang-14 and libclang-rt-14-dev are installed" >&2
  exit 2
fi
mkdir -p "$build/corpus/$target" "$build/artifacts"
options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$build/artifacts/$target-")
if [ -f "$here/dicts/$target.dict" ]; then options+=(-dict="$here/dicts/$target.dict"); fi
exec "$binary" "${options[@]}" "$build/corpus/$target" "$here/corpus/$target"
