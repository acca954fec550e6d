#!/usr/bin/env bash
# Builds the offline container images real nodes run, without a network or a container engine:
#   pause   registry.k8s.io/pause:3.10.2   the sandbox image: build/pause/linux/pause.c of the pinned
#                                          k8s.io/kubernetes module, compiled with `gcc -static`
#   busybox docker.io/library/busybox:1.36 Debian's busybox-static (one binary) plus a symlink per applet,
#                                          /etc/passwd and /etc/group (root, nobody), /tmp
#
# Usage: hack/build-images.sh [OUT_DIR]   (default: $KUBE_ECS_CACHE/images-<hash of the inputs>)
# Writes, for each image NAME:
#   OUT_DIR/NAME/            an OCI image layout (oci-layout, index.json, blobs/sha256/...): `crane push
#                            OUT_DIR/NAME 127.0.0.1:PORT/repo:tag` pushes it
#   OUT_DIR/NAME.oci.tar     the same layout as one tar: `ctr -n k8s.io images import OUT_DIR/NAME.oci.tar`
#                            imports it under the name above (index.json's io.containerd.image.name)
#   OUT_DIR/images.txt       one line per image: NAME REFERENCE MANIFEST-DIGEST
# Layers are uncompressed tars with fixed mtimes, owners and order, so the same inputs (pinned k8s
# module, Debian's busybox-static and gcc/libc versions, this script) give the same digests. OUT_DIR/.inputs
# records those inputs; an up-to-date OUT_DIR is reused. Prints OUT_DIR as the last line of stdout.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
log() { echo "[build-images $(date +%H:%M:%S)] $*" >&2; }
die() { echo "build-images: $*" >&2; exit 1; }

k8s_version=$(awk '$1=="k8s.io/kubernetes"{print $2} $1=="require"&&$2=="k8s.io/kubernetes"{print $3}' \
  "$repo/tools/k8s/go.mod" | head -n1)
pause_tag=3.10.2
busybox_tag=1.36
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo missing; }
inputs=$(printf '%s\n' "script $(sha256sum "$0" | cut -c1-64)" "k8s $k8s_version" \
  "busybox-static $(pkg_version busybox-static)" "gcc $(gcc -dumpfullversion 2>/dev/null || echo missing)" \
  "libc6-dev $(pkg_version libc6-dev)")
out=${1:-$cache_root/images-$(echo "$inputs" | sha256sum | cut -c1-12)}
if [[ -f "$out/.inputs" && "$(cat "$out/.inputs")" == "$inputs" && -f "$out/images.txt" ]]; then
  echo "$out"
  exit 0
fi

pause_src=$(go env GOMODCACHE)/k8s.io/kubernetes@$k8s_version/build/pause/linux/pause.c
if [[ ! -f "$pause_src" ]]; then
  log "downloading k8s.io/kubernetes@$k8s_version for the pause source"
  (cd "$repo/tools/k8s" && go mod download k8s.io/kubernetes) >&2
fi
[[ -f "$pause_src" ]] || die "$pause_src not found"
busybox=/bin/busybox
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' \
  || die "Debian's busybox-static is required (hack/install-deps.sh installs it)"
file -b "$busybox" 2>/dev/null | grep -q 'statically linked' || ! command -v file >/dev/null \
  || die "$busybox is not statically linked"

umask 022
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
created=1970-01-01T00:00:00Z
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out.partial"
mkdir -p "$out.partial"

sha() { sha256sum "$1" | cut -c1-64; }
size() { stat -c %s "$1"; }
layer_tar() { # layer_tar <rootfs dir> <out tar>: a reproducible tar of the dir's contents
  tar --create --file "$2" --directory "$1" --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 \
    --numeric-owner --no-acls --no-selinux --no-xattrs .
}
# oci_image <name> <reference> <rootfs dir> <config "config" object JSON>
oci_image() {
  local name=$1 ref=$2 rootfs=$3 config_body=$4
  local layout="$out.partial/$name" blobs="$out.partial/$name/blobs/sha256"
  mkdir -p "$blobs"
  layer_tar "$rootfs" "$work/$name.layer.tar"
  local layer_digest layer_size
  layer_digest=$(sha "$work/$name.layer.tar") layer_size=$(size "$work/$name.layer.tar")
  mv "$work/$name.layer.tar" "$blobs/$layer_digest"
  printf '{"architecture":"amd64","config":%s,"created":"%s","history":[{"created":"%s","created_by":"hack/build-images.sh"}],"os":"linux","rootfs":{"diff_ids":["sha256:%s"],"type":"layers"}}' \
    "$config_body" "$created" "$created" "$layer_digest" >"$work/config.json"
  local config_digest config_size
  config_digest=$(sha "$work/config.json") config_size=$(size "$work/config.json")
  mv "$work/config.json" "$blobs/$config_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
  local manifest_digest manifest_size
  manifest_digest=$(sha "$work/manifest.json") manifest_size=$(size "$work/manifest.json")
  mv "$work/manifest.json" "$blobs/$manifest_digest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$ref" "${ref##*:}" >"$layout/index.json"
  find "$layout" -exec touch -h -d @0 {} +
  tar --create --file "$out.partial/$name.oci.tar" --directory "$layout" --format=gnu --sort=name --mtime=@0 \
    --owner=0 --group=0 --numeric-owner .
  echo "$name $ref sha256:$manifest_digest" >>"$out.partial/images.txt"
  log "$ref sha256:$manifest_digest"
}

# pause: one static binary, run as 65535:65535 like the upstream image.
mkdir -p "$work/pause-rootfs" "$work/pause-build"
cp "$pause_src" "$work/pause-build/pause.c"
(cd "$work/pause-build" && gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag-kube-ecs" -o pause pause.c \
  && strip pause) || die "compiling pause.c failed (needs gcc and libc6-dev for -static)"
install -m 0755 "$work/pause-build/pause" "$work/pause-rootfs/pause"
oci_image pause "registry.k8s.io/pause:$pause_tag" "$work/pause-rootfs" \
  '{"Entrypoint":["/pause"],"User":"65535:65535","WorkingDir":"/"}'

# busybox: the static binary at /bin/busybox and a relative symlink for every applet it lists.
rootfs="$work/busybox-rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,var/www,home}
install -d -m 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
while read -r applet; do
  [[ -n "$applet" && "$applet" != bin/busybox ]] || continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sf "$(realpath --relative-to="$rootfs/$(dirname "$applet")" "$rootfs/bin/busybox")" "$rootfs/$applet"
done < <("$busybox" --list-full | sort)
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
chmod 0755 "$rootfs"/{bin,sbin,usr,usr/bin,usr/sbin,etc,var,var/www,home} && chmod 0700 "$rootfs/root"
oci_image busybox "docker.io/library/busybox:$busybox_tag" "$rootfs" \
  '{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'

echo "$inputs" >"$out.partial/.inputs"
rm -rf "$out" && mv "$out.partial" "$out"
echo "$out"
