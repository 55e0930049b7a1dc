#!/usr/bin/env bash
# From a fresh clone to a running container: installs the system packages
# hutch needs (with sudo), builds hutch (npm ci), gives your user subordinate
# id ranges if it has none, checks the host with `hutch doctor`, builds the
# isolation example image from source and runs it. Run it as your ordinary
# user, from the repository root: ./examples/quickstart.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_hutch.sh"
cd "$repo_dir"

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null || {
  echo "hutch needs Node.js >= 20.19 (found: $(node --version 2>/dev/null || echo none)); install it from https://nodejs.org" >&2
  exit 1
}

echo "==> installing system packages (uidmap, a C compiler, busybox-static)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  uidmap build-essential libc6-dev python3 busybox-static >/dev/null

echo "==> building hutch (npm ci: the native addon with node-gyp, the TypeScript with tsc)"
npm ci --no-audit --no-fund

user=$(id -un)
if [[ $(id -u) -ne 0 ]] && ! grep -qE "^($user|$(id -u)):" /etc/subuid 2>/dev/null; then
  start=$(hutch info --format '{{.idmaps.suggestedRange.start}}')
  range="$start-$((start + 65535))"
  echo "==> giving $user the subordinate id range $range (for container users other than root)"
  as_root usermod --add-subuids "$range" --add-subgids "$range" "$user"
fi

echo "==> hutch doctor"
hutch doctor

echo "==> building the example image hutch-examples/isolation from examples/isolation/reporter.c"
"$examples_dir/isolation/build.sh" >/dev/null

echo "==> hutch run --rm hutch-examples/isolation"
hutch run --rm hutch-examples/isolation
