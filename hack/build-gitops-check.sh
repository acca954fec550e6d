#!/usr/bin/env bash
# Builds kube-ecs-gitops-check (tools/gitops: Argo CD's Lua runtime and Flux's kstatus library, from
# the Go module proxy) into a cache outside the repository, keyed by a hash of its sources. Prints the
# binary's path as the last line of stdout; progress goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
hash=$(cd "$repo/tools/gitops" && cat go.mod go.sum *.go | sha256sum | cut -c1-12)
bin="$cache_root/gitops-$hash/bin/kube-ecs-gitops-check"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "build-gitops-check: Go is required" >&2; exit 1; }
  echo "[build-gitops-check] building $bin" >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$repo/tools/gitops" && CGO_ENABLED=0 GOFLAGS=-trimpath go build -o "$bin.partial" .)
  mv "$bin.partial" "$bin"
fi
echo "$bin"
