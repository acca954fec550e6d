#!/usr/bin/env bash
# Builds the operator's OCI image without Docker and without a base image (`make image`):
#   rootfs  /usr/local/bin/kube-ecs (the release binary), exactly the shared libraries it links (`ldd`,
#           the dynamic loader included) at the paths ldd reports, /etc/passwd and /etc/group with the
#           non-root user and group 65532 (nonroot), /tmp (1777). No shell, no package manager.
#   config  User 65532:65532, Entrypoint ["/usr/local/bin/kube-ecs"], Cmd ["run"], OCI labels
#   layer   one tar (sorted names, owner 0:0 numeric, every mtime = SOURCE_DATE_EPOCH), `gzip -n -9`
#
# Usage: hack/build-image.sh
# Environment (all optional):
#   BINARY             the binary to package; default: `cargo build --locked --release --bin kube-ecs`,
#                      then target/release/kube-ecs
#   TAG                the tag in index.json (org.opencontainers.image.ref.name); default: Cargo version
#   IMAGE_NAME         the repository in index.json's io.containerd.image.name (what `ctr images import`
#                      names it); default: ghcr.io/kube-ecs/kube-ecs (the chart's image.repository)
#   SOURCE_DATE_EPOCH  every mtime and the created time; default: the commit time of HEAD
#                      (.revision is always this checkout's HEAD, "-dirty" if `git status` shows changes:
#                      with BINARY, make sure the binary was built from it)
#   IMAGE_SOURCE       org.opencontainers.image.source; default: https://github.com/kube-ecs/kube-ecs
#   IMAGE_CHECK=0      skip the self-check (as root: chroot into the extracted layer and run the binary
#                      as 65532:65532 — proves the libraries are complete)
#   OUT                output directory; default: target/image
# Writes:
#   OUT/oci/            an OCI image layout: `crane push OUT/oci HOST:PORT/kube-ecs:TAG` (make image-push)
#   OUT/kube-ecs.oci.tar the same layout as one tar: `ctr -n k8s.io images import OUT/kube-ecs.oci.tar`
#   OUT/image.txt       REFERENCE MANIFEST-DIGEST COMPRESSED-BYTES UNCOMPRESSED-BYTES
# The manifest digest depends only on the binary, the libraries (the host's libc6/libgcc-s1 versions),
# Cargo.toml's version, HEAD (+ "-dirty"), SOURCE_DATE_EPOCH, tar/gzip and this script — not on file
# mtimes, the user or the umask. TAG and IMAGE_NAME change index.json and the .oci.tar, not the manifest.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "[build-image $(date +%H:%M:%S)] $*" >&2; }
die() { echo "build-image: $*" >&2; exit 1; }
cd "$repo"

