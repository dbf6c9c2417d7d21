#!/usr/bin/env bash
# kubernetes-validate from PyPI, for tests/k8s/validate.sh: it checks the manifests of
# deploy/kubernetes/ against the Kubernetes schemas, which the package bundles (so it runs
# offline once installed). It goes into its own virtual environment under the cache folder,
# ${XDG_CACHE_HOME:-~/.cache}/sluice/k8s-venv, with the version pinned. Installs only what is
# missing.
set -euo pipefail

version=1.37.0
venv="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/k8s-venv"

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "setup k8s: installing python3-venv"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv
fi
if [ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null)" != "$version" ]; then
  echo "setup k8s: installing kubernetes-validate $version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "kubernetes-validate==$version"
fi
