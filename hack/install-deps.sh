#!/usr/bin/env bash
# Installs what building and testing kube-ecs needs beyond Go and Rust: Debian packages (openssl for the
# local control plane's keys, git, make, a C toolchain for crates with build scripts), and for real nodes:
# libseccomp-dev + pkg-config (runc is built with seccomp), libc6-dev (the pause image is linked with
# `gcc -static`), busybox-static (the busybox image), nftables (`nft`: the CNI portmap plugin's nftables
# backend and the cleanup of its rules), iproute2 (a node's bridge) and apache2-utils (`htpasswd`: bcrypt
# users of the local registry), Python 3 with venv (the ECS API tests' AWS CLI and boto3), and redis-server
# (Argo CD's cache, which the GitOps tests start beside the local cluster). Idempotent and quiet when
# everything is present.
set -euo pipefail

missing=()
for pair in openssl:openssl git:git make:make cc:gcc curl:curl pkg-config:pkg-config nft:nftables \
  ip:iproute2 htpasswd:apache2-utils redis-server:redis-server; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
for package in libseccomp-dev libc6-dev busybox-static; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
# Python 3 with venv and ensurepip: the AWS CLI and boto3 of the ECS API tests live in a virtualenv
# (hack/aws-venv.sh). A Python that is already there (pyenv, the system's) is used as it is.
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
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
