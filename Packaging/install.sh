#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Copies the staged files (Packaging/stage.sh) under a prefix, creating the
# folders they need:
#
#   Packaging/install.sh STAGE DEST FILE...
#
# FILE is relative to both; bin/* are executables. `make install` passes
# DEST=$(DESTDIR)$(PREFIX) and the Makefile's INSTALLED, which uninstall
# removes again.
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 STAGE DEST FILE..." >&2; exit 64; }
stage=$1 dest=$2
shift 2
for file in "$@"; do
  mode=644
  [[ $file == bin/* ]] && mode=755
  install -D -m "$mode" "$stage/$file" "$dest/$file"
done
