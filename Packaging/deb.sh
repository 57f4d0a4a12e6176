#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Builds BUILD/iommu-plan_<version>_<arch>.deb from the staged files
# (Packaging/stage.sh), installed under /usr as `make install` would:
#
#   Packaging/deb.sh STAGE BUILD FILE...
#
# The version is the binary's --version, the architecture dpkg's; Depends
# are the shared libraries dpkg-shlibdeps finds (libfdt1 among them), dtc for
# .dts input, and cpp, which kernel sources need for their #include lines. Environment: SOURCE_DATE_EPOCH (the changelog's
# date and the files' times; default now), DEBFULLNAME and DEBEMAIL (the
# Maintainer, as dch takes them; default git's user).
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 STAGE BUILD FILE..." >&2; exit 64; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stage=$1 build=$2
shift 2

version=$("$stage/bin/iommu-plan" --version)
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
name=${DEBFULLNAME:-$(git config user.name 2>/dev/null || echo "The iommu-plan authors")}
email=${DEBEMAIL:-$(git config user.email 2>/dev/null || echo "iommu-plan@example.org")}
deb=$build/iommu-plan_${version}_${arch}.deb

work=$(cd "$build" && pwd)/deb
root=$work/root
rm -rf "$work"
mkdir -p "$root/DEBIAN" "$work/shlibs/debian"
"$here/install.sh" "$stage" "$root/usr" "$@"
# What dh_strip does: the symbols only serve a debugger, and lintian asks.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/iommu-plan"

doc=$root/usr/share/doc/iommu-plan
install -D -m 644 "$here/copyright" "$doc/copyright"
gzip -9n >"$doc/changelog.Debian.gz" <<EOF
iommu-plan ($version) unstable; urgency=medium

  * Packaged from the iommu-plan $version source tree by make deb.

 -- $name <$email>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
chmod 644 "$doc/changelog.Debian.gz"

# dpkg-shlibdeps reads debian/control from where it runs, so it gets a stub.
printf 'Source: iommu-plan\n\nPackage: iommu-plan\nArchitecture: any\n' >"$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/iommu-plan")
shlibs=${shlibs#shlibs:Depends=}
[[ $shlibs == *libfdt1* ]] || { echo "deb: dpkg-shlibdeps found no libfdt1: $shlibs" >&2; exit 1; }

cat >"$root/DEBIAN/control" <<EOF
Package: iommu-plan
Version: $version
Architecture: $arch
Maintainer: $name <$email>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $shlibs, device-tree-compiler, cpp
Section: utils
Priority: optional
Description: plan IOMMU probe order from Linux device trees
 iommu-plan reads a device tree (a .dtb, or a .dts it compiles with dtc) and
 tells, before boot, which devices sit behind which IOMMU and with which
 stream IDs, exactly as the kernel parses the iommus, iommu-map and legacy
 mmu-masters bindings, and what is wrong with those properties.
 .
 For a given kernel build it plans which devices defer until which IOMMU
 module loads, the order modules must load in, and what the initramfs needs
 for a boot device. It also lints trees in bulk (text, JSON, SARIF and
 GitHub annotations) and compares two trees.
EOF
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
