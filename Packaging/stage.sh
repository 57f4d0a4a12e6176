#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Lays out what `make install` and `make deb` ship, as under the prefix:
#
#   Packaging/stage.sh BINARY STAGE MANPAGE...
#
# bin/iommu-plan (BINARY), bin/iommu-plan-capture (the POSIX sh script beside
# this one) and its page, share/man/man1/MANPAGE.1.gz for each MANPAGE, and
# the bash, zsh and fish completions that BINARY prints. Run from the package
# root. Environment: SWIFT (default swift), SOURCE_DATE_EPOCH (the man pages'
# date; default now).
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 BINARY STAGE MANPAGE..." >&2; exit 64; }
bin=$1 stage=$2
shift 2
swift=${SWIFT:-swift}
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
  "$stage/share/zsh/vendor-completions" "$stage/share/fish/vendor_completions.d"
install -m 755 "$bin" "$stage/bin/iommu-plan"
# What a running system did, for `iommu-plan verify --root` (POSIX sh), and
# its page, dated as the others.
here=$(dirname "${BASH_SOURCE[0]}")
install -m 755 "$here/iommu-plan-capture" "$stage/bin/iommu-plan-capture"
sed "s/^\.Dd .*/.Dd $date/" "$here/iommu-plan-capture.1" | gzip -9n >"$stage/share/man/man1/iommu-plan-capture.1.gz"

# The plugin writes into the scratch directory, not where it is told; clear
# it so that a page of a command since removed does not come back. Debug,
# because make test builds that anyway, and a release build here would relink
# the release binary without --static-swift-stdlib.
pages=$(dirname "$(dirname "$bin")")/plugins/GenerateManual/outputs/iommu-plan
rm -rf "$pages"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$swift" package plugin generate-manual --configuration debug --multi-page \
  --date "$date" >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
expected=$(printf '%s.1\n' "$@" | LC_ALL=C sort)
written=$(cd "$pages" && ls | LC_ALL=C sort)
if [[ $written != "$expected" ]]; then
  echo "stage: generate-manual wrote pages other than MANPAGES in the Makefile:" >&2
  diff <(echo "$expected") <(echo "$written") >&2 || true
  exit 1
fi
# A subcommand's page is named `iommu-plan "iommu-plan report"`, which man-db's
# whatis parser (and so apropos and lintian) cannot read: NAME gets the page's
# own one-word name, SYNOPSIS and EXIT STATUS keep the command as typed. The
# quotes around the description would land in whatis as they are. -n: no
# name or time stamp in the gzip header, as Debian wants.
for page in "$@"; do
  command=${page//./ }
  sed -e "s/^\.Nm \"$command\"\$/.Nm $page/" -e "s/^\.Nm\$/.Nm \"$command\"/" \
    -e "s/^\.Ex -std\$/.Ex -std \"$command\"/" -e 's/^\.Nd "\(.*\)"$/.Nd \1/' "$pages/$page.1" |
    gzip -9n >"$stage/share/man/man1/$page.1.gz"
done

# Debian's bash-completion loads the file by name; a #! line only draws lintian.
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' \
  >"$stage/share/bash-completion/completions/iommu-plan"
"$bin" --generate-completion-script zsh >"$stage/share/zsh/vendor-completions/_iommu-plan"
"$bin" --generate-completion-script fish >"$stage/share/fish/vendor_completions.d/iommu-plan.fish"
