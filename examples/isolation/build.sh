#!/usr/bin/env bash
# Builds the image hutch-examples/isolation from source, with no registry and
# no network: reporter.c compiled statically, packed as a root filesystem
# tarball, and imported with `hutch import`. Running it prints, as JSON, what
# the process sees of its own isolation (ids, maps, capabilities, seccomp...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../_hutch.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/etc" "$work/rootfs/tmp"
cc -static -O2 -Wall -o "$work/rootfs/report" "$examples_dir/isolation/reporter.c"
printf 'root:x:0:0:root:/root:/report\nuser:x:1000:1000:user:/home/user:/report\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
tar --numeric-owner --owner=0 --group=0 -C "$work/rootfs" -cf "$work/rootfs.tar" .
hutch import --change 'ENTRYPOINT ["/report"]' --change 'CMD ["all"]' \
  --message 'isolation reporter built from examples/isolation/reporter.c' \
  "$work/rootfs.tar" hutch-examples/isolation
