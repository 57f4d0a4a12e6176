#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Checks one extracted iommu-plan-capture against the kernel's rules.

    check_capture.py DIR --driver ready|late|pending [--fed DTB] [--facts FILE]

DIR is an extracted capture (Packaging/iommu-plan-capture) of a QEMU `virt`
boot whose PCI devices reach their IOMMU through the host bridge's
`iommu-map`. The expectations come from the device tree in the capture
(sys/firmware/fdt) and from --driver, when the IOMMU's driver registered:

  ready    before the consumers' deadline (built in, or its module loaded
           while the deferred-probe timer was pending);
  late     after deferred_probe_timeout had fired;
  pending  not yet, and the timer never fires (deferred_probe_timeout=-1).

The rules (docs/kernel-rules.md §3, §6, §8, §9): a PCI device's requester
ID (bus << 8 | device << 3 | function) is masked with `iommu-map-mask`, then
the first map entry whose window holds it wins; a RID that no entry holds,
or whose entry names a disabled IOMMU, gets no IOMMU; only a device that a
driver matches is configured (a host bridge function has no driver); an
SMMUv3 or virtio-iommu refuses a second device on a stream ID it already
holds, so of the devices that share one exactly one has a group; a device
whose IOMMU registers after the timeout binds without translation; one whose
IOMMU has not registered, with no timeout, stays deferred.

