// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Edits that keep the blob well formed and change what the tree says:
/// nodes, phandles and the IOMMU properties, with values chosen from the
/// cases the bindings distinguish (empty entries, unknown phandles, cell
/// counts around 16, stream IDs and rid-bases near 2^32, masks, cycles).
enum TreeMutations {
  static func apply(_ blob: [UInt8], _ random: inout SplitMix) -> [UInt8]? {
    guard var tree = FlatTree.parse(blob) else { return nil }
    for _ in 0...random.below(3) { mutate(&tree, &random) }
    return tree.serialized(version: random.chance(5) ? 16 : 17)
  }

  static func mutate(_ tree: inout FlatTree, _ random: inout SplitMix) {
    let node = random.below(tree.entries.count)
    switch random.below(14) {
    case 0, 1, 2:
      let name = random.pick(Vocabulary.propertyNames, or: "iommus")
      set(&tree, node, name, value(for: name, tree, &random))
    case 3:
      if !tree.entries[node].properties.isEmpty {
        tree.entries[node].properties.remove(
          at: random.below(tree.entries[node].properties.count))
      }
    case 4:
      resizeValue(&tree, node, &random)
    case 5:
      if node > 0 { tree.entries[node].name = random.pick(Vocabulary.nodeNames, or: []) }
    case 6:
      addChild(&tree, below: node, &random)
    case 7:
      let range = tree.subtree(node)
      if node > 0 { tree.entries.insert(contentsOf: tree.entries[range], at: range.upperBound) }
    case 8:
      if node > 0 { tree.entries.removeSubrange(tree.subtree(node)) }
    case 9:
      deepen(&tree, node, by: random.pick([1, 2, 8, 60, 61, 62, 63, 64, 70], or: 1))
    case 10:
      makeIOMMU(&tree, node, &random)
    case 11:
      makeCycle(&tree, &random)
    case 12:
      makePCIHost(&tree, node, &random)
    default:
      let phandle = random.pick(tree.phandles, or: 1)
      set(&tree, node, random.chance(80) ? "phandle" : "linux,phandle", Blob.cells([phandle]))
    }
  }

  /// Replaces the first property of that name, or adds it; now and then adds
  /// a second one (the kernel and libfdt read the first).
  static func set(_ tree: inout FlatTree, _ node: Int, _ name: String, _ value: [UInt8]) {
    let key = Array(name.utf8)
    let property = FlatTree.Property(name: key, value: value)
    if let index = tree.entries[node].properties.firstIndex(where: { $0.name == key }),
      value.count % 7 != 3
    {
      tree.entries[node].properties[index] = property
    } else {
      tree.entries[node].properties.append(property)
    }
  }

  static func value(for name: String, _ tree: FlatTree, _ random: inout SplitMix) -> [UInt8] {
    switch name {
    case "iommus", "mmu-masters":
      return phandleList(tree, &random)
    case "iommu-map":
      return iommuMap(tree, &random)
    case "iommu-map-mask", "#iommu-cells", "#stream-id-cells", "#address-cells", "#size-cells":
      let cell = random.chance(50) ? UInt32(random.below(4)) : random.interesting()
      let bytes = Blob.cells([cell, random.interesting()])
      return Array(bytes.prefix(random.pick([4, 4, 4, 0, 2, 8], or: 4)))
    case "phandle", "linux,phandle":
      return Blob.cells([
        random.chance(70) ? random.pick(tree.phandles, or: 1) : random.interesting()
      ])
    case "compatible":
      var bytes: [UInt8] = []
      for _ in 0...random.below(3) {
        bytes +=
          random.chance(90)
          ? Array(random.pick(Vocabulary.compatibles, or: "").utf8) + [0]
          : random.pick(Vocabulary.strings, or: [])
      }
      return bytes
    case "device_type":
      return random.pick([Array("pci\0".utf8), Array("pci".utf8), Array("pciex\0".utf8)], or: [])
    case "reg":
      // A PCI address: phys.hi carries bus, device and function (the RID).
      let rid = UInt32(random.below(0x1_0000))
      return Blob.cells([rid << 8, 0, 0, 0, 0])
    default:
      return random.pick(Vocabulary.strings, or: [])
    }
  }

  /// `iommus` / `mmu-masters`: phandles (known, 0, unknown) each followed by
  /// a number of cells that may or may not match the target's.
  static func phandleList(_ tree: FlatTree, _ random: inout SplitMix) -> [UInt8] {
    var cells: [UInt32] = []
    for _ in 0...random.below(6) {
      let phandle =
        random.chance(80)
        ? random.pick(tree.phandles, or: 1) : random.pick([0, 0xffff_ffff], or: 0)
      cells.append(phandle)
      let count = random.chance(85) ? random.below(3) : random.pick([16, 17, 20], or: 0)
      for _ in 0..<count { cells.append(random.interesting()) }
    }
    if random.chance(5) {
      let entry = Array(cells.prefix(2))
      for _ in 0..<random.below(2048) { cells += entry }
    }
    var bytes = Blob.cells(cells)
    if random.chance(5) { bytes += [0, 0] }
    return bytes
  }

