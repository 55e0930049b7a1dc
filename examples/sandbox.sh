#!/usr/bin/env bash
# Runs an untrusted shell script in a locked-down container: no network
# (loopback only), a read-only root, every capability dropped, the script
# mounted read-only. Usage: examples/sandbox.sh [SCRIPT] (default: the
# example untrusted-script.sh, which tries to misbehave and reports).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_hutch.sh"
script=$(realpath "${1:-$examples_dir/untrusted-script.sh}")
hutch image inspect hutch-examples/busybox >/dev/null 2>&1 || "$examples_dir/busybox/build.sh"
hutch run --rm --network none --read-only --cap-drop ALL --security-opt no-new-privileges \
  -v "$script:/untrusted.sh:ro" hutch-examples/busybox sh /untrusted.sh
