#!/usr/bin/env bash
# One session with the desktop app, inside an X display (run.sh starts it under xvfb-run).
# The app runs with the test hook on (SLUICE_DESKTOP_TEST=1): it prints `sluice-desktop: EVENT
# DETAIL` lines on standard output, and takes `menu ID` / `call HOOK [ARGS]` lines on standard
# input, the way the native menu drives the IDE.
# Usage: session.sh APP_BINARY
set -euo pipefail
app=${1:?usage: session.sh APP_BINARY}
here=tests/desktop
artifacts=$here/artifacts
port=8080
expected=$'Hi, there!\n'   # tutorial/01-hello/main.js
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/app.log
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  sleep 0.2 # WebKit's helper processes end with the app; let them go before removing their cache
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "-- app output:" >&2; cat "$work/out" >&2 2>/dev/null || true
  echo "-- app log (tail):" >&2; tail -n 40 "$artifacts/app.log" >&2 2>/dev/null || true
  import -window root "$artifacts/failure.png" 2>/dev/null || true
  exit 1
}
ok() { echo "ok: $*"; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
# Waits up to $2 seconds for an output line matching the regex $1; prints it.
# accept_stop HOLDER: starting a codebase whose port another running codebase holds makes the
# IDE ask before stopping that one (nothing is stopped silently); its confirm button has the
# focus, so Enter accepts it.
accept_stop() {
  sleep 1.5
  import -window root "$artifacts/ask-stop-$1.png"
  xdotool windowfocus --sync "$window"
  xdotool key Return
}

wait_line() {
  local deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if grep -E -m1 "$1" "$work/out" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then fail "the app exited while waiting for /$1/"; fi
    sleep 0.2
  done
  fail "no /$1/ from the app within $2 s"
}

cc -O -o "$work/xclose" "$here/xclose.c" -lX11

# Other tests use the tutorial's port too (never at the same time in scripts/test.sh); wait for
# it to be free.
for _ in $(seq 120); do port_free && break; sleep 0.5; done
port_free || fail "port $port is in use by something else"

# A fresh home, codebase folder and WebKit profile.
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
mkdir -p "$HOME"
export SLUICE_DESKTOP_TEST=1
printf '#!/bin/sh\necho "$1" >>%q\n' "$work/browsed" >"$work/browser"
chmod +x "$work/browser"
export SLUICE_BROWSER="$work/browser"
mkfifo "$work/in"
"$app" <"$work/in" >"$work/out" 2>"$artifacts/app.log" &
pid=$!
exec 3>"$work/in"

# 1. The window opens the IDE: the editor is in the page and its JavaScript worker answers.
admin=$(wait_line '^sluice-desktop: admin http://127\.0\.0\.1:[0-9]+$' 30 | sed 's/^sluice-desktop: admin //')
token=$(wait_line '^sluice-desktop: token ' 10 | sed 's/^sluice-desktop: token //')
ok "the engine's admin API is up in the app"
wait_line '^sluice-desktop: ready editor=monaco worker=ok' 120 >/dev/null
ok "the window shows the IDE, with the editor and its worker"
window=$(xdotool search --sync --onlyvisible --name 'Sluice$' | head -n1)
[ -n "$window" ] || fail "no window named Sluice"
sleep 1
import -window root "$artifacts/ide.png"
ok "screenshot $artifacts/ide.png"
grep -q 'page-error' "$work/out" && fail "the page reported errors"

# 2. The hello tutorial, copied and run from inside the app; its answer over HTTP.
echo 'menu tutorials' >&3
echo 'call runTutorial ["01-hello"]' >&3
wait_line '^sluice-desktop: (running|error) ' 60 | grep -q '^sluice-desktop: running 01-hello$' ||
  fail "the tutorial did not run"
ok "the app runs tutorial 01-hello"
body=$(curl -sS -m 5 "http://127.0.0.1:$port/" && echo x) || fail "no answer on port $port"
[ "${body%x}" = "$expected" ] || fail "port $port answered $(printf %q "${body%x}")"
ok "GET http://127.0.0.1:$port/ answers $(printf %q "$expected")"
echo 'menu stop' >&3
for _ in $(seq 50); do port_free && break; sleep 0.2; done
port_free || fail "the menu's Stop left port $port open"
echo 'menu run' >&3
for _ in $(seq 50); do port_free || break; sleep 0.2; done
body=$(curl -sS -m 5 "http://127.0.0.1:$port/" && echo x) || fail "no answer on port $port after the menu's Run"
[ "${body%x}" = "$expected" ] || fail "port $port answered $(printf %q "${body%x}") after the menu's Run"
ok "the menu's Stop and Run stop and start the program"

# 3. The window title names the codebase; the log panel shows the engine's log.
for _ in $(seq 20); do
  title=$(xdotool getwindowname "$window")
  [ "$title" = "01-hello (running) — Sluice" ] && break
  sleep 0.25
done
[ "$title" = "01-hello (running) — Sluice" ] || fail "window title is '$title'"
ok "window title: $title"
for _ in $(seq 20); do
  : >"$work/page"
  echo 'call describe' >&3
  sleep 0.5
  grep '^sluice-desktop: page ' "$work/out" | tail -n1 >"$work/page"
  grep -q "Listening on TCP port $port" "$work/page" && break
done
grep -q "Listening on TCP port $port" "$work/page" || fail "the log panel does not show the listener: $(cat "$work/page")"
grep -q '"editor":true' "$work/page" || fail "no editor in the page: $(cat "$work/page")"
ok "the log panel shows the engine's log"
import -window root "$artifacts/hello-running.png"
ok "screenshot $artifacts/hello-running.png"
# The window never leaves the IDE's pages (they alone see the admin token): another site goes
# to the desktop's browser (here SLUICE_BROWSER, which notes the URL).
echo "eval location.assign('http://127.0.0.1:$port/elsewhere')" >&3
for _ in $(seq 25); do [ -s "$work/browsed" ] && break; sleep 0.2; done
grep -qx "http://127.0.0.1:$port/elsewhere" "$work/browsed" 2>/dev/null ||
  fail "the link did not go to the browser"
n=$(grep -c '^sluice-desktop: page ' "$work/out")
echo 'call describe' >&3
for _ in $(seq 25); do (($(grep -c '^sluice-desktop: page ' "$work/out") > n)) && break; sleep 0.2; done
(($(grep -c '^sluice-desktop: page ' "$work/out") > n)) || fail "the IDE left the window"
ok "another site opens in the browser, not in the window"

# 4. File > Open folder (Ctrl+O): the native dialog opens in the home folder; pick my-proxy
#    there (type its name, Enter goes into it, an empty location accepts it), and it becomes
#    a codebase. Then the menu's Run: the folder's own program answers.
mkdir -p "$HOME/my-proxy"
cat >"$HOME/my-proxy/main.js" <<JS
pipy().listen($port).serveHTTP(new Message('From a folder\\n'))
JS
xdotool windowfocus --sync "$window"
xdotool key ctrl+o
dialog=$(timeout 10 xdotool search --sync --onlyvisible --name '^Open a folder as a codebase$' | head -n1) ||
  fail "no Open folder dialog"
[ -n "$dialog" ] || fail "no Open folder dialog"
xdotool windowfocus --sync "$dialog"
sleep 0.5
xdotool type --delay 50 my-proxy
sleep 0.5
import -window root "$artifacts/open-folder.png"
xdotool key Return
sleep 1
xdotool key ctrl+l
sleep 0.3
xdotool key Return
wait_line '^sluice-desktop: (opened|error) ' 30 | grep -q '^sluice-desktop: opened my-proxy$' ||
  fail "the folder did not open as a codebase"
ok "the Open folder dialog made $HOME/my-proxy a codebase (screenshot $artifacts/open-folder.png)"
echo 'menu run' >&3
accept_stop 01-hello
for _ in $(seq 50); do
  body=$(curl -sS -m 5 "http://127.0.0.1:$port/" 2>/dev/null && echo x) || body=
  [ "${body%x}" = $'From a folder\n' ] && break
  sleep 0.2
done
[ "${body%x}" = $'From a folder\n' ] || fail "the folder's program does not answer on port $port"
for _ in $(seq 20); do
  title=$(xdotool getwindowname "$window")
  [ "$title" = "my-proxy (running) — Sluice" ] && break
  sleep 0.25
done
[ "$title" = "my-proxy (running) — Sluice" ] || fail "window title is '$title'"
ok "a local folder opens as a codebase and runs from the menu, after the IDE asked to stop 01-hello on its port (title: $title; screenshot $artifacts/ask-stop-01-hello.png)"

# The repo view: the app serves a local repo; a codebase published there is listed.
curl -fsS -m 5 -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{}' \
  "$admin/api/v1/repo/desktop-demo" >/dev/null || fail "cannot create a codebase in the app's repo"
echo "eval document.querySelector('[data-testid=repo-open]').click()" >&3
for _ in $(seq 20); do
  : >"$work/page"
  echo 'call describe' >&3
  sleep 0.5
  grep '^sluice-desktop: page ' "$work/out" | tail -n1 >"$work/page"
  grep -q '"repoOpen":true' "$work/page" && grep -q 'desktop-demo' "$work/page" && break
done
grep -q '"repoOpen":true' "$work/page" || fail "the Repo view did not open: $(cat "$work/page")"
grep -q 'desktop-demo' "$work/page" || fail "the Repo view does not list desktop-demo: $(cat "$work/page")"
import -window root "$artifacts/repo-view.png"
echo "eval document.querySelector('[data-testid=repo-close]').click()" >&3
ok "the Repo view lists the app's local repo (screenshot $artifacts/repo-view.png)"

# 5. The native menu from the keyboard (real key presses through GTK's accelerators): Ctrl+N
#    (New codebase, then its name typed into the IDE's dialog), F5 (Run), Shift+F5 (Stop).
xdotool windowfocus --sync "$window"
xdotool key ctrl+n
sleep 1
xdotool type --delay 30 fresh
xdotool key Return
for _ in $(seq 20); do
  title=$(xdotool getwindowname "$window")
  [ "$title" = "fresh — running my-proxy — Sluice" ] && break
  sleep 0.25
done
[ "$title" = "fresh — running my-proxy — Sluice" ] || fail "after Ctrl+N, the window title is '$title'"
xdotool key F5
accept_stop my-proxy
for _ in $(seq 40); do
  title=$(xdotool getwindowname "$window")
  [ "$title" = "fresh (running) — Sluice" ] && break
  sleep 0.25
done
[ "$title" = "fresh (running) — Sluice" ] || fail "after F5, the window title is '$title'"
port_free && fail "after F5, nothing listens on port $port"
xdotool key shift+F5
for _ in $(seq 50); do port_free && break; sleep 0.2; done
port_free || fail "after Shift+F5, port $port is still open"
ok "the menu's shortcuts: Ctrl+N made codebase fresh, F5 ran it, Shift+F5 stopped it"
echo 'menu run' >&3
for _ in $(seq 50); do port_free || break; sleep 0.2; done
port_free && fail "the menu's Run did not start fresh again"

# 6. Closing the window (as a window manager's close button does) stops the program and the app.
"$work/xclose" "$window" || fail "cannot send the close request"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the app still runs 10 s after its window was closed"
status=0
wait "$pid" || status=$?
pid=
((status == 0)) || fail "the app exited with status $status"
grep -q '^sluice-desktop: exit' "$work/out" || fail "the app did not say it stopped"
port_free || fail "port $port is still open after the window closed"
ok "closing the window stopped the program (port $port is free) and the app (status 0)"
