#!/usr/bin/env bash
# Makes a Python venv with the pinned AWS CLI, boto3 and botocore (tools/aws/requirements.txt) in a
# cache outside the repository, keyed by a hash of the requirements file. Prints the venv's bin
# directory as the last line of stdout; progress goes to stderr. Idempotent: a venv already made for
# the same requirements is reused, and a half-made one (interrupted install) never is.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
req="$repo/tools/aws/requirements.txt"
cache_root=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
hash=$(sha256sum "$req" | cut -c1-12)
venv="$cache_root/aws-$hash"

if [[ ! -x "$venv/bin/python" || ! -e "$venv/.complete" ]]; then
  python=${PYTHON:-python3}
  command -v "$python" >/dev/null || { echo "aws-venv: $python is required (Python >= 3.9)" >&2; exit 1; }
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || { echo "aws-venv: Python >= 3.9 is required, $python is $("$python" -V 2>&1)" >&2; exit 1; }
  "$python" -c 'import venv, ensurepip' 2>/dev/null \
    || { echo "aws-venv: $python has no venv/ensurepip module (on Debian: apt-get install python3-venv)" >&2; exit 1; }
  echo "[aws-venv] making $venv" >&2
  mkdir -p "$cache_root"
  # Made beside its final path and renamed, so a half-made venv is never taken for a whole one; the
  # PID keeps two concurrent runs apart, and the trap removes what an interrupted run leaves.
  partial="$venv.partial.$$"
  trap 'rm -rf "$partial"' EXIT
  "$python" -m venv --prompt "kube-ecs-aws" "$partial" >&2
  "$partial/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r "$req" >&2
  "$partial/bin/python" -m pip check >&2
  # A venv's scripts (shebangs, activate) name its absolute path: point them at the final one.
  { grep -rlF "$partial" "$partial/bin" "$partial/pyvenv.cfg" || true; } | while read -r f; do
    sed -i "s|$partial|$venv|g" "$f"
  done
  touch "$partial/.complete"
  [[ -e "$venv/.complete" ]] || rm -rf "$venv"  # one without .complete is left from before
  mv -T "$partial" "$venv" 2>/dev/null || [[ -e "$venv/.complete" ]]  # or a concurrent run won
fi
echo "$venv/bin"
