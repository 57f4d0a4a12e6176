// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import CFuzz
import IOMMUPlan

// Implementation notes
//
// libFuzzer's byte-level moves rarely get past the FDT header and never
// produce a well-formed tree with a new `iommus` entry in it, so the mutator
// knows both layers:
// - TreeMutations parses the blob into a FlatTree, edits nodes and IOMMU
//   properties (values built from the bindings' interesting cases), and
//   writes a well-formed blob back: this is what reaches IOMMUPlan.
// - LayoutMutations damages a blob where libfdt and our loader look: header
//   fields, tokens, property lengths, name offsets, terminators, overlapping
//   or truncated blocks.
// A share of the calls stays with libFuzzer's own mutator. Randomness comes
// only from the seed libFuzzer passes, so every step can be replayed.

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(
  _ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: CUnsignedInt
) -> Int {
  guard let data else { return 0 }
  var random = SplitMix(seed: UInt64(seed))
  let input = [UInt8](UnsafeBufferPointer(start: data, count: size))
  let output: [UInt8]?
  switch random.below(100) {
  case 0..<20:
    output = nil
  case 20..<40:
    output = LayoutMutations.apply(input, &random)
  default:
    let blob = TreeMutations.apply(input, &random)
    output = random.chance(10) ? blob.flatMap { LayoutMutations.apply($0, &random) } : blob
  }
  guard let output, !output.isEmpty, output.count <= maxSize else {
    return LLVMFuzzerMutate(data, size, maxSize)
  }
  output.withUnsafeBufferPointer { buffer in
    guard let base = buffer.baseAddress else { return }
    data.update(from: base, count: buffer.count)
  }
  return output.count
}

/// SplitMix64: small, fast, and good enough to pick mutations.
struct SplitMix {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var value = state
    value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
    value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
    return value ^ (value >> 31)
  }

  /// 0..<bound; 0 when bound is not positive.
  mutating func below(_ bound: Int) -> Int {
    bound > 0 ? Int(next() % UInt64(bound)) : 0
  }

  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

  mutating func pick<T>(_ items: [T], or fallback: T) -> T {
    items.isEmpty ? fallback : items[below(items.count)]
  }

  /// A 32-bit value from the edges the bindings' arithmetic cares about.
  mutating func interesting() -> UInt32 {
    if chance(25) { return UInt32(truncatingIfNeeded: next()) }
    return pick(Self.edges, or: 0)
  }

  static let edges: [UInt32] = [
    0, 1, 2, 3, 4, 8, 15, 16, 17, 20, 0x80, 0xff, 0x100, 0xfff, 0xffff, 0x1_0000, 0x10_0000,
    0x7fff_ffff, 0x8000_0000, 0xffff_0000, 0xffff_fff0, 0xffff_fffc, 0xffff_fffe, 0xffff_ffff,
  ]
}

/// The compatible strings, names and property names the mutator draws from.
enum Vocabulary {
  static let compatibles: [String] =
    IOMMUDriver.all.flatMap(\.compatibles) + ["simple-bus", "pci-host-ecam-generic", "example,dev"]

  static let propertyNames = [
    "iommus", "iommu-map", "iommu-map-mask", "mmu-masters", "#iommu-cells", "#stream-id-cells",
    "status", "phandle", "linux,phandle", "compatible", "device_type", "reg", "#address-cells",
    "#size-cells", "model",
  ]

  /// Node names, including the ones no dtc would write.
  static let nodeNames: [[UInt8]] =
    ["iommu@1000", "smmu@2000", "dev@3000", "pci@10000", "usb@a600000", "__symbols__", "x"]
    .map { Array($0.utf8) } + [
      [], Array("a/b".utf8), Array("bad\nname".utf8), Array("esc\u{1b}[31m".utf8),
      [0xff, 0xfe, 0x40, 0x31], [UInt8](repeating: 0x61, count: 300), Array("@".utf8),
    ]

  /// Strings for `status`, `model` and `compatible`, hostile ones included.
  static let strings: [[UInt8]] =
    ["okay", "ok", "disabled", "fail", "", "reserved"].map { Array($0.utf8) + [0] } + [
      Array("okay".utf8), Array("ok\0junk\0".utf8), Array("line\nbreak\0".utf8),
      [0xe2, 0x80, 0xa8, 0x00], [0xc0, 0x80, 0x00], [UInt8](repeating: 0x6f, count: 5000) + [0],
    ]
}
