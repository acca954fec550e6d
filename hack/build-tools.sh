#!/usr/bin/env bash
# Builds, from the Go modules pinned under tools/, into a cache outside the repository:
#   the local control plane   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, helm
#   real nodes                kubelet (tools/k8s), containerd, containerd-shim-runc-v2, ctr (tools/containerd),
#                             runc (tools/runc, cgo + libseccomp), the CNI plugins bridge, host-local,
#                             loopback, portmap (tools/cni; in bin/cni/, the directory containerd's CNI
#                             bin_dir points at), registry (tools/registry, CNCF distribution: the local
#                             ECR) and crane (tools/crane, pushes images into it)
#   add-ons beside real nodes metrics-server (tools/metrics-server: metrics.k8s.io for kubectl top and HPAs),
#                             kube-proxy (tools/kube-proxy: ClusterIP Services, nftables mode) and coredns
#                             (tools/coredns: cluster.local names)
#   offline images            <cache dir>/images/ (hack/build-images.sh): the pause image and busybox
#
# The cache directory is named after a hash of every tools/*/go.mod and go.sum (tools/gitops, tools/argocd
# and tools/flux excepted: they have caches of their own, see build-gitops-check.sh and below), so
# changing a pinned version builds a fresh set and an unchanged pin reuses the existing one; an
# interrupted build resumes with the tools it already built.
# A fresh set builds only the tools whose own module changed: every other tool is hard-linked from an
# older set of the same Kubernetes version that recorded the same module hash (bin/.modules: one
# "<tool> <module> <hash of its go.mod+go.sum>" line per tool), so adding a module or bumping one pin
# costs that module's build, not the ~30 minutes of the whole set. A set made before bin/.modules existed
# is trusted for the modules it has only if its name's hash is the hash of exactly those modules' files
# today (nothing else changed since it was built).
# Optional groups are built only when asked for, each into a cache of its own and not part of the set
# above: `hack/build-tools.sh argocd` (tools/argocd: Argo CD) and `hack/build-tools.sh flux` (tools/flux:
# Flux's source- and kustomize-controller), for the GitOps tests (hack/build-gitops-tools.sh).
# Prints the bin directory as the last line of stdout; progress goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
case ${1:-} in
  "") ;;
  argocd | flux) exec "$repo/hack/build-gitops-tools.sh" "$1" ;;
  *) echo "usage: hack/build-tools.sh [argocd|flux]" >&2; exit 2 ;;
esac
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
modules=()
for dir in "$repo"/tools/*/; do
  dir=$(basename "$dir")
  [[ $dir == gitops || $dir == argocd || $dir == flux || ! -f "$repo/tools/$dir/go.mod" ]] || modules+=("$dir")
done
pin_hash=$(cd "$repo/tools" && for m in "${modules[@]}"; do cat "$m/go.mod" "$m/go.sum"; done | sha256sum | cut -c1-12)
pinned() { # pinned <module dir> <module path>: the version tools/<dir>/go.mod requires
  awk -v m="$2" '$1==m{print $2} $1=="require"&&$2==m{print $3}' "$repo/tools/$1/go.mod" | head -n1
}
k8s_version=$(pinned k8s k8s.io/kubernetes)
bin="$cache_root/tools-$k8s_version-$pin_hash/bin"
images="$cache_root/tools-$k8s_version-$pin_hash/images"
# Every tool and the module it is built from.
declare -A module_of=(
  [etcd]=etcd [kube-apiserver]=k8s [kube-controller-manager]=k8s [kube-scheduler]=k8s [kubectl]=k8s [kubelet]=k8s
  [kwok]=kwok [helm]=helm [containerd]=containerd [containerd-shim-runc-v2]=containerd [ctr]=containerd
  [runc]=runc [registry]=registry [crane]=crane [cni/bridge]=cni [cni/host-local]=cni [cni/loopback]=cni
  [cni/portmap]=cni [metrics-server]=metrics-server [kube-proxy]=kube-proxy [coredns]=coredns
)
wanted=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kwok helm
  containerd containerd-shim-runc-v2 ctr runc registry crane cni/bridge cni/host-local cni/loopback cni/portmap
  metrics-server kube-proxy coredns)
module_hash() { cat "$repo/tools/$1/go.mod" "$repo/tools/$1/go.sum" | sha256sum | cut -c1-12; }

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

mkdir -p "$bin.partial/cni"
log() { echo "[build-tools $(date +%H:%M:%S)] $*" >&2; }
started=$(date +%s)

# Reuse: hard-link (or copy) every missing tool whose module is unchanged from the newest older set that has it.
trusted_hash() { # trusted_hash <older bin dir> <tool>: the module hash the tool was built from, if known
  local donor=$1 tool=$2
  if [[ -f $donor/.modules ]]; then
    awk -v t="$tool" '$1==t{print $3}' "$donor/.modules"
    return
  fi
  # A set from before .modules: its name is the hash of its modules' files (in this script's order); if
  # that is still their hash today, none of them changed since.
  local have=() m t name
  for m in "${modules[@]}"; do
    for t in "${!module_of[@]}"; do
      if [[ ${module_of[$t]} == "$m" && -x $donor/$t ]]; then have+=("$m"); break; fi
    done
  done
  name=$(basename "$(dirname "$donor")")
  if [[ ${#have[@]} -gt 0 && ${name##*-} == "$(cd "$repo/tools" && for m in "${have[@]}"; do cat "$m/go.mod" "$m/go.sum"; done | sha256sum | cut -c1-12)" ]]; then
    module_hash "${module_of[$tool]}"
  fi
}
donors=()
while IFS= read -r dir; do
  [[ $dir != "$bin" ]] && donors+=("$dir")
done < <(ls -1dt "$cache_root"/tools-"$k8s_version"-*/bin 2>/dev/null || true)
for tool in "${wanted[@]}"; do
  [[ -x "$bin.partial/$tool" ]] && continue
  want_hash=$(module_hash "${module_of[$tool]}")
  for donor in "${donors[@]}"; do
    if [[ -x $donor/$tool && $(trusted_hash "$donor" "$tool") == "$want_hash" ]]; then
      cp -l "$donor/$tool" "$bin.partial/$tool" 2>/dev/null || cp "$donor/$tool" "$bin.partial/$tool"
      log "reusing $tool (tools/${module_of[$tool]} unchanged) from $donor"
      break
    fi
  done
