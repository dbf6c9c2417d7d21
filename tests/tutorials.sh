#!/usr/bin/env bash
# Runs every tutorial test (tutorial/*/test.sh), one at a time, in name order.
# Usage: tests/tutorials.sh ENGINE_BINARY
# Each test prints one line per check, "ok   <name>" or "FAIL <name>: ...". This script repeats
# them under a header per tutorial, ends with the line "N passed, M failed", and exits non-zero
# if any check failed. A test that exits non-zero without a FAIL line counts as one failure.
set -u
engine=${1:?usage: tests/tutorials.sh ENGINE_BINARY}
[[ -x $engine ]] || { echo "not an executable: $engine"; echo "0 passed, 1 failed"; exit 1; }
engine=$(realpath "$engine")
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0

for test in "$root"/tutorial/*/test.sh; do
  name=$(basename "$(dirname "$test")")
  echo "== $name"
  out=$(timeout -k 10 120 bash "$test" "$engine" 2>&1)
  rc=$?
  [[ -n $out ]] && printf '%s\n' "$out"
  ok=$(grep -c '^ok   ' <<<"$out")
  bad=$(grep -c '^FAIL ' <<<"$out")
  if ((rc != 0 && bad == 0)); then
    echo "FAIL $name: test.sh exited with status $rc"
    bad=1
  fi
  passed=$((passed + ok)) failed=$((failed + bad))
done

echo "$passed passed, $failed failed"
((failed == 0))
