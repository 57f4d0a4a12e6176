// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// Android DT table images (mkdtboimg.py's layout): what each entry says is
/// read back, and every header or entry that points outside the image, or
/// at something other than one DTB, is refused with its own message.
@Suite struct TableImageTests {
  let boards: [[UInt8]]

  init() throws {
    boards = try (0..<2).map { number in
      try Fixtures.blob(source: "/dts-v1/;\n/ { model = \"board \(number)\"; };\n")
    }
  }

  /// Three entries, the first and last naming the same blob.
  var image: TableImageFixture {
    TableImageFixture(entries: [
      .init(blob: boards[0], id: 0x10, revision: 1, words: [1, 2, 3, 4]),
      .init(blob: boards[1], id: 0x20, revision: 2, words: [5, 6, 7, 8]),
      .init(blob: boards[0], id: 0x30, revision: 3, words: [9, 10, 11, 12]),
    ])
  }

  func reason(_ bytes: [UInt8], limits: LoadLimits = .standard) -> String? {
    do {
      _ = try TreeContainer.split(bytes, file: "dtbo.img", limits: limits)
      return nil
    } catch {
      #expect(error.file == "dtbo.img")
      return error.reason
    }
  }

  func damaged(_ changes: [(Int, UInt32)], image: TableImageFixture? = nil) -> [UInt8] {
    var bytes = DamagedBlob(bytes: (image ?? self.image).bytes)
    for (offset, value) in changes { bytes.setWord(at: offset, to: value) }
    return bytes.bytes
  }

  @Test func version0EntriesReadBack() throws {
    let bytes = image.bytes
    #expect(TreeContainer.kind(of: bytes) == .tableImage)
    let trees = try TreeContainer.split(bytes, file: "dtbo.img", limits: .standard)
    #expect(trees.map(\.index) == [0, 1, 2])
    #expect(trees.map(\.id) == [0x10, 0x20, 0x30])
    #expect(trees.map(\.revision) == [1, 2, 3])
    #expect(trees.map(\.custom) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    #expect(trees.map(\.flags) == [nil, nil, nil])
    #expect(trees.map(\.blob) == [boards[0], boards[1], boards[0]])
    // The first and last entries share one range, as mkdtboimg.py writes a
    // file named twice.
    let image = DamagedBlob(bytes: bytes)
    let offsets = (0..<3).map { image.word(at: TableImageFixture.entryOffset($0) + 4) }
    #expect(offsets[0] == offsets[2] && offsets[0] != offsets[1])
    #expect(try DeviceTree(blob: trees[1].blob).root.property("model")?.string == "board 1")
  }

  @Test func version1ReadsFlagsApart() throws {
    var image = self.image
    image.version = 1
    image.entries[0].words = [0, 2, 3, 4]
    image.entries[1].words = [0x100, 7, 8, 9]
    image.entries[2].words = [0xfff0, 10, 11, 12]
    let trees = try TreeContainer.split(image.bytes, file: "dtbo.img", limits: .standard)
    #expect(trees.map(\.flags) == [0, 0x100, 0xfff0])
    #expect(trees.map(\.custom) == [[2, 3, 4], [7, 8, 9], [10, 11, 12]])
  }

