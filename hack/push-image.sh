#!/usr/bin/env bash
# Pushes the image `make image` built (target/image/oci) with crane (`make image-push`):
#   crane push target/image/oci REGISTRY/kube-ecs:TAG
#
# Usage: hack/push-image.sh REGISTRY [TAG]
#   REGISTRY  host[:port][/prefix], e.g. 127.0.0.1:5000 or ghcr.io/my-org
#   TAG       default: the tag `make image` wrote (the Cargo version unless TAG was set)
# Environment: CRANE (default: crane on PATH, else the one `make tools` builds), CRANE_FLAGS (e.g.
# --insecure for a plain-HTTP registry that is not on loopback; 127.0.0.1/localhost need nothing),
# OUT (default: target/image). Credentials: crane reads ~/.docker/config.json (`crane auth login`).
# Prints the pushed reference with its digest (REGISTRY/kube-ecs@sha256:...) as the last line.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "push-image: $*" >&2; exit 1; }
registry=${1:-}
[[ -n "$registry" ]] || die "usage: hack/push-image.sh REGISTRY [TAG]  (make image-push REGISTRY=host:port[/prefix])"
registry=${registry%/}
out=${OUT:-$repo/target/image}
[[ -f "$out/oci/index.json" && -f "$out/image.txt" ]] || die "$out/oci is missing: run \`make image\` first"
read -r built_ref digest _ <"$out/image.txt"
tag=${2:-${built_ref##*:}}

crane=${CRANE:-}
if [[ -z "$crane" ]]; then
  if command -v crane >/dev/null; then
    crane=crane
  else
    crane=$("$repo/hack/build-tools.sh" | tail -n1)/crane
  fi
fi
ref=$registry/kube-ecs:$tag
# shellcheck disable=SC2086
"$crane" push ${CRANE_FLAGS:-} "$out/oci" "$ref" >&2
# shellcheck disable=SC2086
pushed=$("$crane" digest ${CRANE_FLAGS:-} "$ref")
[[ "$pushed" == "$digest" ]] || die "$ref has digest $pushed, the layout's manifest is $digest"
echo "$registry/kube-ecs@$digest"
