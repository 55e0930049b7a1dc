#!/usr/bin/env bash
# Builds the image hutch-examples/busybox from the host's static busybox
# (Debian/Ubuntu package busybox-static): a small shell environment for the
# shell, sandbox and project-directory examples.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../_hutch.sh"

busybox=${BUSYBOX:-/bin/busybox}
# The image has no libc, so the binary must be static (ldd says "not a dynamic executable").
if [[ ! -x $busybox ]] || ! { ldd "$busybox" 2>&1 || true; } | grep -q 'not a dynamic'; then
  echo "error: $busybox is missing or not static; install it: sudo apt-get install busybox-static" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/user" "$root/work"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/rootfs.tar" .
hutch import --change 'CMD ["/bin/sh"]' --change 'ENV HOME=/root' \
  --message 'busybox from the host, see examples/busybox/build.sh' "$work/rootfs.tar" hutch-examples/busybox