  @Test(arguments: [
    (UInt32(1), "zlib (flags 0x1)"), (0x102, "gzip (flags 0x102)"),
    (7, "unknown compression 7 (flags 0x7)"),
  ])
  func aCompressedEntryIsRefused(flags: UInt32, what: String) throws {
    var image = self.image
    image.version = 1
    image.entries = image.entries.map { .init(blob: $0.blob, words: [0, 0, 0, 0]) }
    image.entries[1].words = [flags, 0, 0, 0]
    #expect(
      reason(image.bytes)
        == "compressed DT table entry 1: \(what) is not supported; extract it uncompressed "
        + "first (mkdtboimg.py dump --dtb FILE --decompress)")
  }

  @Test func anEntryLongerThanItsDTBGivesTheDTB() throws {
    var bytes = DamagedBlob(bytes: image.bytes)
    let entry = TableImageFixture.entryOffset(1)
    // Entry 1's blob is the last; let it claim 8 bytes of padding.
    bytes.bytes += [UInt8](repeating: 0, count: 8)
    bytes.setWord(at: 4, to: UInt32(bytes.bytes.count))
    bytes.setWord(at: entry, to: bytes.word(at: entry) + 8)
    let trees = try TreeContainer.split(bytes.bytes, file: "dtbo.img", limits: .standard)
    #expect(trees[1].blob == boards[1])
  }

  @Test func bytesPastTotalSizeAreIgnored() throws {
    let padded = image.bytes + [UInt8](repeating: 0xff, count: 4096)
    #expect(try TreeContainer.split(padded, file: "dtbo.img", limits: .standard).count == 3)
  }

  @Test func malformedHeaders() throws {
    let bytes = image.bytes
    let total = bytes.count
    let bad = "bad DT table image header:"
    #expect(
      reason(Array(bytes.prefix(20)))
        == "truncated DT table image: 20 bytes, shorter than its 32-byte header")
    #expect(reason(damaged([(28, 2)])) == "unsupported DT table image version 2 (expected 0 or 1)")
    #expect(
      reason(damaged([(8, 16)])) == "\(bad) header_size 16 is smaller than the 32-byte header")
    #expect(
      reason(damaged([(12, 16)])) == "\(bad) dt_entry_size 16 is smaller than the 32-byte entry")
    #expect(
      reason(damaged([(4, UInt32(total + 1))]))
        == "truncated DT table image: total_size says \(total + 1) bytes, the file has \(total)")
    #expect(
      reason(damaged([(4, 16)])) == "\(bad) total_size 16 is smaller than header_size 32")
    #expect(
      reason(damaged([(20, 16)])) == "\(bad) dt_entries_offset 0x10 is inside the 32-byte header")
    #expect(
      reason(damaged([(16, 0)])) == "empty DT table image: dt_entry_count is 0")
    // The table itself runs past total_size.
    #expect(
      reason(damaged([(16, 40)]))
        == "\(bad) dt_entry_count 40 entries of 32 bytes at offset 0x20 run past total_size "
        + "\(total)")
    #expect(
      reason(damaged([(12, 0x1000_0000)]))
        == "\(bad) dt_entry_count 3 entries of 268435456 bytes at offset 0x20 run past "
        + "total_size \(total)")
  }

  @Test func theImageIsHeldToTheSizeLimit() throws {
    let bytes = image.bytes
    #expect(
      reason(bytes, limits: LoadLimits(maximumInputSize: 64))
        == "\(bytes.count) bytes is larger than the 64-byte limit")
  }

  @Test(.timeLimit(.minutes(1)))
  func anEntryCountOf0xffffffffIsRefusedAtOnce() throws {
    let bytes = damaged([(16, 0xffff_ffff)])
    let clock = ContinuousClock()
    var message: String?
    let elapsed = clock.measure { message = reason(bytes) }
    #expect(
      message
        == "bad DT table image header: dt_entry_count 4294967295 entries of 32 bytes at offset "
        + "0x20 run past total_size \(bytes.count)")
    #expect(elapsed < .milliseconds(100))
  }

  @Test func theEntryCountIsCapped() throws {
    let cap = TreeContainer.maximumTreeCount
    // A table big enough for cap + 1 entries, so only the cap refuses it.
    var bytes = DamagedBlob(bytes: image.bytes)
    bytes.bytes += [UInt8](repeating: 0, count: (cap + 1) * TableImageFixture.entrySize)
    bytes.setWord(at: 4, to: UInt32(bytes.bytes.count))
    bytes.setWord(at: 16, to: UInt32(cap + 1))
    #expect(
      reason(bytes.bytes)
        == "bad DT table image header: dt_entry_count \(cap + 1) is over the \(cap)-entry cap")
  }

  @Test func malformedEntries() throws {
    let total = image.bytes.count
    let entry = TableImageFixture.entryOffset(1)
    let tableEnd = TableImageFixture.entryOffset(3)
    let first = UInt32(tableEnd)
    let second = first + UInt32(boards[0].count)
    // Past total_size, with no 32-bit wrap.
    #expect(
      reason(damaged([(entry + 4, 0xffff_fff0)]))
        == "bad DT table entry 1: dt_offset 0xfffffff0 + dt_size \(boards[1].count) runs past "
        + "total_size \(total)")
    #expect(
      reason(damaged([(entry, 0xffff_ffff)]))
        == "bad DT table entry 1: dt_offset \(hex(Int(second))) + dt_size 4294967295 runs past "
        + "total_size \(total)")
    #expect(
      reason(damaged([(entry + 4, 0)]))
        == "bad DT table entry 1: dt_offset 0x0 is inside the header or entry table (which end "
        + "at \(hex(tableEnd)))")
    // Not a DTB: the bytes before the blob's start, or too few to tell.
    let lastWord = Int(DamagedBlob(bytes: boards[0]).word(at: boards[0].count - 4))
    #expect(
      reason(damaged([(entry + 4, second - 4)]))
        == "bad DT table entry 1: not a DTB (magic \(hex(lastWord)) at offset "
        + "\(hex(Int(second - 4))))")
    #expect(
      reason(damaged([(entry, 2)]))
        == "bad DT table entry 1: not a DTB (dt_size 2 at offset \(hex(Int(second))))")
    #expect(
      reason(damaged([(entry, 40)]))
        == "bad DT table entry 1: its DTB's totalsize \(boards[1].count) does not fit in dt_size 40"
    )
    var small = DamagedBlob(bytes: image.bytes)
    small.setWord(at: Int(second) + 4, to: 16)
    #expect(
      reason(small.bytes)
        == "bad DT table entry 1: its DTB's totalsize 16 is smaller than the 40-byte FDT header")
  }

  @Test func overlappingEntries() throws {
    let first = UInt32(TableImageFixture.entryOffset(3))
    let size = UInt32(boards[0].count)
    // Entry 0's range runs 8 bytes into entry 1's blob.
    let two = TableImageFixture(entries: [.init(blob: boards[0]), .init(blob: boards[1])])
    let start = TableImageFixture.entryOffset(2)
    let second = start + Int(size)
    #expect(
      reason(damaged([(TableImageFixture.entryOffset(0), size + 8)], image: two))
        == "overlapping DT table entries 0 (\(hex(start))..\(hex(second + 8))) and 1 "
        + "(\(hex(second))..\(hex(second + boards[1].count))): entries may share only an "
        + "identical range")
    // The same start but a longer range is not the same blob either.
    var image = self.image
    image.entries[2].blob = boards[1]
    var longer = DamagedBlob(bytes: image.bytes)
    longer.setWord(at: TableImageFixture.entryOffset(2), to: size + UInt32(boards[1].count))
    longer.setWord(at: TableImageFixture.entryOffset(2) + 4, to: first)
    #expect(reason(longer.bytes)?.hasPrefix("overlapping DT table entries 0 ") == true)
  }
}