done

command -v go >/dev/null || { echo "build-tools: Go is required (https://go.dev/doc/install)" >&2; exit 1; }
export CGO_ENABLED=0 GOFLAGS=-trimpath

build() { # build <module dir> <out dir> <go build flags...> -- <package>...: only the binaries not there yet
  local dir=$1 out=$2 t0; shift 2
  local flags=() packages=() produces=() pkg
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  shift
  # go build names each binary after its package path's last element (a major version suffix skipped).
  local name
  for pkg in "$@"; do
    name=${pkg##*/}
    [[ $name =~ ^v[0-9]+$ ]] && { name=${pkg%/*}; name=${name##*/}; }
    [[ -x "$out/$name" ]] || { packages+=("$pkg"); produces+=("$name"); }
  done
  [[ ${#packages[@]} -eq 0 ]] && return
  log "building ${produces[*]} (the first build of everything takes about 30 minutes on 2 cores; later runs reuse $bin)"
  t0=$(date +%s)
  (cd "$repo/tools/$dir" && go build "${flags[@]}" -o "$out/" "${packages[@]}")
  log "built ${produces[*]} in $(( $(date +%s) - t0 ))s"
}

# Version stamps make `kubectl version` and the apiserver's /version report the pinned release.
minor=$(echo "$k8s_version" | cut -d. -f2)
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

if [[ ! -x "$bin.partial/etcd" ]]; then
  build etcd "$bin.partial" -ldflags "-s -w" -- go.etcd.io/etcd/server/v3
  # go build names the binary after the module path's last element ("server").
  mv "$bin.partial/server" "$bin.partial/etcd"
fi
build kwok "$bin.partial" -ldflags "-s -w" -- sigs.k8s.io/kwok/cmd/kwok
build helm "$bin.partial" -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$(pinned helm helm.sh/helm/v3)" \
  -- helm.sh/helm/v3/cmd/helm
build k8s "$bin.partial" -ldflags "-s -w $stamp" -- \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
build k8s "$bin.partial" -ldflags "-s -w $stamp" -- k8s.io/kubernetes/cmd/kubelet

# Real nodes' runtime. containerd without cgo: no btrfs snapshotter (overlayfs is the one used).
containerd_version=$(pinned containerd github.com/containerd/containerd/v2)
build containerd "$bin.partial" -tags no_btrfs \
  -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=${containerd_version#v}" -- \
  github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
  github.com/containerd/containerd/v2/cmd/ctr
# runc needs cgo for libseccomp (Debian libseccomp-dev + pkg-config); its version comes from its VERSION file.
CGO_ENABLED=1 build runc "$bin.partial" -tags seccomp -ldflags "-s -w" -- github.com/opencontainers/runc
build cni "$bin.partial/cni" \
  -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$(pinned cni github.com/containernetworking/plugins)" -- \
  github.com/containernetworking/plugins/plugins/main/bridge github.com/containernetworking/plugins/plugins/ipam/host-local \
  github.com/containernetworking/plugins/plugins/main/loopback github.com/containernetworking/plugins/plugins/meta/portmap
build registry "$bin.partial" -ldflags "-s -w" -- github.com/distribution/distribution/v3/cmd/registry
build crane "$bin.partial" -ldflags "-s -w" -- github.com/google/go-containerregistry/cmd/crane
# After k8s: its k8s.io libraries are tools/k8s's release, so most of its packages are in Go's build cache.
build metrics-server "$bin.partial" -ldflags "-s -w -X k8s.io/client-go/pkg/version.gitVersion=$(pinned metrics-server sigs.k8s.io/metrics-server)" \
  -- sigs.k8s.io/metrics-server/cmd/metrics-server
# The same k8s.io/kubernetes release as tools/k8s, so after it nearly everything is in Go's build cache.
build kube-proxy "$bin.partial" -ldflags "-s -w $stamp" -- k8s.io/kubernetes/cmd/kube-proxy
build coredns "$bin.partial" -ldflags "-s -w" -- github.com/coredns/coredns

for tool in "${wanted[@]}"; do
  [[ -x "$bin.partial/$tool" ]] || { echo "build-tools: $tool was not produced" >&2; exit 1; }
done
for tool in "${wanted[@]}"; do
  echo "$tool ${module_of[$tool]} $(module_hash "${module_of[$tool]}")"
done > "$bin.partial/.modules"
rm -rf "$bin" && mv "$bin.partial" "$bin"
log "tools ready in $(( $(date +%s) - started ))s: $bin"
build_images
echo "$bin"
