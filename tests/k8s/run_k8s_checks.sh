#!/usr/bin/env bash
# The offline deployment checks (no cluster, no Docker engine):
#   1. the checkers themselves: every fixture in testdata/*/good passes, every one in testdata/*/bad fails with
#      exactly the rule its "# expect-rule:" line names;
#   2. docker/Dockerfile: the build stage runs the install script the README's commands call, no entrypoint goes
#      through /bin/sh -c, no runtime stage ships redis-tools;
#   3. every overlay under k8s/overlays renders with `kubectl kustomize` and passes check_manifests.mjs.
#
#   tests/k8s/run_k8s_checks.sh <repo>
#
# Exit 0 when everything passes, 1 on any failure, 77 (the test's SKIP_RETURN_CODE) when kubectl or Node.js is
# missing, except under CI=true, where a missing tool fails the run instead of skipping it.
set -uo pipefail

repo="${1:?usage: run_k8s_checks.sh <repo>}"
repo="$(cd "$repo" && pwd)"
here="$repo/tests/k8s"

# Every overlay deploys the gateway and each service of services/registry.tsv, so a service added there fails this
# check until its manifests exist.
services=(gateway)
while read -r name _rest; do services+=("$name"); done < <(grep -E '^[a-z]' "$repo/services/registry.tsv")

# Custom resources accepted without a schema, as apiVersion/Kind (kubernetes-models knows only built-in kinds).
# Each entry is a deliberate decision: an unlisted custom resource fails the check. The prod overlay's mesh
# (k8s/overlays/prod/mesh): strict mTLS between pods, and TLS origination to the external Redis, which hiredis
# cannot speak itself.
allowed_kinds=(
  security.istio.io/v1/PeerAuthentication
  networking.istio.io/v1/ServiceEntry
  networking.istio.io/v1/DestinationRule
)

# Missing tools skip the test loudly; CI must never skip it.
missing_tool() {
  echo "################################################################################" >&2
  echo "k8s_manifests_test NOT RUN: $1" >&2
  echo "  $2" >&2
  echo "  See the README, section \"The Kubernetes and Dockerfile checks\"." >&2
  echo "################################################################################" >&2
  if [ "${CI:-}" = "true" ]; then
    echo "CI=true: a missing tool fails the run" >&2
    exit 1
  fi
  exit 77
}

if ! command -v kubectl >/dev/null 2>&1; then
  missing_tool "kubectl is not installed." \
    "Install kubectl 1.32 (kustomize v5) from https://kubernetes.io/docs/tasks/tools/ (not Debian's kubernetes-client)."
fi
kustomize_major="$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')"
if [ -z "$kustomize_major" ] || [ "$kustomize_major" -lt 5 ]; then
  missing_tool "this kubectl does not bundle kustomize v5 ($(command -v kubectl))." \
    "Install kubectl 1.32 from https://kubernetes.io/docs/tasks/tools/ (Debian's kubernetes-client is too old)."
fi
if ! command -v node >/dev/null 2>&1; then
  missing_tool "Node.js is not installed." "Run scripts/install-deps.sh (it installs nodejs and npm)."
fi
if [ ! -d "$here/node_modules/kubernetes-models" ] || [ ! -d "$here/node_modules/yaml" ]; then
  missing_tool "the Node packages of tests/k8s are not installed." \
    "Run scripts/install-deps.sh (it runs npm ci in tests/k8s)."
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}

# The arguments a fixture's "# args:" line asks for (blank-separated; values hold no blanks).
fixture_args() {
  sed -n 's/^# args: //p' "$1"
}

# A bad fixture must fail with its expected rule and no other: anything else means the checker misjudges it.
expect_rule() {
  local fixture="$1" rule="$2" out="$3" rc="$4"
  if [ "$rc" -ne 1 ]; then
    fail "$fixture: expected exit 1 (rule $rule), got $rc"
    sed 's/^/    /' "$out"
  elif ! grep -q " rule=$rule:" "$out" || grep '^FAIL ' "$out" | grep -qv " rule=$rule:"; then
    fail "$fixture: expected findings of rule $rule only"
    sed 's/^/    /' "$out"
  fi
}

