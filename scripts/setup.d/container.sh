#!/usr/bin/env bash
# Podman from Debian, to build the container image of the Dockerfile at the repo root
# (`podman build -t sluice .`). Not part of the test suite: the build needs its base images
# (node, rust, debian) from a container registry. Installs only what is missing.
#
# On a machine that is itself a container (cgroup v1 or hybrid, limits it may not raise),
# Podman's default runtime (crun) cannot start containers: "cgroups in hybrid mode not
# supported", "setrlimit RLIMIT_NOFILE: Operation not permitted". So this also installs runc
# and, unless there is one already, a drop-in that picks it and keeps the caller's limits.
set -euo pipefail
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || need+=(runc)
command -v fuse-overlayfs >/dev/null 2>&1 || need+=(fuse-overlayfs)
command -v slirp4netns >/dev/null 2>&1 || need+=(slirp4netns)
command -v newuidmap >/dev/null 2>&1 || need+=(uidmap)
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
if ((${#need[@]})); then
  echo "setup container: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
dropin=/etc/containers/containers.conf.d/50-sluice-nested.conf
if [ ! -f "$dropin" ] && [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
  echo "setup container: cgroup v1 or hybrid here: Podman runs containers with runc ($dropin)"
  $sudo mkdir -p "$(dirname "$dropin")"
  printf '%s\n' \
    '# Written by scripts/setup.d/container.sh: Podman on a machine that is itself a container.' \
    '[containers]' 'default_ulimits = []' '' '[engine]' 'runtime = "runc"' |
    $sudo tee "$dropin" >/dev/null
fi
