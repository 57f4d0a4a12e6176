// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// Lone and concatenated DTBs, and telling containers apart by content.
@Suite struct TreeContainerTests {
  static func board(_ number: Int) throws -> [UInt8] {
    try Fixtures.blob(source: "/dts-v1/;\n/ { model = \"board \(number)\"; n\(number) { }; };\n")
  }

  static func reason(_ bytes: [UInt8], limits: LoadLimits = .standard) -> String? {
    do {
      _ = try TreeContainer.split(bytes, file: "in.dtb", limits: limits)
      return nil
    } catch {
      #expect(error.file == "in.dtb")
      return error.reason
    }
  }

  @Test func kindFollowsTheMagic() throws {
    #expect(TreeContainer.kind(of: try Self.board(0)) == .blob)
    #expect(TreeContainer.kind(of: TableImageFixture(entries: []).bytes) == .tableImage)
    #expect(TreeContainer.kind(of: Array("/dts-v1/;\n/ { };\n".utf8)) == .other)
    #expect(TreeContainer.kind(of: [0xd0, 0x0d, 0xfe]) == .other)
    #expect(TreeContainer.kind(of: []) == .other)
  }

  @Test func aSingleDTBIsOneTree() throws {
    let blob = try Self.board(0)
    let trees = try TreeContainer.split(blob, file: "in.dtb", limits: .standard)
    #expect(trees == [ContainedTree(index: 0, blob: blob)])
    #expect(trees[0].id == nil && trees[0].revision == nil && trees[0].custom.isEmpty)
  }

  @Test(arguments: [0, 1, 4096])
  func threeConcatenatedDTBsWithZeroPadding(padding: Int) throws {
    let blobs = try (0..<3).map(Self.board)
    let bytes = blobs.flatMap { $0 } + [UInt8](repeating: 0, count: padding)
    let trees = try TreeContainer.split(bytes, file: "in.dtb", limits: .standard)
    #expect(trees.map(\.index) == [0, 1, 2])
    #expect(trees.map(\.blob) == blobs)
    for (number, tree) in trees.enumerated() {
      let parsed = try DeviceTree(blob: tree.blob)
      #expect(parsed.root.property("model")?.string == "board \(number)")
    }
  }

  @Test func aGarbageTailIsRefusedAtItsOffset() throws {
    let blobs = try (0..<3).map(Self.board)
    let end = blobs.map(\.count).reduce(0, +)
    #expect(
      Self.reason(blobs.flatMap { $0 } + [0, 0, 0, 1, 0])
        == "trailing bytes at offset \(hex(end)) after 3 trees are neither a DTB header nor "
        + "zero padding")
    // Padding is accepted only after the last tree.
    #expect(
      Self.reason(blobs[0] + [0, 0, 0, 0] + blobs[1])
        == "trailing bytes at offset \(hex(blobs[0].count)) after 1 tree are neither a DTB "
        + "header nor zero padding")
  }

  @Test func aTotalSizeSmallerThanTheHeader() throws {
    let first = try Self.board(0)
    var second = DamagedBlob(bytes: try Self.board(1))
    second.setWord(at: 4, to: 12)
    #expect(
      Self.reason(first + second.bytes)
        == "tree 1 at offset \(hex(first.count)): totalsize 12 is smaller than the 40-byte header"
    )
  }

  @Test func aTotalSizePastTheEnd() throws {
    let first = try Self.board(0)
    var second = DamagedBlob(bytes: try Self.board(1))
    second.setWord(at: 4, to: 0xffff_ffff)
    #expect(
      Self.reason(first + second.bytes)
        == "tree 1 at offset \(hex(first.count)): totalsize 4294967295 runs past the end of the "
        + "file (\(second.bytes.count) bytes left)")
    let truncated = Array(try Self.board(2).dropLast(8))
    #expect(
      Self.reason(truncated)
        == "tree 0 at offset 0x0: totalsize \(truncated.count + 8) runs past the end of the file "
        + "(\(truncated.count) bytes left)")
    #expect(
      Self.reason(first + Array(first.prefix(20)))
        == "tree 1 at offset \(hex(first.count)): 20 bytes left, shorter than the 40-byte header")
  }

  @Test func theTreeCountIsCapped() throws {
    let blob = try Fixtures.blob(source: "/dts-v1/;\n/ { };\n")
    let cap = TreeContainer.maximumTreeCount
    let full = [[UInt8]](repeating: blob, count: cap).flatMap { $0 }
    #expect(try TreeContainer.split(full, file: "in.dtb", limits: .standard).count == cap)
    #expect(
      Self.reason(full + blob)
        == "tree \(cap) at offset \(hex(full.count)): more than the \(cap)-tree cap")
  }

  @Test func neitherKindIsRefused() throws {
    #expect(Self.reason([]) == "empty file")
    #expect(
      Self.reason(Array("/dts-v1/;".utf8))
        == "neither a DTB nor a DT table image (magic 0x2f647473, expected 0xd00dfeed or "
        + "0xd7b7ab1e)")
  }

  @Test func theInputIsHeldToTheSizeLimit() throws {
    let bytes = try (0..<2).flatMap(Self.board)
    #expect(
      Self.reason(bytes, limits: LoadLimits(maximumInputSize: 100))
        == "\(bytes.count) bytes is larger than the 100-byte limit")
  }
}

func hex(_ value: Int) -> String { "0x" + String(value, radix: 16) }
