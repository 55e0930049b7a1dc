#!/usr/bin/env bash
# An interactive shell in a throw-away container: a pseudo-terminal (-t),
# stdin kept open (-i), removed on exit (--rm).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_hutch.sh"
hutch image inspect hutch-examples/busybox >/dev/null 2>&1 || "$examples_dir/busybox/build.sh"
hutch run -it --rm --hostname sandbox hutch-examples/busybox sh