# Package metadata from Cargo.toml: the [package] table, or [workspace.package] for the fields the
# package inherits (`version.workspace = true`).
cargo_field() {
  awk -v key="$1" '/^\[/{p=($0=="[package]" || $0=="[workspace.package]")} p && $1==key && $2=="=" {
    sub(/^[^=]*=[ \t]*"/, ""); sub(/"[ \t]*$/, ""); print; exit }' Cargo.toml
}
version=$(cargo_field version)
license=$(cargo_field license)
description=$(cargo_field description)
[[ -n "$version" ]] || die "no version in Cargo.toml"
tag=${TAG:-$version}
image_name=${IMAGE_NAME:-ghcr.io/kube-ecs/kube-ecs}
source_url=${IMAGE_SOURCE:-https://github.com/kube-ecs/kube-ecs}
out=${OUT:-$repo/target/image}
if revision=$(git rev-parse HEAD 2>/dev/null); then
  [[ -z "$(git status --porcelain 2>/dev/null)" ]] || revision="$revision-dirty"
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
else # not a git checkout (e.g. a source tarball)
  revision=unknown
  epoch=${SOURCE_DATE_EPOCH:-0}
fi
[[ "$epoch" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be seconds since the epoch, got '$epoch'"
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

if [[ -z "${BINARY:-}" ]]; then
  log "cargo build --locked --release --bin kube-ecs"
  ${CARGO:-cargo} build --locked --release --bin kube-ecs >&2
  binary=$repo/target/release/kube-ecs
else
  binary=$BINARY
fi
[[ -x "$binary" ]] || die "$binary is not an executable"

umask 022
export LC_ALL=C TZ=UTC
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

# The rootfs: the binary, its libraries, the nonroot user, /tmp.
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc"
install -m 0755 "$binary" "$rootfs/usr/local/bin/kube-ecs"
libs=()
while read -r line; do
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)",
  # "linux-vdso.so.1 (0x...)" (in the kernel, no file), "statically linked"/"not a dynamic executable"
  case $line in
    *"=> not found"*) die "$binary links a library that is not installed: $line" ;;
    *" => /"*) lib=${line#*=> }; libs+=("${lib%% (*}") ;;
    /*) libs+=("${line%% (*}") ;;
  esac
done < <(ldd "$binary" 2>/dev/null || true)
for lib in "${libs[@]}"; do
  [[ -f "$lib" ]] || die "$lib (from ldd) is not a file"
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"   # the file itself, not a symlink, at the path the binary asks for
  chmod 0755 "$rootfs$lib"
done
printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
install -d -m 1777 "$rootfs/tmp"
find "$rootfs" -type d ! -path "$rootfs/tmp" -exec chmod 0755 {} +

sha() { sha256sum "$1" | cut -c1-64; }
size() { stat -c %s "$1"; }
json_str() { # a JSON string literal (the values here are plain text; escape \ and " anyway)
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# The layer: sorted names, fixed mtimes, owner 0:0, modes set above (umask-independent).
tar --create --file "$work/layer.tar" --directory "$rootfs" --format=gnu --sort=name --mtime="@$epoch" \
  --owner=0 --group=0 --numeric-owner --no-acls --no-selinux --no-xattrs .
diff_id=$(sha "$work/layer.tar")
uncompressed_size=$(size "$work/layer.tar")
gzip -n -9 <"$work/layer.tar" >"$work/layer.tar.gz"
layer_digest=$(sha "$work/layer.tar.gz")
layer_size=$(size "$work/layer.tar.gz")

annotations=$(printf '{"org.opencontainers.image.created":%s,"org.opencontainers.image.description":%s,"org.opencontainers.image.licenses":%s,"org.opencontainers.image.revision":%s,"org.opencontainers.image.source":%s,"org.opencontainers.image.title":"kube-ecs","org.opencontainers.image.version":%s}' \
  "$(json_str "$created")" "$(json_str "$description")" "$(json_str "$license")" "$(json_str "$revision")" \
  "$(json_str "$source_url")" "$(json_str "$version")")

layout=$out/oci.partial
blobs=$layout/blobs/sha256
rm -rf "$layout"
mkdir -p "$blobs"
mv "$work/layer.tar.gz" "$blobs/$layer_digest"
printf '{"architecture":"%s","config":{"User":"65532:65532","Env":["PATH=/usr/local/bin"],"Entrypoint":["/usr/local/bin/kube-ecs"],"Cmd":["run"],"WorkingDir":"/","Labels":%s},"created":"%s","history":[{"created":"%s","created_by":"hack/build-image.sh","comment":"kube-ecs %s and the shared libraries it links"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$arch" "$annotations" "$created" "$created" "$version" "$diff_id" >"$work/config.json"
config_digest=$(sha "$work/config.json") config_size=$(size "$work/config.json")
mv "$work/config.json" "$blobs/$config_digest"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}],"annotations":%s}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" "$annotations" >"$work/manifest.json"
manifest_digest=$(sha "$work/manifest.json") manifest_size=$(size "$work/manifest.json")
mv "$work/manifest.json" "$blobs/$manifest_digest"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":%s,"org.opencontainers.image.ref.name":%s}}]}' \
  "$manifest_digest" "$manifest_size" "$arch" "$(json_str "$image_name:$tag")" "$(json_str "$tag")" \
  >"$layout/index.json"
chmod 0644 "$layout/oci-layout" "$layout/index.json" "$blobs"/*
chmod 0755 "$layout" "$layout/blobs" "$blobs"
compressed_size=$((layer_size + config_size + manifest_size))

# Self-check: the binary runs from the image's rootfs alone, as the image's user.
if [[ "${IMAGE_CHECK:-1}" != 0 ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v chroot >/dev/null; then
    mkdir "$work/check"
    tar --extract --gzip --file "$blobs/$layer_digest" --directory "$work/check" --same-owner
    chroot --userspec=65532:65532 "$work/check" /usr/local/bin/kube-ecs --version >&2 \
      || die "the binary does not run from the image's rootfs (chroot check failed)"
    chroot --userspec=65532:65532 "$work/check" /usr/local/bin/kube-ecs crdgen --out /tmp/crds >/dev/null \
      || die "\`kube-ecs crdgen\` does not run from the image's rootfs (chroot check failed)"
    log "chroot check: kube-ecs --version and crdgen run from the image's rootfs as 65532:65532"
  else
    log "chroot check skipped (needs root)"
  fi
fi

tar --create --file "$out/kube-ecs.oci.tar.partial" --directory "$layout" --format=gnu --sort=name \
  --mtime="@$epoch" --owner=0 --group=0 --numeric-owner .
rm -rf "$out/oci" && mv "$layout" "$out/oci"
mv "$out/kube-ecs.oci.tar.partial" "$out/kube-ecs.oci.tar"
echo "$image_name:$tag sha256:$manifest_digest $compressed_size $uncompressed_size" >"$out/image.txt"

log "libraries: ${libs[*]}"
log "version $version, revision $revision, created $created"
log "layout $out/oci, tar $out/kube-ecs.oci.tar"
echo "image:        $image_name:$tag"
echo "digest:       sha256:$manifest_digest"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "compressed:   $compressed_size bytes ($(mib "$compressed_size"): gzip layer $layer_size + config + manifest)"
echo "uncompressed: $uncompressed_size bytes ($(mib "$uncompressed_size"): the layer tar)"
