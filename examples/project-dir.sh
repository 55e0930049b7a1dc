#!/usr/bin/env bash
# Works on a host directory from inside a container with --userns=keep-id:
# your own uid/gid appear unchanged inside, so files you create there are
# yours on the host. Usage: examples/project-dir.sh [DIR] [COMMAND...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_hutch.sh"
dir=$(realpath "${1:-.}")
shift || true
hutch image inspect hutch-examples/busybox >/dev/null 2>&1 || "$examples_dir/busybox/build.sh"
if [[ $# -eq 0 ]]; then set -- sh -c 'echo "inside: uid=$(id -u) in $(pwd)"; ls -ln | head; touch made-in-container; ls -ln made-in-container'; fi
hutch run --rm --userns=keep-id -v "$dir:/work" -w /work hutch-examples/busybox "$@"