Prints one line per check, "pass<TAB>NAME" or "fail<TAB>NAME<TAB>DETAIL";
--facts writes what the kernel did, one line per PCI device, then the
groups and the deferred list. Exit status 0 when every check passed.
"""

import argparse
import os
import struct
import sys

EXCLUSIVE = {"arm,smmu-v3": "arm-smmu-v3", "virtio,pci-iommu": "virtio-iommu"}


# --- the flattened device tree ----------------------------------------------
def read_fdt(path):
    """{node path: {property: bytes}} of a flattened device tree blob."""
    with open(path, "rb") as f:
        blob = f.read()
    magic, _size, off_struct, off_strings = struct.unpack_from(">IIII", blob, 0)
    if magic != 0xD00DFEED:
        raise ValueError(f"{path}: not a flattened device tree")
    nodes, stack, pos = {}, [], off_struct
    while True:
        (token,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if token == 1:  # FDT_BEGIN_NODE
            end = blob.index(b"\0", pos)
            name = blob[pos:end].decode()
            pos = (end + 4) & ~3
            stack.append(name)
            path = "/" + "/".join(stack[1:])
            nodes[path] = {}
        elif token == 2:  # FDT_END_NODE
            stack.pop()
        elif token == 3:  # FDT_PROP
            length, nameoff = struct.unpack_from(">II", blob, pos)
            pos += 8
            name = blob[off_strings + nameoff : blob.index(b"\0", off_strings + nameoff)].decode()
            nodes["/" + "/".join(stack[1:])][name] = blob[pos : pos + length]
            pos = (pos + length + 3) & ~3
        elif token == 4:  # FDT_NOP
            continue
        elif token == 9:  # FDT_END
            return nodes
        else:
            raise ValueError(f"{path}: bad token {token:#x} at {pos - 4:#x}")


def cells(value):
    return list(struct.unpack(f">{len(value) // 4}I", value[: len(value) // 4 * 4]))


def strings(value):
    return [s.decode() for s in value.split(b"\0") if s]


def available(props):
    status = props.get("status")
    return status is None or strings(status)[:1] in (["okay"], ["ok"])


class Tree:
    def __init__(self, path):
        self.nodes = read_fdt(path)
        self.by_phandle = {}
        for path_, props in self.nodes.items():
            for key in ("phandle", "linux,phandle"):
                if key in props:
                    self.by_phandle[cells(props[key])[0]] = path_
        hosts = [p for p, props in self.nodes.items()
                 if "pci-host-ecam-generic" in strings(props.get("compatible", b""))]
        if len(hosts) != 1:
            raise ValueError(f"expected one pci-host-ecam-generic node, found {hosts}")
        self.host = hosts[0]
        props = self.nodes[self.host]
        raw = cells(props.get("iommu-map", b""))
        self.entries = [tuple(raw[i : i + 4]) for i in range(0, len(raw) - len(raw) % 4, 4)]
        mask = props.get("iommu-map-mask", b"")
        self.mask = cells(mask)[0] if len(mask) >= 4 else 0xFFFFFFFF

    def lookup(self, rid):
        """(IOMMU node, output ID, why) or (None, None, why), as of_map_id()."""
        if not self.entries:
            return None, None, "no iommu-map"
        masked = rid & self.mask
        for base, phandle, out, length in self.entries:
            if base & ~self.mask & 0xFFFFFFFF:
                return None, None, f"iommu-map-mask ignores id-base {base:#x}"
            if base <= masked and masked - base < length:
                node = self.by_phandle.get(phandle)
                if node is None:
                    return None, None, f"phandle {phandle:#x} resolves to nothing"
                return node, (masked - base + out) & 0xFFFFFFFF, f"entry <{base:#x} {out:#x} {length:#x}>"
        return None, None, f"masked RID {masked:#x} is in no entry (a hole)"

    def iommus_users(self):
        return sorted(p for p, props in self.nodes.items() if "iommus" in props)

    def describe(self, node):
        return node.rsplit("/", 1)[-1] or "/"


# --- the capture ------------------------------------------------------------
class Capture:
    def __init__(self, root):
        self.root = root

    def path(self, rel):
        return os.path.join(self.root, rel)

    def link(self, rel):
        p = self.path(rel)
        return os.readlink(p) if os.path.islink(p) else None

    def resolve(self, rel):
        """The folder a link inside the capture points at, relative to it."""
        text = self.link(rel)
        return os.path.normpath(os.path.join(os.path.dirname(rel), text))

    def read(self, rel):
        try:
            with open(self.path(rel)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def devices(self, bus):
        d = self.path(f"sys/bus/{bus}/devices")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def device(self, bus, name):
        folder = self.resolve(f"sys/bus/{bus}/devices/{name}")
        group = self.link(f"{folder}/iommu_group")
        driver = self.link(f"{folder}/driver")
        return {
            "name": name,
            "folder": folder,
            "group": os.path.basename(group) if group else None,
            "driver": os.path.basename(driver) if driver else None,
            "class": (self.read(f"{folder}/class") or "").strip(),
        }

    def deferred(self):
        text = self.read("sys/kernel/debug/devices_deferred")
        if text is None:
            return None
        return [line.split("\t")[0].split()[0] for line in text.splitlines() if line.strip()]

    def groups(self):
        base = self.path("sys/kernel/iommu_groups")
        out = {}
        for g in sorted(os.listdir(base), key=lambda s: (len(s), s)) if os.path.isdir(base) else []:
            members = os.path.join(base, g, "devices")
            out[g] = {
                "type": (self.read(f"sys/kernel/iommu_groups/{g}/type") or "").strip(),
                "devices": sorted(os.listdir(members)) if os.path.isdir(members) else [],
            }
        return out


def rid_of(name):
    """0000:01:00.0 -> 0x100."""
    _domain, bus, devfn = name.split(":")
    dev, fn = devfn.split(".")
    return int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn, 16)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("capture")
    ap.add_argument("--driver", required=True, choices=("ready", "late", "pending"))
    ap.add_argument("--fed", help="the DTB QEMU was given: its map, mask and IOMMU status must be the capture's")
    ap.add_argument("--facts", help="write what the kernel did to this file")
    args = ap.parse_args()

    results = []

    def check(name, ok, detail=""):
        results.append((name, bool(ok), detail))

    cap = Capture(args.capture)
    fdt = cap.path("sys/firmware/fdt")
    if not os.path.isfile(fdt):
        print("fail\tthe capture holds sys/firmware/fdt\tmissing")
        return 1
    tree = Tree(fdt)
    targets = {node for node in (tree.by_phandle.get(e[1]) for e in tree.entries) if node}

    if args.fed:
        fed = Tree(args.fed)
        same = (fed.entries, fed.mask) == (tree.entries, tree.mask) and all(
            available(fed.nodes.get(t, {})) == available(tree.nodes[t]) for t in targets)
        check("the captured device tree has the map, mask and IOMMU status QEMU was given", same,
              f"fed {fed.entries} mask {fed.mask:#x}, captured {tree.entries} mask {tree.mask:#x}")

    pci = [cap.device("pci", n) for n in cap.devices("pci")]
    platform = [cap.device("platform", n) for n in cap.devices("platform")]
    deferred = cap.deferred()
    groups = cap.groups()
    check("the capture holds PCI devices and the deferred list", pci and deferred is not None,
          f"{len(pci)} PCI devices, deferred list {'missing' if deferred is None else 'present'}")
    deferred = deferred or []

    # Platform devices: no node has `iommus`, so none has a group.
    users = tree.iommus_users()
    grouped = [d["name"] for d in platform if d["group"]]
    check("no platform device has an IOMMU group (no node has iommus)", not users and not grouped,
          f"iommus on {users}, groups on {grouped}")

    # Each PCI device: what the map gives it, and what it must show.
    plan = []
    for d in pci:
        rid = rid_of(d["name"])
        node, out, why = tree.lookup(rid)
        d.update(rid=rid, iommu=node, id=out, why=why)
        d["consumer"] = not d["class"].startswith("0x0600")  # a host bridge function has no driver
        if node is not None and not available(tree.nodes[node]):
            d["why"] = f"{why} names {tree.describe(node)}, which is disabled"
            d["iommu"] = None
        plan.append(d)

    sharers = {}
    for d in plan:
        if d["consumer"] and d["iommu"] is not None:
            sharers.setdefault((d["iommu"], d["id"]), []).append(d)

    for d in plan:
        label = f"{d['name']} (RID {d['rid']:#x}"
        label += f" -> {tree.describe(d['iommu'])} ID {d['id']:#x})" if d["iommu"] else f": {d['why']})"
        got = f"driver {d['driver']}, group {d['group']}, {'deferred' if d['name'] in deferred else 'not deferred'}"
        if not d["consumer"]:
            check(f"{label}: a host bridge function, no driver: no group, not deferred",
                  d["group"] is None and d["name"] not in deferred, got)
        elif d["iommu"] is None:
            check(f"{label}: bound without a group", d["driver"] and d["group"] is None and d["name"] not in deferred, got)
        elif args.driver == "late":
            check(f"{label}: its IOMMU registered after the timeout: bound without a group",
                  d["driver"] and d["group"] is None and d["name"] not in deferred, got)
        elif args.driver == "pending":
            check(f"{label}: its IOMMU has not registered, no timeout: deferred, not bound",
                  d["driver"] is None and d["group"] is None and d["name"] in deferred, got)
        elif len(sharers[(d["iommu"], d["id"])]) == 1:
            check(f"{label}: bound with a group", d["driver"] and d["group"] is not None
                  and d["name"] not in deferred, got)
        else:
            check(f"{label}: bound, shares its stream ID", d["driver"] and d["name"] not in deferred, got)

    if args.driver == "ready":
        for (node, out), ds in sorted(sharers.items(), key=lambda kv: kv[0][1]):
            if len(ds) < 2:
                continue
            names = ", ".join(d["name"] for d in ds)
            with_group = [d["name"] for d in ds if d["group"]]
            exclusive = any(c in EXCLUSIVE for c in strings(tree.nodes[node].get("compatible", b"")))
            check(f"{names} share ID {out:#x} on {tree.describe(node)}, which refuses a second "
                  f"device: exactly one has a group", not exclusive or len(with_group) == 1,
                  f"groups on {with_group}")

    if args.driver != "pending":
        check("nothing is deferred", not deferred, f"deferred: {deferred}")
    else:
        stray = [n for n in deferred if n not in {d["name"] for d in plan if d["consumer"] and d["iommu"]}]
        check("only the devices waiting for the IOMMU are deferred", deferred and not stray,
              f"deferred: {deferred}")

    # The groups agree with the devices' links, and are translated domains.
    members = {m: g for g, info in groups.items() for m in info["devices"]}
    linked = {d["name"]: d["group"] for d in pci + platform if d["group"]}
    check("every group member links back to its group, and only those", members == linked,
          f"groups list {members}, devices link {linked}")
    types = {g: info["type"] for g, info in groups.items()}
    check("every group has a translated default domain (DMA or DMA-FQ)",
          all(t in ("DMA", "DMA-FQ") for t in types.values()), f"types {types}")

    if args.facts:
        with open(args.facts, "w") as f:
            f.write(f"kernel {(cap.read('proc/sys/kernel/osrelease') or '?').strip()}\n")
            f.write(f"cmdline {(cap.read('proc/cmdline') or '?').strip()}\n")
            mask = f", iommu-map-mask {tree.mask:#x}" if tree.mask != 0xFFFFFFFF else ""
            f.write(f"{tree.host} iommu-map {' '.join(f'<{b:#x} {tree.describe(tree.by_phandle.get(p, str(p)))} {o:#x} {n:#x}>' for b, p, o, n in tree.entries)}{mask}\n")
            for d in plan:
                where = f"{tree.describe(d['iommu'])} ID {d['id']:#x}" if d["iommu"] else d["why"]
                f.write(f"{d['name']} RID {d['rid']:#06x} class {d['class']} driver {d['driver'] or '-'} "
                        f"group {d['group'] or '-'}{' DEFERRED' if d['name'] in deferred else ''} ({where})\n")
            for g, info in groups.items():
                f.write(f"group {g} {info['type']}: {' '.join(info['devices'])}\n")
            f.write(f"deferred: {' '.join(deferred) or '(none)'}\n")
            f.write(f"modules: {' '.join(sorted(l.split()[0] for l in (cap.read('proc/modules') or '').splitlines()))}\n")

    for name, ok, detail in results:
        print(f"pass\t{name}" if ok else f"fail\t{name}\t{detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
