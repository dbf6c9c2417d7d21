#!/usr/bin/env bash
# The desktop app's test. Builds the app (release) and runs one session under Xvfb
# (session.sh): the window shows the IDE and its editor, the hello tutorial runs from inside
# the app and answers over HTTP on its port, the native menu and its Open folder dialog work,
# and closing the window stops the program, frees the port and ends the app. Screenshots and the app's log go to tests/desktop/artifacts/.
# Needs `scripts/setup.sh desktop` and the IDE build (`scripts/build-ui.sh`): scripts/test.sh
# runs both first.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p sluice-desktop
xvfb-run -a -s "-screen 0 1280x800x24" bash tests/desktop/session.sh target/release/sluice-desktop
