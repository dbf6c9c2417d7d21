# The Sluice engine as a container image: the headless `engine` binary (the web IDE is embedded
# in it) on a slim Debian, run as a non-root user.
#
#   docker build -t sluice .            (or: podman build -t sluice .)
#   docker run --rm -p 6060:6060 -e SLUICE_ADMIN_TOKEN=secret sluice
#       the admin console, IDE and codebase repo on port 6060 (a non-loopback address needs
#       a token)
#   docker run --rm -p 8080:8080 -v "$PWD/main.js:/etc/sluice/main.js:ro" sluice /etc/sluice/main.js
#       one program
#
# See deploy/README.md for Kubernetes. Three stages: the IDE (Node), the engine (Rust), and the
# runtime image, which has only the binary, CA certificates (for TLS upstreams and https repos)
# and an unprivileged user.

ARG DEBIAN_RELEASE=bookworm
ARG NODE_VERSION=20
ARG RUST_VERSION=1.95

# 1. The web IDE: ui/dist, which the engine embeds at compile time (engine/build.rs).
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS ui
WORKDIR /src
COPY package.json package-lock.json ./
COPY ui/package.json ui/
# Only the IDE's workspace: the root's dev tools (Tauri's CLI, Playwright) are not needed here.
RUN npm ci -w ui --no-audit --no-fund --loglevel=error
COPY ui/ ui/
RUN npm run build -w ui

# 2. The engine, in the `dist` profile (fat LTO, one codegen unit: the build to ship).
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS engine
WORKDIR /src
# The workspace's manifests first (the desktop app is a member, but it is not built here).
COPY Cargo.toml Cargo.lock ./
COPY src-tauri/ src-tauri/
COPY engine/ engine/
COPY tutorial/ tutorial/
COPY --from=ui /src/ui/dist ui/dist
RUN cargo build --locked --profile dist -p engine \
 && install -D -m 0755 target/dist/engine /out/engine

# 3. The runtime.
FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /var/lib/sluice --shell /usr/sbin/nologin sluice \
 && install -d -o sluice -g sluice -m 0750 \
      /var/lib/sluice /var/lib/sluice/codebases /var/cache/sluice /etc/sluice
COPY --from=engine /out/engine /usr/local/bin/engine
# Codebases of the admin console default to $XDG_DATA_HOME/sluice/codebases, so under
# /var/lib/sluice (mount a volume there to keep them); caches go under /var/cache/sluice. The
# folders exist in the image, so that an engine on a read-only root filesystem finds them.
ENV HOME=/var/lib/sluice \
    XDG_DATA_HOME=/var/lib \
    XDG_CACHE_HOME=/var/cache
USER 10001:10001
WORKDIR /var/lib/sluice
# The admin port (API, IDE, repo, /healthz and /readyz). A program's own ports are its own.
EXPOSE 6060
# SIGTERM drains open connections for up to --drain-timeout seconds (10 by default).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/engine"]
# With no program, the admin console on every address; give SLUICE_ADMIN_TOKEN (required).
CMD ["--admin-port=0.0.0.0:6060"]
