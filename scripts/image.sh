#!/usr/bin/env bash
# Builds the container image of the Dockerfile (`sluice:dev`) with Podman on a machine that
# reaches package registries but no container registry. The Dockerfile's three base images
# are made here instead of pulled, under the names it asks for:
#   debian:bookworm-slim     a Debian 12 root filesystem from debootstrap (minbase)
#   node:20-bookworm-slim    that, with this machine's Node.js and npm
#   rust:1.95-slim-bookworm  that, with gcc and this machine's Rust toolchain (`rustc --print
#                            sysroot`)
# The Node and Rust stand-ins trust this machine's CA bundle, so that npm and cargo reach
# their registries through the same proxies as the machine does. Base images that exist are
# kept (`podman rmi` them to make them again). Where the bases can be pulled, plain
# `podman build -t sluice .` is all it takes. Needs root; run `scripts/setup.sh container` first.
#   scripts/image.sh [TAG]
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-localhost/sluice:dev}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

has() { podman image exists "$1"; }
ca=/etc/ssl/certs/ca-certificates.crt

if ! has localhost/debian-bootstrap:bookworm; then
  command -v debootstrap >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  echo "image: making a Debian 12 root filesystem (debootstrap)"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/rootfs" -c . | podman import - localhost/debian-bootstrap:bookworm
fi

if ! has docker.io/library/debian:bookworm-slim; then
  printf '%s\n' 'FROM localhost/debian-bootstrap:bookworm' \
    'RUN apt-get clean && rm -rf /var/lib/apt/lists/*' >"$work/debian"
  podman build -q -f "$work/debian" -t docker.io/library/debian:bookworm-slim "$work"
fi

if ! has docker.io/library/node:20-bookworm-slim; then
  node=$(readlink -f "$(command -v node)")
  npm=$(dirname "$(readlink -f "$(command -v npm)")")/..
  cat >"$work/node" <<'EOF2'
FROM localhost/debian-bootstrap:bookworm
RUN cp /mnt/node /usr/local/bin/node && mkdir -p /usr/local/lib/node_modules /etc/ssl/certs \
 && cp -a /mnt/npm /usr/local/lib/node_modules/npm \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && cp /mnt/ca.crt /etc/ssl/certs/ca-certificates.crt && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
EOF2
  podman build -q -f "$work/node" -v "$node:/mnt/node:ro" -v "$(readlink -f "$npm"):/mnt/npm:ro" \
    -v "$ca:/mnt/ca.crt:ro" -t docker.io/library/node:20-bookworm-slim "$work"
fi

if ! has docker.io/library/rust:1.95-slim-bookworm; then
  cat >"$work/rust" <<'EOF2'
FROM localhost/debian-bootstrap:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/* && cp /mnt/ca.crt /etc/ssl/certs/ca-certificates.crt
RUN cp -a /mnt/rust /usr/local/rust && rm -rf /usr/local/rust/share/doc
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/rust/bin:/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN cargo --version && rustc --version
EOF2
  podman build -q -f "$work/rust" -v "$(rustc --print sysroot):/mnt/rust:ro" -v "$ca:/mnt/ca.crt:ro" \
    -t docker.io/library/rust:1.95-slim-bookworm "$work"
fi

echo "image: building $tag"
nice podman build --pull=never -t "$tag" .
podman image ls "$tag"
