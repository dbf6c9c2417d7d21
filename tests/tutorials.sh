#!/usr/bin/env bash
# Tests every tutorial, one at a time, in name order: its README has the sections a step needs
# (Goal, New concepts, The code, step by step, In the IDE, From a terminal, Exercise) and it has a
# check.json; then
#   1. its own test (tutorial/NN-name/test.sh), which starts engines and checks them with curl;
#   2. its check.json, the way the IDE's Open → Run → Check does it: one engine with an admin
#      port copies the tutorial into a codebase, runs it (main.js and the services check.json
#      names), and POST /api/v1/check {"tutorial": name} sends the requests and compares;
#   2b. its check.json and tests/*.json again, headless: `engine test tutorial/NN-name`;
#   3. its README, followed from a terminal (tests/tutorial-readmes.mjs): every `$ command`
#      shown must print what the README says it prints.
# Usage: tests/tutorials.sh ENGINE_BINARY [NN-name ...]   (no names: every tutorial)
# Each check prints one line, "ok   <name>" or "FAIL <name>: ...", under a header per tutorial;
# the script ends with the line "N passed, M failed" and exits non-zero if any check failed. A
# test that exits non-zero without a FAIL line counts as one failure.
# The tutorials listen on 8000, 8001, 8080-8082, 8443 and 6060 of 127.0.0.1; nothing else may.
set -u
engine=${1:?usage: tests/tutorials.sh ENGINE_BINARY [NN-name ...]}
shift
[[ -x $engine ]] || { echo "not an executable: $engine"; echo "0 passed, 1 failed"; exit 1; }
engine=$(realpath "$engine")
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0

