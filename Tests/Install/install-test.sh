#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# `make install`, `make uninstall` and `make deb`, each into a temporary
# directory, as a user would run them:
#
#   Tests/Install/install-test.sh      # make install-test runs it
#
# Checks, each counted in the closing `install-test: N passed, M failed`:
# - install puts every file under DESTDIR/PREFIX, a binary that runs
#   --version, iommu-plan-capture that prints its usage, man pages that man
#   renders without a warning, completions that bash loads (and zsh and
#   fish parse, where they are installed);
# - uninstall leaves no file behind;
# - the .deb passes lintian without an error, lists its files under /usr,
#   root-owned, and its binary runs --version once extracted.
#
# Environment: MAKE (default make). Run from anywhere; needs lintian and
# man-db (make deps installs them).
set -euo pipefail

export LC_ALL=C.UTF-8
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
make=${MAKE:-make}
prefix=/usr/local

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suite=install-test
# shellcheck source=../checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
mk() { "$make" --no-print-directory -C "$repo" "$@"; }

# --- make install -----------------------------------------------------------
dest=$work/dest
mk install DESTDIR="$dest" PREFIX="$prefix" >"$work/install.log" 2>&1 ||
  { echo "install-test: FAIL: make install"; tail -n 40 "$work/install.log"; exit 1; }
root=$dest$prefix
version=$(sed -n 's/^ *version: "\(.*\)",$/\1/p' "$repo/Sources/iommu-plan/IOMMUPlanCommand.swift")
[[ -n $version ]] || { echo "install-test: FAIL: no version in IOMMUPlanCommand.swift"; exit 1; }

runs() { [[ $("$root/bin/iommu-plan" --version) == "$version" ]]; }
check "the installed binary prints --version $version" runs
capture_usage() { [[ $("$root/bin/iommu-plan-capture" -h) == *'iommu-plan-capture [-m] [-o OUT.tar.gz] [ROOT]'* ]]; }
check "the installed iommu-plan-capture prints its usage" capture_usage
pages() {
  local page n=0
  for page in "$root"/share/man/man1/*.1.gz; do
    # man's own warnings (--warnings) on stderr are what lintian reports too.
    MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$work/page.txt" 2>"$work/page.err" ||
      { echo "$page: man exited $?"; cat "$work/page.err"; return 1; }
    [[ ! -s $work/page.err ]] || { echo "$page:"; cat "$work/page.err"; return 1; }
    grep -q iommu-plan "$work/page.txt" || { echo "$page: renders without the name"; return 1; }
    n=$((n + 1))
  done
  [[ $n -ge 5 ]] || { echo "$n man pages, expected one per command"; return 1; }
}
check "every man page renders without a warning" pages
bash_completion() {
  bash -c 'source "$1" && complete -p iommu-plan' _ \
    "$root/share/bash-completion/completions/iommu-plan" | grep -q ' iommu-plan$'
}
check "bash loads the completion" bash_completion
zsh_completion() {
  local file=$root/share/zsh/vendor-completions/_iommu-plan
  [[ $(head -n 1 "$file") == "#compdef iommu-plan" ]] || return 1
  if command -v zsh >/dev/null; then zsh -n "$file"; fi
}
check "the zsh completion is a #compdef file" zsh_completion
fish_completion() {
  local file=$root/share/fish/vendor_completions.d/iommu-plan.fish
  grep -q "^complete -c 'iommu-plan'" "$file" || return 1
  if command -v fish >/dev/null; then fish --no-execute "$file"; fi
}
check "the fish completion completes iommu-plan" fish_completion

# --- make uninstall ---------------------------------------------------------
find "$dest" -type f | sort >"$work/installed"
uninstall() {
  mk uninstall DESTDIR="$dest" PREFIX="$prefix"
  local left
  left=$(find "$dest" ! -type d)
  [[ -z $left ]] || { echo "left behind:"; echo "$left"; return 1; }
}
check "uninstall leaves no file behind" uninstall

# --- make deb ---------------------------------------------------------------
mk deb >"$work/deb.log" 2>&1 ||
  { echo "install-test: FAIL: make deb"; tail -n 40 "$work/deb.log"; exit 1; }
deb=$(tail -n 1 "$work/deb.log")
[[ $deb == /* ]] || deb=$repo/$deb
# One run, for it takes a while: every tag is shown, an error fails.
rc=0
lintian --display-info --fail-on error "$deb" >"$work/lintian.out" 2>&1 || rc=$?
echo "install-test: lintian $(basename "$deb"): exit $rc, $(grep -c '^[EWIPX]: ' "$work/lintian.out") tags"
sed 's/^/  /' "$work/lintian.out"
check "lintian finds no error in $(basename "$deb")" test "$rc" -eq 0
contents() {
  dpkg-deb -c "$deb" >"$work/contents"
  ! grep -v '^[^ ]* root/root ' "$work/contents" || { echo "not root-owned"; return 1; }
  # The same files as make install, under /usr, plus the Debian docs.
  sed -n 's:^-.* \./::p' "$work/contents" | sort >"$work/deb-files"
  sed "s:^$dest$prefix/:usr/:" "$work/installed" |
    cat - <(printf '%s\n' usr/share/doc/iommu-plan/copyright usr/share/doc/iommu-plan/changelog.Debian.gz) |
    sort | diff - "$work/deb-files"
}
check "the package holds what install installs, under /usr, root-owned" contents
extracted() {
  dpkg-deb -x "$deb" "$work/x"
  [[ $("$work/x/usr/bin/iommu-plan" --version) == "$version" ]]
}
check "the package's binary prints --version $version" extracted
depends() {
  dpkg-deb -f "$deb" Depends | tee /dev/stderr |
    grep -E '(^|, )libfdt1( |,|$)' | grep -E '(^|, )device-tree-compiler(,|$)' | grep -qE '(^|, )cpp(,|$)'
}
check "the package depends on libfdt1, device-tree-compiler and cpp" depends

checks_done
