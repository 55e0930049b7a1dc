# Sourced by the example scripts: runs the hutch on PATH, or this checkout's
# build when hutch is not installed.
examples_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$examples_dir")
hutch() {
  if [[ -n ${HUTCH_BIN:-} ]]; then "$HUTCH_BIN" "$@"
  elif [[ -f $repo_dir/dist/cli/main.js ]]; then node "$repo_dir/dist/cli/main.js" "$@"
  else command hutch "$@"
  fi
}