echo "== the checkers against their fixtures"
checked=0
for f in "$here"/testdata/good/*.yaml; do
  # shellcheck disable=SC2046  # the fixture's arguments are meant to split
  node "$here/check_manifests.mjs" $(fixture_args "$f") "$f" >"$work/out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || { fail "${f#"$repo"/}: a good fixture must pass (exit $rc)"; sed 's/^/    /' "$work/out"; }
  checked=$((checked + 1))
done
for f in "$here"/testdata/bad/*.yaml; do
  rule="$(sed -n 's/^# expect-rule: //p' "$f")"
  [ -n "$rule" ] || { fail "${f#"$repo"/}: no '# expect-rule:' line"; continue; }
  # shellcheck disable=SC2046
  node "$here/check_manifests.mjs" $(fixture_args "$f") "$f" >"$work/out" 2>&1
  expect_rule "${f#"$repo"/}" "$rule" "$work/out" $?
  checked=$((checked + 1))
done
docker_args=(--install-script scripts/install-deps.sh)
for f in "$here"/testdata/docker/good/*; do
  # shellcheck disable=SC2046
  node "$here/check_dockerfile.mjs" "${docker_args[@]}" $(fixture_args "$f") "$f" >"$work/out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || { fail "${f#"$repo"/}: a good fixture must pass (exit $rc)"; sed 's/^/    /' "$work/out"; }
  checked=$((checked + 1))
done
for f in "$here"/testdata/docker/bad/*; do
  rule="$(sed -n 's/^# expect-rule: //p' "$f")"
  [ -n "$rule" ] || { fail "${f#"$repo"/}: no '# expect-rule:' line"; continue; }
  # shellcheck disable=SC2046
  node "$here/check_dockerfile.mjs" "${docker_args[@]}" $(fixture_args "$f") "$f" >"$work/out" 2>&1
  expect_rule "${f#"$repo"/}" "$rule" "$work/out" $?
  checked=$((checked + 1))
done
echo "$checked fixtures checked"

echo "== docker/Dockerfile"
# The install script the README's commands (scripts/test.sh, scripts/run-local.sh) call is the one the image's
# build stage must call.
install_script=scripts/install-deps.sh
for s in scripts/test.sh scripts/run-local.sh; do
  grep -q "$install_script" "$repo/$s" || fail "$s no longer calls $install_script: update this check and the README"
done
if [ ! -f "$repo/docker/Dockerfile" ]; then
  fail "docker/Dockerfile is missing"
else
  full="$(bash "$repo/$install_script" --print)" || fail "$install_script --print failed"
  runtime="$(bash "$repo/$install_script" --runtime --print)" || fail "$install_script --runtime --print failed"
  node "$here/check_dockerfile.mjs" --install-script "$install_script" --full-packages "$full" \
    --runtime-packages "$runtime" "$repo/docker/Dockerfile" || fail "docker/Dockerfile"
fi

echo "== k8s overlays (services every overlay must deploy: ${services[*]})"
overlays=()
for d in "$repo"/k8s/overlays/*/; do
  [ -f "$d/kustomization.yaml" ] || [ -f "$d/kustomization.yml" ] || [ -f "$d/Kustomization" ] || continue
  overlays+=("${d%/}")
done
for required in dev prod; do
  [ -d "$repo/k8s/overlays/$required" ] || fail "k8s/overlays/$required does not exist (a dev and a prod overlay)"
done
if [ ${#overlays[@]} -eq 0 ]; then
  fail "no overlay with a kustomization under k8s/overlays"
fi
check_args=()
for s in "${services[@]}"; do check_args+=(--service "$s"); done
for k in "${allowed_kinds[@]}"; do check_args+=(--allow-kind "$k"); done
for o in "${overlays[@]}"; do
  name="${o#"$repo"/}"
  echo "-- $name"
  if ! kubectl kustomize "$o" >"$work/rendered.yaml" 2>"$work/kustomize.err"; then
    fail "$name: kubectl kustomize failed"
    sed 's/^/    /' "$work/kustomize.err"
    continue
  fi
  node "$here/check_manifests.mjs" "${check_args[@]}" "$work/rendered.yaml" || fail "$name: policy or schema"
done

if [ "$failures" -ne 0 ]; then
  echo "k8s checks: $failures failure(s)"
  exit 1
fi
echo "k8s checks: all passed"
