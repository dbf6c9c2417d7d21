#!/usr/bin/env bash
# A long fuzzing campaign counted in CPU time, not wall time: runs each cargo-fuzz target of
# engine/fuzz until its fuzzer process has used CPU_SECONDS of CPU (default 3600, one CPU-hour),
# at the lowest scheduling priority, so it only takes the CPU that builds and tests leave idle.
#   scripts/fuzz-campaign.sh [CPU_SECONDS] [TARGET...]      (no TARGET: every target)
# The corpus each target grows is kept between runs in $FUZZ_CAMPAIGN_DIR/<target>/corpus
# (default target/fuzz-campaign, outside git), seeded from engine/fuzz/corpus/<target>/; a target
# that already reached the budget in an earlier run is skipped, so an interrupted campaign
# resumes where it stopped. CPU time and executions are counted across interruptions (in
# <target>/cpu_seconds and <target>/executions), so a campaign cut short (a machine that stops the
# session's processes) continues the same budget next time instead of starting it again.
# One line per finished target goes to $FUZZ_CAMPAIGN_DIR/results.tsv:
#   date  target  cpu_seconds  wall_seconds  executions  corpus_files  result  commits
# where commits names the trees the target's fuzzer was built from (`git describe --dirty`; more
# than one, comma-separated, when its budget was spread over runs at different commits), so an
# hour can be told apart from one spent on code that has changed since.
# A crash stops that target with its input under $FUZZ_CAMPAIGN_DIR/<target>/ and the campaign
# goes on to the next target; the script exits 1 at the end if any target crashed.
# Run two campaigns with disjoint target lists to use both cores of a 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
budget="${1:-3600}"
shift || true
dir="${FUZZ_CAMPAIGN_DIR:-$root/target/fuzz-campaign}"
mkdir -p "$dir"
results="$dir/results.tsv"
touch "$results"
cd "$root/engine/fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
targets=("$@")
((${#targets[@]})) || mapfile -t targets < <(cargo fuzz list)
# Started in a session of its own (setsid), the whole campaign's autogroup goes lowest too.
if [[ $(ps -o sid= -p $$ | tr -d ' ') == "$$" ]]; then
  echo 19 >/proc/$$/autogroup 2>/dev/null || true
fi
# Builds every target (the sanitizer build the fuzzers need), also at the lowest priority.
nice -n 19 cargo fuzz build >/dev/null
bin_dir="$(pwd)/target/x86_64-unknown-linux-gnu/release"
commit=$(git -C "$root" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
ticks=$(getconf CLK_TCK)
failed=()
for target in "${targets[@]}"; do
  if awk -F'\t' -v t="$target" -v b="$budget" '$2 == t && $3 >= b && $7 == "no crash" {f=1} END {exit !f}' "$results"; then
    echo "== $target: already fuzzed for ${budget} CPU seconds (see $results)"
    continue
  fi
  work="$dir/$target"
  mkdir -p "$work/corpus"
  prior_cpu=$(cat "$work/cpu_seconds" 2>/dev/null || echo 0)
  prior_runs=$(cat "$work/executions" 2>/dev/null || echo 0)
  prior_wall=$(cat "$work/wall_seconds" 2>/dev/null || echo 0)
  echo "== $target: until ${budget} CPU seconds (${prior_cpu} done in earlier runs)"
  grep -qxF "$commit" "$work/commits" 2>/dev/null || echo "$commit" >>"$work/commits"
  start=$(date +%s)
  log="$work/fuzz.log"
  # The executions counted by an earlier, interrupted run (its log is about to be replaced).
  if [[ -f $log ]]; then
    last=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    prior_runs=$((prior_runs + ${last:-0}))
    echo "$prior_runs" >"$work/executions"
  fi
  # Its own session, so that it has its own scheduler autogroup: with autogroups on (most
  # desktop and server kernels), `nice` only ranks processes within one group, and a fuzzer in
  # the caller's group would still take half the CPUs from a build in another. The group's own
  # nice value is what ranks it against the rest of the machine.
  setsid nice -n 19 "$bin_dir/$target" "$work/corpus" "corpus/$target" -artifact_prefix="$work/" \
    -print_final_stats=1 -detect_leaks=0 >"$log" 2>&1 &
  pid=$!
  sleep 0.5 # (setsid has run by then)
  echo 19 >"/proc/$pid/autogroup" 2>/dev/null || true
  cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    if stat=$(cat "/proc/$pid/stat" 2>/dev/null); then
      # Fields after the command name: utime and stime are the 12th and 13th.
      read -r -a f <<<"${stat##*) }"
      cpu=$((prior_cpu + (f[11] + f[12]) / ticks))
      echo "$cpu" >"$work/cpu_seconds"
      echo "$((prior_wall + $(date +%s) - start))" >"$work/wall_seconds"
      ((cpu < budget)) || kill -INT "$pid" 2>/dev/null || true
    fi
  done
  code=0
  wait "$pid" || code=$?
  # libFuzzer exits 72 when interrupted (our budget reached); 0 when it ends on its own.
  if ((code == 0 || code == 72)); then
    result="no crash"
  else
    result="CRASH exit $code"
    failed+=("$target")
    grep -E '^(==[0-9]+==|SUMMARY|thread .* panicked|Test unit written)' "$log" | head -20 || true
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  runs=$((prior_runs + ${runs:-0}))
  rm -f "$log.counted"
  mv "$log" "$log.counted"
  files=$(find "$work/corpus" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$cpu" \
    "$((prior_wall + $(date +%s) - start))" "$runs" "$files" "$result" "$(paste -sd, "$work/commits")" | tee -a "$results"
done
if ((${#failed[@]})); then
  echo "fuzz campaign: crashes in ${failed[*]}"
  exit 1
fi
echo "fuzz campaign: no crashes"
