#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Writes a copy of a DTB whose phandles are renumbered, for `iommu-plan diff`.

Every phandle value in the tree is replaced by another one of the same set
(the order is reversed: the smallest becomes the largest), in the `phandle`
and `linux,phandle` properties and in every reference that iommu-plan reads:
the IOMMU bindings (`iommus`, `iommu-map`, `mmu-masters`, walked the way the
kernel walks them) and the supplier properties fw_devlink parses, which the
planner follows (`of_supplier_bindings`: clocks, power-domains, interconnects,
`*-supply`, `*-gpios`, pinctrl-N, interrupt-parent, ...). A property outside
that set keeps its numbers and so points at another node; iommu-plan never
reads one (if it starts to, add it to SUPPLIERS). The blob is rewritten in
place (same size); dtc then decompiles and recompiles it, so the result is a
freshly laid-out blob as well.

A tree and its renumbered copy describe the same IOMMU topology, so
`iommu-plan diff` must find no difference between them.

  renumber_phandles.py IN.dtb OUT.dtb    # prints how many phandles moved
"""

import struct
import subprocess
import sys
import tempfile

BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9

# fw_devlink's supplier bindings (drivers/of/property.c): property -> the
# target's #cells property (None: plain phandles). A missing #cells counts 0.
SUPPLIERS = {
    "clocks": "#clock-cells", "interconnects": "#interconnect-cells",
    "mboxes": "#mbox-cells", "io-channels": "#io-channel-cells",
    "io-backends": "#io-backend-cells", "dmas": "#dma-cells",
    "power-domains": "#power-domain-cells", "hwlocks": "#hwlock-cells", "extcon": None,
    "nvmem-cells": None, "phys": "#phy-cells", "wakeup-parent": None, "pwms": "#pwm-cells",
    "resets": "#reset-cells", "leds": None, "backlight": None, "panel": None,
    "msi-parent": "#msi-cells", "pses": "#pse-cells", "power-supplies": None,
    "gpio": "#gpio-cells", "gpios": "#gpio-cells", "interrupts-extended": "#interrupt-cells",
    "access-controllers": "#access-controller-cells", "interrupt-parent": None,
}
SUPPLIERS.update({"pinctrl-%d" % n: None for n in range(9)})


def supplier_cells(name, props):
    """The #cells property a supplier property's targets carry, or False if it is none."""
    if name in SUPPLIERS:
        return SUPPLIERS[name]
    if name.endswith("-supply"):
        return None
    if (name.endswith("-gpios") or name.endswith("-gpio")) and not name.endswith(",nr-gpios") \
            and "gpio-hog" not in props:
        return "#gpio-cells"
    return False


def parse(blob):
    """Returns [(path, {name: (offset, length)})] in pre-order."""
    magic, _, off_struct, off_strings = struct.unpack_from(">IIII", blob, 0)
    if magic != 0xD00DFEED:
        raise SystemExit("renumber: not a DTB")
    nodes, stack, pos = [], [], off_struct
    while True:
        (token,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if token == BEGIN_NODE:
            end = blob.index(b"\0", pos)
            name = blob[pos:end].decode()
            pos = (end + 4) & ~3
            path = "/" if not stack else (stack[-1][0].rstrip("/") + "/" + name)
            stack.append((path, {}))
            nodes.append(stack[-1])
        elif token == END_NODE:
            stack.pop()
        elif token == PROP:
            length, name_off = struct.unpack_from(">II", blob, pos)
            pos += 8
            name_end = blob.index(b"\0", off_strings + name_off)
            name = blob[off_strings + name_off:name_end].decode()
            stack[-1][1][name] = (pos, length)
            pos = (pos + length + 3) & ~3
        elif token == NOP:
            continue
        elif token == END:
            return nodes
        else:
            raise SystemExit("renumber: bad token %d" % token)


def cells(blob, prop):
    offset, length = prop
    return [struct.unpack_from(">I", blob, offset + 4 * i)[0] for i in range(length // 4)]


def renumber(blob):
    blob = bytearray(blob)
    nodes = parse(blob)
    by_phandle = {}
    for path, props in nodes:
        for name in ("phandle", "linux,phandle"):
            if name in props and props[name][1] == 4:
                by_phandle.setdefault(cells(blob, props[name])[0], props)
    values = sorted(by_phandle)
    moved = dict(zip(values, reversed(values)))

    def put(prop, index, value):
        struct.pack_into(">I", blob, prop[0] + 4 * index, value)

    def first_cell(props, name):
        return cells(blob, props[name])[0] if name in props and props[name][1] >= 4 else None

    def walk(prop, count_name, strict=True):
        """Rewrites the phandles of a phandle+args list, stopping where the kernel
        would: at an unknown phandle, or (strict) a target without `count_name`."""
        values_ = cells(blob, prop)
        i = 0
        while i < len(values_):
            if values_[i] == 0:  # an empty entry
                if strict:
                    return
                i += 1
                continue
            target = by_phandle.get(values_[i])
            if target is None:
                return
            # The kernel resolves the phandle even for an entry it then rejects.
            put(prop, i, moved[values_[i]])
            count = first_cell(target, count_name) if count_name else 0
            if count is None:
                if strict:
                    return
                count = 0
            i += 1 + count

    def walk_map(prop):
        values_ = cells(blob, prop)
        # Fixed 4-cell tuples when every tuple's phandle resolves, else 3 + #iommu-cells.
        if values_ and len(values_) % 4 == 0 and all(
                values_[i + 1] in by_phandle for i in range(0, len(values_), 4)):
            for i in range(0, len(values_), 4):
                put(prop, i + 1, moved[values_[i + 1]])
            return
        i = 0
        while i + 1 < len(values_) and values_[i + 1] in by_phandle:
            out = first_cell(by_phandle[values_[i + 1]], "#iommu-cells")
            put(prop, i + 1, moved[values_[i + 1]])
            i += 3 + (1 if out is None else out)

    for _, props in nodes:
        for name in ("phandle", "linux,phandle"):
            if name in props and props[name][1] == 4:
                old = cells(blob, props[name])[0]
                put(props[name], 0, moved.get(old, old))
        for name, prop in props.items():
            if name == "iommus":
                walk(prop, "#iommu-cells")
            elif name == "mmu-masters":
                walk(prop, "#stream-id-cells")
            elif name == "iommu-map":
                walk_map(prop)
            elif supplier_cells(name, props) is not False:
                walk(prop, supplier_cells(name, props), strict=False)
    return bytes(blob), sum(1 for old, new in moved.items() if old != new)


def main(argv):
    if len(argv) != 3:
        raise SystemExit(__doc__)
    with open(argv[1], "rb") as handle:
        blob, count = renumber(handle.read())
    with tempfile.TemporaryDirectory() as scratch:
        permuted, source = scratch + "/permuted.dtb", scratch + "/permuted.dts"
        with open(permuted, "wb") as handle:
            handle.write(blob)
        # -f: a tree that is broken on purpose (a duplicated phandle) stays broken.
        subprocess.run(["dtc", "-q", "-f", "-I", "dtb", "-O", "dts", "-o", source, permuted],
                       check=True, stderr=subprocess.DEVNULL)
        subprocess.run(["dtc", "-q", "-f", "-I", "dts", "-O", "dtb", "-o", argv[2], source],
                       check=True, stderr=subprocess.DEVNULL)
    print(count)


if __name__ == "__main__":
    main(sys.argv)
