#!/usr/bin/env bash
# Builds an optional group of tools on demand: `hack/build-tools.sh argocd` or `hack/build-tools.sh flux`
# (which run this script), for the GitOps tests; the demo and the other tests never need them.
#   argocd  tools/argocd: the one `argocd` binary (application-controller and repo-server by
#           ARGOCD_BINARY_NAME), Argo CD v3.6.2; its go.mod needs go >= 1.27.0, so the build runs with
#           GOTOOLCHAIN=go1.27.3 (the go command fetches that toolchain from the Go module proxy)
#   flux    tools/flux: Flux's source-controller and kustomize-controller v1.9.6
# Each group lands in <cache>/<group>-<version>-<hash of its go.mod+go.sum>/: bin/ (the binaries, and
# for Argo CD its hack/git-verify-wrapper.sh, which the repo-server runs from PATH) and crds/ (the CRDs
# from the same module versions in the Go module cache; nothing of upstream's is committed here). A pin
# change builds a fresh directory; a lock lets two test binaries ask at once and build once.
# Prints the bin directory as the last line of stdout; progress goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
group=${1:-}
case $group in
  argocd) module=github.com/argoproj/argo-cd/v3 ;;
  flux) module=github.com/fluxcd/source-controller ;;
  *) echo "usage: hack/build-tools.sh argocd|flux" >&2; exit 2 ;;
esac
dir="$repo/tools/$group"
version=$(awk -v m="$module" '$1==m{print $2} $1=="require"&&$2==m{print $3}' "$dir/go.mod" | head -n1)
hash=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)
root="$cache_root/$group-$version-$hash"
if [[ -f $root/.complete ]]; then
  echo "$root/bin"
  exit 0
fi

log() { echo "[build-tools $group $(date +%H:%M:%S)] $*" >&2; }
command -v go >/dev/null || { echo "build-tools: Go is required (https://go.dev/doc/install)" >&2; exit 1; }
mkdir -p "$cache_root"
exec 9>"$cache_root/$group.lock"
flock 9
if [[ -f $root/.complete ]]; then # built by whoever held the lock
  echo "$root/bin"
  exit 0
fi
rm -rf "$root.partial"
mkdir -p "$root.partial/bin" "$root.partial/crds"
export CGO_ENABLED=0 GOFLAGS=-trimpath
started=$(date +%s)
cd "$dir"
case $group in
  argocd)
    export GOTOOLCHAIN=go1.27.3
    log "building argocd $version (about 12 CPU-minutes; GOTOOLCHAIN=$GOTOOLCHAIN)"
    go build -ldflags "-s -w -X $module/common.version=${version#v} -X $module/common.gitTag=$version -X $module/common.gitTreeState=clean" \
      -o "$root.partial/bin/argocd" "$module/cmd"
    src=$(go list -m -f '{{.Dir}}' "$module")
    cp "$src/hack/git-verify-wrapper.sh" "$root.partial/bin/"
    chmod 0755 "$root.partial/bin/git-verify-wrapper.sh"
    cp "$src/manifests/crds/application-crd.yaml" "$src/manifests/crds/appproject-crd.yaml" "$root.partial/crds/"
    ;;
  flux)
    log "building source-controller and kustomize-controller $version (about 15 CPU-minutes)"
    go build -ldflags "-s -w" -o "$root.partial/bin/" github.com/fluxcd/source-controller github.com/fluxcd/kustomize-controller
    for m in github.com/fluxcd/source-controller github.com/fluxcd/kustomize-controller; do
      cp "$(go list -m -f '{{.Dir}}' "$m")"/config/crd/bases/*.yaml "$root.partial/crds/"
    done
    ;;
esac
chmod -R u+w "$root.partial/crds"
touch "$root.partial/.complete"
rm -rf "$root" && mv "$root.partial" "$root"
log "built in $(( $(date +%s) - started ))s: $root/bin"
echo "$root/bin"
