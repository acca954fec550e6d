#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl),
# kwok and helm from the Go modules pinned under tools/, into a cache outside the repository.
#
# The cache directory is named after a hash of every tools/*/go.mod and go.sum, so changing a pinned
# version builds a fresh set and an unchanged pin reuses the existing one. Prints the bin directory as the
# last line of stdout; progress goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
# The control-plane pins only (tools/gitops has its own cache, see build-gitops-check.sh).
pin_hash=$(cd "$repo/tools" && cat {etcd,helm,k8s,kwok}/go.mod {etcd,helm,k8s,kwok}/go.sum | sha256sum | cut -c1-12)
pinned() { # pinned <module dir> <module path>: the version tools/<dir>/go.mod requires
  awk -v m="$2" '$1==m{print $2} $1=="require"&&$2==m{print $3}' "$repo/tools/$1/go.mod" | head -n1
}
k8s_version=$(pinned k8s k8s.io/kubernetes)
bin="$cache_root/tools-$k8s_version-$pin_hash/bin"
wanted=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm)

missing=()
for tool in "${wanted[@]}"; do [[ -x "$bin/$tool" ]] || missing+=("$tool"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-tools: Go is required (https://go.dev/doc/install)" >&2; exit 1; }
mkdir -p "$bin.partial"
export CGO_ENABLED=0 GOFLAGS=-trimpath
log() { echo "[build-tools $(date +%H:%M:%S)] $*" >&2; }
started=$(date +%s)

build() { # build <module dir> <ldflags> <package>...
  local dir=$1 ldflags=$2; shift 2
  log "building $* (the first build takes about 10 minutes on 2 cores; later runs reuse $bin)"
  (cd "$repo/tools/$dir" && go build -ldflags "-s -w $ldflags" -o "$bin.partial/" "$@")
}

# Version stamps make `kubectl version` and the apiserver's /version report the pinned release.
minor=$(echo "$k8s_version" | cut -d. -f2)
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

build etcd "" go.etcd.io/etcd/server/v3
# go build names the binary after the module path's last element ("server").
mv "$bin.partial/server" "$bin.partial/etcd"
build kwok "" sigs.k8s.io/kwok/cmd/kwok
build helm "-X helm.sh/helm/v3/internal/version.version=$(pinned helm helm.sh/helm/v3)" \
  helm.sh/helm/v3/cmd/helm
build k8s "$stamp" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

for tool in "${wanted[@]}"; do
  [[ -x "$bin.partial/$tool" ]] || { echo "build-tools: $tool was not produced" >&2; exit 1; }
done
rm -rf "$bin" && mv "$bin.partial" "$bin"
log "tools ready in $(( $(date +%s) - started ))s: $bin"
echo "$bin"
