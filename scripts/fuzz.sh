#!/usr/bin/env bash
# Runs every cargo-fuzz target in engine/fuzz for SECONDS each (default 60), one after another,
# starting from the seed corpus committed in engine/fuzz/corpus/<target>/ (inputs the fuzzer
# finds go to a temporary folder, not into the repository). Prints, per target, the inputs run
# and the time taken; a crash stops with its input saved under engine/fuzz/artifacts/<target>/
# and exits 1.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (no TARGET: every target)
# Needs cargo-fuzz (installed here when missing). cargo-fuzz needs nightly flags: on a stable
# toolchain RUSTC_BOOTSTRAP=1 allows them.
set -euo pipefail
cd "$(dirname "$0")/../engine/fuzz"
secs="${1:-60}"
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# -detect_leaks=0: the targets that drive real pipelines keep the script runtime alive at exit,
# on purpose, as the engine's workers do (values a script left in cycles must never outlive it);
# LeakSanitizer would report that one runtime as a leak after an otherwise clean run, both while
# fuzzing (the libFuzzer flag) and at exit (ASAN_OPTIONS).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
targets=("$@")
((${#targets[@]})) || mapfile -t targets < <(cargo fuzz list)
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  echo "== $target: ${secs}s"
  start=$(date +%s)
  if cargo fuzz run "$target" "$work/$target" "corpus/$target" -- \
      -max_total_time="$secs" -print_final_stats=1 -detect_leaks=0 >"$work/$target.log" 2>&1; then
    result="no crash"
  else
    result="CRASH (see engine/fuzz/artifacts/$target/)"
    failed+=("$target")
    grep -E '^(==[0-9]+==|SUMMARY|thread .* panicked|Failing input|artifact_prefix)' "$work/$target.log" | head -20 || true
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -Eo '[0-9]+$' | tail -1 || true)
  echo "$target: ${runs:-?} inputs in $(($(date +%s) - start))s (build included), $result"
done
if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}"
  exit 1
fi
echo "fuzz: no crashes"
