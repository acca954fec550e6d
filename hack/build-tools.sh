#!/usr/bin/env bash
# Builds, from the Go modules pinned under tools/, into a cache outside the repository:
#   the local control plane   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, helm
#   real nodes                kubelet (tools/k8s), containerd, containerd-shim-runc-v2, ctr (tools/containerd),
#                             runc (tools/runc, cgo + libseccomp), the CNI plugins bridge, host-local,
#                             loopback, portmap (tools/cni; in bin/cni/, the directory containerd's CNI
#                             bin_dir points at), registry (tools/registry, CNCF distribution: the local
#                             ECR) and crane (tools/crane, pushes images into it)
#   offline images            <cache dir>/images/ (hack/build-images.sh): the pause image and busybox
#
# The cache directory is named after a hash of every tools/*/go.mod and go.sum (tools/gitops excepted: it
# has its own cache, see build-gitops-check.sh), so changing a pinned version builds a fresh set and an
# unchanged pin reuses the existing one; an interrupted build resumes with the tools it already built.
# Prints the bin directory as the last line of stdout; progress goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
modules=()
for dir in "$repo"/tools/*/; do
  dir=$(basename "$dir")
  [[ $dir == gitops || ! -f "$repo/tools/$dir/go.mod" ]] || modules+=("$dir")
done
pin_hash=$(cd "$repo/tools" && for m in "${modules[@]}"; do cat "$m/go.mod" "$m/go.sum"; done | sha256sum | cut -c1-12)
pinned() { # pinned <module dir> <module path>: the version tools/<dir>/go.mod requires
  awk -v m="$2" '$1==m{print $2} $1=="require"&&$2==m{print $3}' "$repo/tools/$1/go.mod" | head -n1
}
k8s_version=$(pinned k8s k8s.io/kubernetes)
bin="$cache_root/tools-$k8s_version-$pin_hash/bin"
images="$cache_root/tools-$k8s_version-$pin_hash/images"
wanted=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kwok helm
  containerd containerd-shim-runc-v2 ctr runc registry crane cni/bridge cni/host-local cni/loopback cni/portmap)

build_images() {
  "$repo/hack/build-images.sh" "$images" >/dev/null || { echo "build-tools: building the images failed" >&2; exit 1; }
}

missing=()
for tool in "${wanted[@]}"; do [[ -x "$bin/$tool" ]] || missing+=("$tool"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  build_images
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-tools: Go is required (https://go.dev/doc/install)" >&2; exit 1; }
mkdir -p "$bin.partial/cni"
export CGO_ENABLED=0 GOFLAGS=-trimpath
log() { echo "[build-tools $(date +%H:%M:%S)] $*" >&2; }
started=$(date +%s)

build() { # build <module dir> <out dir> <produces> <go build flags...> -- <package>...: skipped if built
  local dir=$1 out=$2 produces=$3 t0; shift 3
  local all=1 name
  for name in $produces; do [[ -x "$out/$name" ]] || all=0; done
  if [[ $all -eq 1 ]]; then
    log "reusing $produces from an earlier, interrupted build"
    return
  fi
  local flags=()
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  shift
  log "building $produces (the first build of everything takes about 30 minutes on 2 cores; later runs reuse $bin)"
  t0=$(date +%s)
  (cd "$repo/tools/$dir" && go build "${flags[@]}" -o "$out/" "$@")
  log "built $produces in $(( $(date +%s) - t0 ))s"
}

# Version stamps make `kubectl version` and the apiserver's /version report the pinned release.
minor=$(echo "$k8s_version" | cut -d. -f2)
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

if [[ ! -x "$bin.partial/etcd" ]]; then
  build etcd "$bin.partial" server -ldflags "-s -w" -- go.etcd.io/etcd/server/v3
  # go build names the binary after the module path's last element ("server").
  mv "$bin.partial/server" "$bin.partial/etcd"
fi
build kwok "$bin.partial" kwok -ldflags "-s -w" -- sigs.k8s.io/kwok/cmd/kwok
build helm "$bin.partial" helm -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$(pinned helm helm.sh/helm/v3)" \
  -- helm.sh/helm/v3/cmd/helm
build k8s "$bin.partial" "kube-apiserver kube-controller-manager kube-scheduler kubectl" -ldflags "-s -w $stamp" -- \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
build k8s "$bin.partial" kubelet -ldflags "-s -w $stamp" -- k8s.io/kubernetes/cmd/kubelet

# Real nodes' runtime. containerd without cgo: no btrfs snapshotter (overlayfs is the one used).
containerd_version=$(pinned containerd github.com/containerd/containerd/v2)
build containerd "$bin.partial" "containerd containerd-shim-runc-v2 ctr" -tags no_btrfs \
  -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=${containerd_version#v}" -- \
  github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
  github.com/containerd/containerd/v2/cmd/ctr
# runc needs cgo for libseccomp (Debian libseccomp-dev + pkg-config); its version comes from its VERSION file.
CGO_ENABLED=1 build runc "$bin.partial" runc -tags seccomp -ldflags "-s -w" -- github.com/opencontainers/runc
build cni "$bin.partial/cni" "bridge host-local loopback portmap" \
  -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$(pinned cni github.com/containernetworking/plugins)" -- \
  github.com/containernetworking/plugins/plugins/main/bridge github.com/containernetworking/plugins/plugins/ipam/host-local \
  github.com/containernetworking/plugins/plugins/main/loopback github.com/containernetworking/plugins/plugins/meta/portmap
build registry "$bin.partial" registry -ldflags "-s -w" -- github.com/distribution/distribution/v3/cmd/registry
build crane "$bin.partial" crane -ldflags "-s -w" -- github.com/google/go-containerregistry/cmd/crane

for tool in "${wanted[@]}"; do
  [[ -x "$bin.partial/$tool" ]] || { echo "build-tools: $tool was not produced" >&2; exit 1; }
done
rm -rf "$bin" && mv "$bin.partial" "$bin"
log "tools ready in $(( $(date +%s) - started ))s: $bin"
build_images
echo "$bin"
