#!/usr/bin/env bash
# Installs every Debian package Tandem needs to build, run and test. Idempotent: packages already present are
# skipped, and apt's index is refreshed only when something is missing. The README, .ci/run and the Dockerfiles all
# call this one script, so a fresh machine and a container image get exactly the same toolchain.
set -euo pipefail

# --runtime installs only what the built binaries need (container images' final stage): shared libraries, time
# zones and CA certificates. No client tools: nothing a service runs at run time calls redis-cli or psql.
if [ "${1:-}" = "--runtime" ]; then
  packages=(
    ca-certificates tzdata libgrpc++1.51 libprotobuf32 libabsl20220623 libhiredis0.14 libpq5 libsqlite3-0
    libssl3 libjwt0 libspdlog1.10 libfmt9 libboost-system1.74.0 libcurl4 libicu72
  )
else
packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  clang clang-format clang-tidy libclang-rt-14-dev lld
  # gRPC, protobuf, Abseil
  protobuf-compiler libprotobuf-dev libprotoc-dev protobuf-compiler-grpc libgrpc++-dev libgrpc-dev libabsl-dev
  # storage and cache
  libsqlite3-dev sqlite3 libpq-dev postgresql postgresql-client redis-server redis-tools libhiredis-dev
  # crypto, identity, JSON, logging, HTTP
  libssl-dev openssl libjwt-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libboost-dev libboost-system-dev
  libcurl4-openssl-dev
  # Unicode text (normalisation, confusables)
  libicu-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev tzdata python3 python3-grpcio procps wrk curl
  # an SMTP server that speaks STARTTLS for the email channel's tests (a library: no system mail service)
  python3-aiosmtpd
  # the offline checks of the Kubernetes manifests and the Dockerfile (tests/k8s)
  nodejs
)
fi

# --print lists the chosen mode's packages and installs nothing (the Dockerfile check reads the runtime list).
if [ "${1:-}" = "--print" ] || [ "${2:-}" = "--print" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Debian's npm is a package of its own, but NodeSource's nodejs bundles npm and conflicts with it: ask for the
# package only when no npm runs.
if [ "${1:-}" != "--runtime" ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The manifest checks' Node packages, pinned by tests/k8s/package-lock.json; installed again only when the lock
# file is newer than the last install (an image build copies this script alone, so there is nothing to do there).
k8s_tests="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/k8s"
if [ "${1:-}" != "--runtime" ] && [ -f "$k8s_tests/package.json" ]; then
  if [ ! -d "$k8s_tests/node_modules" ] || [ "$k8s_tests/package-lock.json" -nt "$k8s_tests/node_modules" ]; then
    echo "install-deps: installing the Node packages of tests/k8s"
    npm ci --prefix "$k8s_tests" --no-audit --no-fund --loglevel=error
  fi
fi

# The Debian postgresql package starts a cluster service on install; Tandem's tests and local run start their own
# servers on free ports, so the packaged cluster is left as the system has it.
