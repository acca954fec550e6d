#!/usr/bin/env bash
# Installs what building and testing kube-ecs needs beyond Go and Rust: Debian packages (openssl for the
# local control plane's keys, git, make, a C toolchain for crates with build scripts). Idempotent and quiet
# when everything is present.
set -euo pipefail

missing=()
for pair in openssl:openssl git:git make:make cc:gcc curl:curl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: please install: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-deps: apt-get install ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "install-deps: Go 1.26+ is required (https://go.dev/doc/install)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "install-deps: Rust (cargo) is required (https://rustup.rs)" >&2; exit 1; }