names=("$@")
if ((${#names[@]} == 0)); then
  for dir in "$root"/tutorial/*/; do [[ -f $dir/test.sh ]] && names+=("$(basename "$dir")"); done
fi

# count OUTPUT RC NAME: adds the ok and FAIL lines of OUTPUT to the totals (and one failure if
# RC is non-zero with no FAIL line).
count() {
  local ok bad
  ok=$(grep -c '^ok   ' <<<"$1")
  bad=$(grep -c '^FAIL ' <<<"$1")
  if (($2 != 0 && bad == 0)); then
    echo "FAIL $3: exited with status $2"
    bad=1
  fi
  passed=$((passed + ok)) failed=$((failed + bad))
}

# -- 0. every step has its parts: the README's sections, a check.json with steps

echo "== parts"
for name in "${names[@]}"; do
  dir=$root/tutorial/$name
  missing=()
  for section in 'Goal' 'New concepts' 'The code, step by step' 'In the IDE' 'From a terminal' 'Exercise'; do
    grep -qx "## $section" "$dir/README.md" 2>/dev/null || missing+=("## $section")
  done
  if ((${#missing[@]} == 0)); then
    echo "ok   $name: README.md has every section"; passed=$((passed + 1))
  else
    echo "FAIL $name: README.md lacks ${missing[*]}"; failed=$((failed + 1))
  fi
  if node -e 'const c = require(process.argv[1]); if (!(c.steps?.length > 0)) process.exit(1)' "$dir/check.json" 2>/dev/null; then
    echo "ok   $name: check.json has steps"; passed=$((passed + 1))
  else
    echo "FAIL $name: check.json is missing, not JSON, or has no steps"; failed=$((failed + 1))
  fi
done

# -- 1. test.sh

for name in "${names[@]}"; do
  echo "== $name"
  out=$(timeout -k 10 120 bash "$root/tutorial/$name/test.sh" "$engine" 2>&1)
  rc=$?
  [[ -n $out ]] && printf '%s\n' "$out"
  count "$out" "$rc" "$name"
done

# -- 2. check.json through the admin API

all_names=("${names[@]}")

tmp=$(mktemp -d)
admin_pid=
cleanup() {
  if [[ -n $admin_pid ]]; then
    kill "$admin_pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$admin_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$admin_pid" 2>/dev/null
    wait "$admin_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# port_busy PORT: something listens on PORT, on any address (see tutorial/lib.sh).
port_busy() {
  if command -v ss >/dev/null; then ss -Hltn "sport = :$1" | grep -q .; else port_open "$1"; fi
}
# wait_ports free|open SECONDS PORT...: waits until nothing listens on any PORT (free), or every
# PORT accepts connections on 127.0.0.1 (open); 1 if that does not happen in time.
wait_ports() {
  local want=$1 i p busy; shift
  for ((i = 0; i < $1 * 10; i++)); do
    busy=0
    for p in "${@:2}"; do
      if [[ $want == free ]]; then port_busy "$p" && busy=1; else port_open "$p" || busy=1; fi
    done
    ((busy == 0)) && return 0
    sleep 0.1
  done
  return 1
}

# A free port for the admin API, chosen by the system (never one of the tutorials' ports).
admin_port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
api=http://127.0.0.1:$admin_port/api/v1
mkdir "$tmp/codebases" "$tmp/cwd"
# The working directory is a scratch one: tutorial 10 writes requests.log there.
(cd "$tmp/cwd" && exec "$engine" --admin-port "127.0.0.1:$admin_port" --codebases "$tmp/codebases") \
  >"$tmp/engine.log" 2>&1 &
admin_pid=$!

# call METHOD PATH [JSON]: one admin API call; the body goes to $tmp/answer, and the status is
# printed (000 if nothing answered).
call() {
  local body=()
  (($# > 2)) && body=(-H 'content-type: application/json' --data-binary "$3")
  curl -s -m 60 -o "$tmp/answer" -w '%{http_code}' -X "$1" "${body[@]}" "$api$2"
}

# report NAME: turns the answer of POST /api/v1/check into one line per step.
report() {
  node - "$1" "$tmp/answer" <<'JS'
const [name, file] = process.argv.slice(2);
const show = (v) => JSON.stringify(v);
let answer;
try {
  answer = JSON.parse(require('fs').readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`FAIL check ${name}: the answer of /api/v1/check is not JSON (${e.message})`);
  process.exit(0);
}
if (!Array.isArray(answer.results) || answer.results.length === 0) {
  console.log(`FAIL check ${name}: no results in ${show(answer).slice(0, 300)}`);
  process.exit(0);
}
for (const r of answer.results) {
  if (r.pass) {
    console.log(`ok   check ${name}: ${r.name}`);
    continue;
  }
  console.log(`FAIL check ${name}: ${r.name}: ${(r.problems ?? []).join('; ') || r.error || 'failed'}`);
  console.log(`       request  ${show(r.request)}`);
  console.log(`       expected ${show(r.expected)}`);
  console.log(`       actual   ${r.actual ? show(r.actual) : `(none: ${r.error})`}`);
}
JS
}

if ! wait_ports open 10 "$admin_port" || [[ $(call GET /codebases) != 200 ]]; then
  echo "FAIL check: the admin API did not come up on port $admin_port; engine log:"
  tail -n 30 "$tmp/engine.log" | sed 's/^/  | /'
  failed=$((failed + 1))
  names=()
fi

for name in "${names[@]}"; do
  spec=$root/tutorial/$name/check.json
  [[ -f $spec ]] || continue
  echo "== check $name"
  # The ports the check sends requests to (besides the admin port) must be free first.
  mapfile -t ports < <(node -e 'const c = require(process.argv[1]);
    console.log([...new Set(c.steps.map((s) => s.request.port).filter((p) => typeof p === "number"))].join("\n"))' "$spec")
  if ! wait_ports free 30 "${ports[@]}"; then
    echo "FAIL check $name: one of the ports ${ports[*]} is still in use by another program"
    failed=$((failed + 1))
    continue
  fi
  out=$(
    status=$(call POST "/tutorials/$name/copy" "{\"codebase\": \"$name\"}")
    if [[ $status != 201 ]]; then echo "FAIL check $name: copy answered $status: $(cat "$tmp/answer")"; exit; fi
    status=$(call POST /program "{\"codebase\": \"$name\"}")
    if [[ $status != 201 ]]; then echo "FAIL check $name: run answered $status: $(cat "$tmp/answer")"; exit; fi
    if ! wait_ports open 10 "${ports[@]}"; then
      echo "FAIL check $name: the program does not listen on all of ${ports[*]}; engine log:"
      tail -n 20 "$tmp/engine.log" | sed 's/^/  | /'
      exit
    fi
    status=$(call POST /check "{\"tutorial\": \"$name\"}")
    if [[ $status != 200 ]]; then echo "FAIL check $name: /api/v1/check answered $status: $(cat "$tmp/answer")"; exit; fi
    report "$name"
  )
  printf '%s\n' "$out"
  count "$out" 0 "check $name"
  call DELETE /program >/dev/null
  if ! wait_ports free 20 "${ports[@]}"; then
    echo "FAIL check $name: the program still listens after it was stopped"
    failed=$((failed + 1))
  fi
done

# -- 2b. check.json and tests/*.json through `engine test`, headless: the program runs inside the
# command, on the tutorial's own ports, from a scratch working directory (tutorial 10 writes
# requests.log there). Its "ok"/"FAIL" lines count like the others.

for name in "${all_names[@]}"; do
  dir=$root/tutorial/$name
  [[ -f $dir/check.json ]] || continue
  echo "== engine test $name"
  mapfile -t ports < <(node -e 'const c = require(process.argv[1]);
    console.log([...new Set(c.steps.map((s) => s.request.port).filter((p) => typeof p === "number"))].join("\n"))' "$dir/check.json")
  if ! wait_ports free 30 "${ports[@]}"; then
    echo "FAIL engine test $name: one of the ports ${ports[*]} is still in use by another program"
    failed=$((failed + 1))
    continue
  fi
  out=$(cd "$tmp/cwd" && timeout -k 10 120 "$engine" test "$dir" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  count "$out" "$rc" "engine test $name"
done

# -- 3. the READMEs, followed from a terminal: every `$ command` prints what the README says

cleanup
admin_pid=
out=$(timeout -k 10 600 node "$root/tests/tutorial-readmes.mjs" "$engine" "${all_names[@]}" 2>&1)
rc=$?
[[ -n $out ]] && printf '%s\n' "$out"
count "$out" "$rc" "tutorial-readmes.mjs"

echo "$passed passed, $failed failed"
((failed == 0))