  /// `iommu-map`: (rid-base, phandle, output cells, length) entries with
  /// one to three output cells, so both kernel layouts disagree now and then.
  static func iommuMap(_ tree: FlatTree, _ random: inout SplitMix) -> [UInt8] {
    var cells: [UInt32] = []
    let outputs = random.chance(70) ? 1 : 1 + random.below(3)
    for _ in 0...random.below(5) {
      cells.append(random.chance(50) ? UInt32(random.below(4)) << 8 : random.interesting())
      cells.append(random.chance(85) ? random.pick(tree.phandles, or: 1) : random.interesting())
      for _ in 0..<outputs { cells.append(random.interesting()) }
      cells.append(
        random.chance(40) ? random.pick([0, 1, 0x100, 0x1_0000], or: 1) : random.interesting())
    }
    return Blob.cells(random.chance(10) ? Array(cells.dropLast(random.below(3))) : cells)
  }

  static func resizeValue(_ tree: inout FlatTree, _ node: Int, _ random: inout SplitMix) {
    guard !tree.entries[node].properties.isEmpty else { return }
    let index = random.below(tree.entries[node].properties.count)
    var value = tree.entries[node].properties[index].value
    if random.chance(50) && !value.isEmpty {
      value.removeLast(min(value.count, 1 + random.below(4)))
    } else {
      for _ in 0...random.below(4) { value.append(UInt8(truncatingIfNeeded: random.next())) }
    }
    tree.entries[node].properties[index].value = value
  }

  static func addChild(_ tree: inout FlatTree, below node: Int, _ random: inout SplitMix) {
    let phandle = UInt32(1 + random.below(0x40))
    var child = FlatTree.Entry(
      depth: tree.entries[node].depth + 1,
      name: Array("dev@\(String(random.below(0x10_0000), radix: 16))".utf8), properties: [])
    child.properties.append(
      FlatTree.Property(name: Array("phandle".utf8), value: Blob.cells([phandle])))
    let name = random.pick(["iommus", "#iommu-cells", "iommu-map", "mmu-masters"], or: "iommus")
    child.properties.append(
      FlatTree.Property(name: Array(name.utf8), value: value(for: name, tree, &random)))
    tree.entries.insert(child, at: tree.subtree(node).upperBound)
  }

  /// Pushes a subtree `levels` deeper under a chain of new nodes, around
  /// the kernel's 64-level limit.
  static func deepen(_ tree: inout FlatTree, _ node: Int, by levels: Int) {
    guard node > 0 else { return }
    let range = tree.subtree(node)
    for index in range { tree.entries[index].depth += levels }
    let base = tree.entries[node].depth - levels
    let chain = (0..<levels).map { level in
      FlatTree.Entry(depth: base + level, name: Array("n\(level)".utf8), properties: [])
    }
    tree.entries.insert(contentsOf: chain, at: node)
  }

  static func makeIOMMU(_ tree: inout FlatTree, _ node: Int, _ random: inout SplitMix) {
    let compatible = random.pick(Vocabulary.compatibles, or: "arm,mmu-500")
    set(&tree, node, "compatible", Array(compatible.utf8) + [0])
    set(&tree, node, "#iommu-cells", Blob.cells([UInt32(random.below(3))]))
    if !tree.entries[node].properties.contains(where: { $0.name == Array("phandle".utf8) }) {
      set(&tree, node, "phandle", Blob.cells([UInt32(0x100 + node)]))
    }
  }

  /// Two IOMMUs that reference each other, or one that references itself.
  static func makeCycle(_ tree: inout FlatTree, _ random: inout SplitMix) {
    let first = random.below(tree.entries.count)
    let second = random.chance(30) ? first : random.below(tree.entries.count)
    for (node, target) in [(first, second), (second, first)] {
      set(&tree, node, "#iommu-cells", Blob.cells([0]))
      set(&tree, node, "phandle", Blob.cells([UInt32(0x200 + node)]))
      set(&tree, node, "iommus", Blob.cells([UInt32(0x200 + target)]))
    }
  }

  /// A PCI host bridge with an `iommu-map`, and a child that sits at a RID
  /// the map covers (the virtio-iommu shape).
  static func makePCIHost(_ tree: inout FlatTree, _ node: Int, _ random: inout SplitMix) {
    let rid = UInt32(random.below(0x100))
    let child = FlatTree.Entry(
      depth: tree.entries[node].depth + 1, name: Array("iommu@\(rid)".utf8),
      properties: [
        FlatTree.Property(name: Array("reg".utf8), value: Blob.cells([rid << 8, 0, 0, 0, 0])),
        FlatTree.Property(name: Array("#iommu-cells".utf8), value: Blob.cells([1])),
        FlatTree.Property(
          name: Array("compatible".utf8), value: Array("virtio,pci-iommu\0".utf8)),
        FlatTree.Property(name: Array("phandle".utf8), value: Blob.cells([0x300 + rid])),
      ])
    tree.entries.insert(child, at: tree.subtree(node).upperBound)
    set(&tree, node, "device_type", Array("pci\0".utf8))
    set(&tree, node, "#address-cells", Blob.cells([3]))
    set(&tree, node, "iommu-map", iommuMap(tree, &random))
    if random.chance(50) { set(&tree, node, "iommu-map-mask", Blob.cells([random.interesting()])) }
  }
}
