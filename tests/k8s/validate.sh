#!/usr/bin/env bash
# Validates every Kubernetes manifest under deploy/ against the Kubernetes schemas, strictly
# (an unknown field is an error), with kubernetes-validate (scripts/setup.sh k8s installs it).
# A resource whose kind has no schema (a misspelt kind or apiVersion) fails too: the tool only
# warns about those. First it checks that the validator does catch a broken manifest.
#   tests/k8s/validate.sh [VALIDATOR]
set -euo pipefail
cd "$(dirname "$0")/../.."

validator="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice/k8s-venv/bin/kubernetes-validate}"
# The oldest Kubernetes the manifests claim to support (deploy/README.md), and the newest the
# validator ships schemas for.
versions=(1.29.0 1.37.0)

if [ ! -x "$validator" ]; then
  echo "k8s: $validator not found: run scripts/setup.sh k8s" >&2
  exit 1
fi

# Validates files against one version; fails on errors and on resources without a schema.
validate() {
  local version=$1
  shift
  local out
  if ! out=$("$validator" --strict --kubernetes-version "$version" --quiet "$@" 2>&1); then
    printf '%s\n' "$out"
    return 1
  fi
  if grep -q . <<<"$out"; then
    # With --quiet it prints warnings and failures only: a warning is a resource it could not
    # check.
    printf '%s\n' "$out"
    return 1
  fi
}

mapfile -t manifests < <(find deploy -name '*.yaml' -o -name '*.yml' | grep -v '/kustomization\.ya\?ml$' | sort)
if ((${#manifests[@]} == 0)); then
  echo "k8s: no manifests found under deploy/" >&2
  exit 1
fi

passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}

# The validator must reject an unknown field, a wrong type and an unknown kind.
broken=$(mktemp -d)
trap 'rm -rf "$broken"' EXIT
cat >"$broken/field.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: { name: broken }
spec: { ports: [{ port: 80 }], selectr: { app: x } }
YAML
cat >"$broken/type.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken }
spec:
  replicas: three
  selector: { matchLabels: { app: x } }
  template:
    metadata: { labels: { app: x } }
    spec: { containers: [{ name: x, image: x }] }
YAML
cat >"$broken/kind.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deploymnet
metadata: { name: broken }
YAML
for f in "$broken"/*.yaml; do
  check "the validator rejects a broken manifest ($(basename "$f" .yaml))" \
    eval '! validate "${versions[-1]}" "$f" >/dev/null'
done

for version in "${versions[@]}"; do
  for m in "${manifests[@]}"; do
    check "$m is valid for Kubernetes $version" validate "$version" "$m"
  done
done

# Every file a kustomization lists exists beside it.
while IFS= read -r k; do
  dir=$(dirname "$k")
  listed=$(sed -n '/^resources:/,/^[^ -]/p' "$k" | sed -n 's/^ *- *\([^ #]*\).*/\1/p')
  for r in $listed; do
    check "$k lists $r, which exists" test -e "$dir/$r"
  done
done < <(find deploy -name kustomization.yaml | sort)

echo "$passed passed, $failed failed"
((failed == 0))
