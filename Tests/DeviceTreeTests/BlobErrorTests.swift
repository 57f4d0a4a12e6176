// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// Broken blobs are made by damaging a blob dtc produced, never by hand.
@Suite struct BlobErrorTests {
  let good: [UInt8]

  init() throws {
    good = try Fixtures.blob(source: "/dts-v1/;\n/ { node { prop = <1 2 3>; }; };\n")
  }

  func reason(_ bytes: [UInt8]) -> String? {
    do {
      _ = try DeviceTree(blob: bytes)
      return nil
    } catch {
      return error.reason
    }
  }

  func setWord(_ bytes: inout [UInt8], at offset: Int, to value: UInt32) {
    for index in 0..<4 {
      bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index))
    }
  }

  @Test func aGoodBlobLoadsAtAnyAlignment() throws {
    // Array storage is not guaranteed 8-byte aligned; the loader copies anyway.
    var padded = [UInt8](repeating: 0, count: 4) + good
    let tree = try padded.withUnsafeMutableBufferPointer { buffer in
      try DeviceTree(blob: Array(buffer[4...]))
    }
    #expect(tree.node(path: "/node") != nil)
    padded.removeAll()
  }

  @Test func badMagic() {
    var bytes = good
    bytes[0] = 0x7f
    #expect(reason(bytes)?.hasPrefix("bad magic 0x7f0dfeed") == true)
  }

  @Test func truncated() {
    #expect(reason(Array(good.prefix(good.count - 8)))?.hasPrefix("truncated: header says") == true)
    #expect(reason(Array(good.prefix(6)))?.hasPrefix("truncated") == true)
  }

  @Test func badStructureOffset() {
    var bytes = good
    setWord(&bytes, at: 8, to: UInt32(good.count + 64))
    #expect(reason(bytes)?.hasPrefix("bad structure block offset") == true)
  }

  var structureOffset: Int {
    Int(good[8]) << 24 | Int(good[9]) << 16 | Int(good[10]) << 8 | Int(good[11])
  }

  @Test func aStructureWithoutARootIsRejected() {
    // libfdt 1.6.1's fdt_check_full accepts FDT_END as the first token; the
    // walk must still refuse a tree with no root.
    var bytes = good
    setWord(&bytes, at: structureOffset, to: 9)
    #expect(reason(bytes) == "the structure block holds no root node")
  }

  @Test func aPropertyRunningPastTheBlockIsCaughtByLibfdt() throws {
    // Root BEGIN_NODE (8 bytes), "node" BEGIN_NODE (12 bytes), then the
    // FDT_PROP token of "prop" and its length word.
    var bytes = good
    #expect(bytes[structureOffset + 23] == 3)
    setWord(&bytes, at: structureOffset + 24, to: 0x10000)
    #expect(
      reason(bytes)
        == "the property at structure offset 0x14 says it holds 65536 bytes, past the end of "
        + "the structure block (FDT_ERR_BADSTRUCTURE)")
  }

  @Test func unsupportedVersion() {
    var bytes = good
    setWord(&bytes, at: 24, to: 18)
    #expect(reason(bytes)?.hasPrefix("unsupported FDT version") == true)
  }

  @Test func loadErrorsNameTheFile() throws {
    #expect(throws: LoadError(file: "/nonexistent.dtb", reason: "no such file")) {
      try TreeFile("/nonexistent.dtb").load()
    }
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let empty = directory.appendingPathComponent("empty.dtb")
    try Data().write(to: empty)
    #expect(throws: LoadError(file: empty.path, reason: "empty file")) {
      try TreeFile(empty.path).load()
    }
  }
}
