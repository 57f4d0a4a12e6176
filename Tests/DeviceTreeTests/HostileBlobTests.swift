// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// Hostile and broken blobs: every one is refused with one line that says what
/// is wrong, and none costs more than a real tree would. Each blob starts as
/// dtc output and is damaged from there (DamagedBlob), never built by hand.
@Suite struct HostileBlobTests {
  static let small = "/dts-v1/;\n/ { node { prop = <1 2 3>; }; };\n"

  func reason(_ bytes: [UInt8], limits: LoadLimits = .standard) -> String? {
    do {
      _ = try DeviceTree(blob: bytes, limits: limits)
      return nil
    } catch {
      return error.reason
    }
  }

  func token(_ blob: DamagedBlob, _ tag: UInt32, _ number: Int = 0) throws -> DamagedBlob.Token {
    try #require(blob.tokens.filter { $0.tag == tag }.dropFirst(number).first)
  }

  // MARK: - Sizes and the header

  @Test func zeroAndOneByteBlobs() {
    #expect(reason([]) == "truncated: 0 bytes, too short for an FDT header")
    #expect(reason([0xd0]) == "truncated: 1 byte, too short for an FDT header")
  }

  @Test func totalSizeLargerThanTheBlob() throws {
    var blob = try DamagedBlob(source: Self.small)
    let size = blob.bytes.count
    blob.setWord(at: 4, to: UInt32(size + 4096))
    #expect(
      reason(blob.bytes) == "truncated: header says \(size + 4096) bytes, the file has \(size)")
  }

  @Test func aBlobOverTheSizeLimit() throws {
    let blob = try DamagedBlob(source: Self.small)
    let limits = LoadLimits(maximumInputSize: 64)
    #expect(
      reason(blob.bytes, limits: limits)
        == "\(blob.bytes.count) bytes is larger than the 64-byte limit")
  }

  @Test func overlappingBlocks() throws {
    var strings = try DamagedBlob(source: Self.small)
    strings.setWord(at: 12, to: UInt32(strings.structureOffset + 8))
    let message = try #require(reason(strings.bytes))
    #expect(
      message
        == "bad layout: the structure block (0x38..0x70) overlaps the strings block (0x40..0x45)")

    var reservations = try DamagedBlob(source: Self.small)
    reservations.setWord(at: 16, to: UInt32(reservations.structureOffset))
    #expect(
      reason(reservations.bytes)?.hasPrefix("bad layout: the memory reservation block") == true)
  }

  @Test func aReservationMapWithoutItsTerminator() throws {
    var blob = try DamagedBlob(source: Self.small)
    blob.setWord(at: 16, to: UInt32(blob.totalSize - 8))
    #expect(
      reason(blob.bytes)
        == "the memory reservation block has no terminating entry (FDT_ERR_TRUNCATED)")
  }

  // MARK: - Tokens, names and strings

  @Test func aStringOffsetOutOfRange() throws {
    var blob = try DamagedBlob(source: Self.small)
    let property = try token(blob, 3)
    blob.setWord(at: property.offset + 8, to: UInt32(blob.stringsSize + 16))
    #expect(
      reason(blob.bytes)
        == "the property at structure offset 0x14 names string offset 0x15, outside the "
        + "5-byte strings block (FDT_ERR_BADOFFSET)")
  }

  @Test func anUnterminatedNodeName() throws {
    var blob = try DamagedBlob(source: Self.small)
    let node = try token(blob, 1, 1)
    let end = blob.structureOffset + blob.structureSize
    for index in (node.offset + 4)..<end { blob.bytes[index] = 0x61 }
    #expect(
      reason(blob.bytes)
        == "the name of the node at structure offset 0x8 has no NUL before the end of the "
        + "structure block (FDT_ERR_BADSTRUCTURE)")
  }

  @Test func anUnterminatedPropertyName() throws {
    var blob = try DamagedBlob(source: Self.small)
    blob.bytes[blob.stringsOffset + blob.stringsSize - 1] = 0x61
    let message = try #require(reason(blob.bytes))
    #expect(message.hasSuffix("has no NUL before the end of the strings block (FDT_ERR_TRUNCATED)"))
  }

  @Test func aLongPropertyNameIsRefusedBeforeLibfdtMeasuresIt() throws {
    let name = String(repeating: "p", count: 1025)
    let blob = try DamagedBlob(source: "/dts-v1/;\n/ { \(name) = <1>; };\n")
    #expect(
      reason(blob.bytes)
        == "the strings block holds a property name longer than the 1024-byte limit")
  }

  @Test func aSecondRootNode() throws {
    var blob = try DamagedBlob(source: Self.small)
    let root = try token(blob, 1)
    let end = try token(blob, 9)
    blob.insert(blob.bytes(of: root) + DamagedBlob.cells([2]), at: end.offset)
    // libfdt 1.6.1 refuses it already; the walk would too.
    #expect(
      reason(blob.bytes) == "a second root node at structure offset 0x34 (FDT_ERR_BADSTRUCTURE)")
  }

  @Test func aNamedRoot() throws {
    var blob = try DamagedBlob(source: Self.small)
    blob.bytes[try token(blob, 1).offset + 4] = UInt8(ascii: "x")
    #expect(
      reason(blob.bytes)
        == "the root node at structure offset 0x0 has a name (FDT_ERR_BADSTRUCTURE)")
  }

  /// Found by the fuzz target: libfdt 1.6.1's fdt_check_full dereferences
  /// NULL on an old (version < 16) blob whose root name is not a path. The
  /// fuzzer's input was dtc output with the version set to 13.
  @Test func anOldBlobWhoseRootNameIsNotAPath() throws {
    var blob = try DamagedBlob(source: Self.small)
    blob.setWord(at: 20, to: 13)
    blob.setWord(at: 24, to: 2)
    #expect(
      reason(blob.bytes)
        == "the root node of this version 13 blob is named \"\", not a path (before version 16 "
        + "names are full paths)")
  }

  /// dtc still writes version 3 blobs (names as full paths); they load.
  @Test func aRealVersionThreeBlobLoads() throws {
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = directory.appendingPathComponent("old.dts")
    let output = directory.appendingPathComponent("old.dtb")
    try Self.small.write(to: source, atomically: true, encoding: .utf8)
    let dtc = try Fixtures.run(
      "dtc", ["-q", "-V", "3", "-I", "dts", "-O", "dtb", "-o", output.path, source.path])
    try #require(dtc.status == 0)
    let tree = try DeviceTree(blob: [UInt8](Data(contentsOf: output)))
    #expect(tree.nodes.map(\.path) == ["/", "/node"])
    #expect(tree.nodes[1].property("prop")?.cells == [1, 2, 3])
  }

  /// libfdt 1.6.1 adds a property's length to an int: from 0xfffffff8 up
  /// it wraps, the next token is looked for inside this one, and
  /// fdt_check_full can pass the blob; the value must still end inside the
  /// structure block. (Found by the fuzzer: the view of such a value ran
  /// four gigabytes past the blob.)
  @Test(arguments: [UInt32(0xffff_fffc), 0xffff_ffff, 0xffff_fff8])
  func aPropertyLengthThatWrapsLibfdtsOffset(length: UInt32) throws {
    var blob = try DamagedBlob(source: Self.small)
    let property = try token(blob, 3)
    blob.setWord(at: property.offset + 4, to: length)
    let message = try #require(reason(blob.bytes))
    #expect(message.contains("says it holds \(length) bytes, past the end of the structure block"))
  }

  @Test func aPropertyOutsideAnyNode() throws {
    var blob = try DamagedBlob(source: Self.small)
    let property = try token(blob, 3)
    blob.insert(blob.bytes(of: property), at: blob.structureOffset)
    #expect(reason(blob.bytes) == "the structure block holds a property outside any node")
  }

  @Test func aPropertyAfterASubnode() throws {
    var blob = try DamagedBlob(source: "/dts-v1/;\n/ { node { }; };\n/ { prop = <1>; };\n")
    // Move the property token from before the child to after its END_NODE.
    let property = try token(blob, 3)
    let childEnd = try token(blob, 2).offset + 4
    let moved = blob.bytes(of: property)
    blob.bytes.insert(contentsOf: moved, at: childEnd)
    blob.bytes.removeSubrange(property.offset..<property.offset + moved.count)
    #expect(
      reason(blob.bytes)
        == "property \"prop\" of / comes after a subnode; libfdt and Linux never read it")
  }

  /// Names of up to three bytes keep the tokens after them in place.
  @Test func emptyAndSlashedNodeNames() throws {
    var empty = try DamagedBlob(source: "/dts-v1/;\n/ { ab { }; };\n")
    empty.bytes[try token(empty, 1, 1).offset + 4] = 0
    #expect(reason(empty.bytes) == "a node below / has an empty name")

    var slashed = try DamagedBlob(source: "/dts-v1/;\n/ { ab { }; };\n")
    slashed.bytes[try token(slashed, 1, 1).offset + 5] = UInt8(ascii: "/")
    #expect(reason(slashed.bytes) == "node name \"a/\" below / contains '/'")
  }

  @Test func controlCharactersInANameStayOnOneLine() throws {
    var slashed = try DamagedBlob(source: "/dts-v1/;\n/ { ab { cd { }; }; };\n")
    slashed.bytes[try token(slashed, 1, 2).offset + 4] = 0x0a
    slashed.bytes[try token(slashed, 1, 2).offset + 5] = UInt8(ascii: "/")
    #expect(reason(slashed.bytes) == "node name \"\\u{a}/\" below /ab contains '/'")
  }

  // MARK: - Sources

  /// dtc compares property names pairwise: 20,000 take it seconds, 100,000
  /// minutes. The compile is bounded like every other read.
  @Test(.timeLimit(.minutes(1)))
  func aSourceThatKeepsDtcBusy() throws {
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = directory.appendingPathComponent("busy.dts")
    let properties = (0..<20_000).map { "p\($0);" }.joined(separator: " ")
    let text = "/dts-v1/;\n/ { \(properties) };\n"
    try text.write(to: source, atomically: true, encoding: .utf8)
    let limits = LoadLimits(compileTime: .milliseconds(300))
    #expect(
      throws: LoadError(
        file: source.path, reason: "dtc did not finish within 0.3 seconds (the time limit)")
    ) { try TreeFile(source.path).load(limits: limits) }
    let small = LoadLimits(maximumInputSize: 1000)
    #expect(
      throws: LoadError(
        file: source.path,
        reason: "larger than the 1000-byte limit for a device tree")
    ) { try TreeFile(source.path).load(limits: small) }
  }

  // MARK: - Depth, node count, path length

  static func nested(_ depth: Int) -> String {
    "/dts-v1/;\n/ {\n" + String(repeating: "a {\n", count: depth)
      + String(repeating: "};\n", count: depth) + "};\n"
  }

  @Test func theKernelsDepthLimit() throws {
    let deepest = try DeviceTree(blob: DamagedBlob(source: Self.nested(62)).bytes)
    #expect(deepest.nodes.count == 63)
    #expect(
      deepest.nodes.last?.path == "/" + Array(repeating: "a", count: 62).joined(separator: "/"))
    let message = try #require(reason(DamagedBlob(source: Self.nested(63)).bytes))
    #expect(message.hasPrefix("node /a/a/"))
    #expect(
      message.hasSuffix(
        " is 63 levels below the root; Linux unflattens 62 (FDT_MAX_DEPTH 64) and drops deeper nodes"
      ))
  }

  /// dtc's parser gives up near 3,300 levels, so the 100,000 levels are its
  /// own BEGIN_NODE and END_NODE tokens repeated.
  @Test(.timeLimit(.minutes(1)))
  func aHundredThousandLevels() throws {
    var blob = try DamagedBlob(source: "/dts-v1/;\n/ { a { }; };\n")
    let begin = try token(blob, 1, 1)
    let end = try token(blob, 2)
    let levels = 100_000
    let closes = DamagedBlob.cells(Array(repeating: 2, count: levels - 1))
    blob.insert(closes, at: end.offset)
    let opens = Array([[UInt8]](repeating: blob.bytes(of: begin), count: levels - 1).joined())
    blob.insert(opens, at: begin.offset)
    let clock = ContinuousClock()
    let start = clock.now
    let message = try #require(reason(blob.bytes))
    #expect(message.contains(" is 63 levels below the root"))
    #expect(message.count < 300)
    #expect(clock.now - start < .seconds(10))
  }

  @Test func theNodeCountLimit() throws {
    let blob = try DamagedBlob(source: "/dts-v1/;\n/ { a { }; b { }; c { }; };\n")
    #expect(reason(blob.bytes, limits: LoadLimits(maximumNodeCount: 4)) == nil)
    #expect(
      reason(blob.bytes, limits: LoadLimits(maximumNodeCount: 3)) == "more than the 3-node limit")
  }

  @Test func thePathLengthLimit() throws {
    let name = String(repeating: "n", count: 60)
    let source =
      "/dts-v1/;\n/ {\n" + String(repeating: "\(name) {\n", count: 17)
      + String(repeating: "};\n", count: 17) + "};\n"
    // 16 levels make a 976-byte path, 17 make 1037.
    let message = try #require(reason(DamagedBlob(source: source).bytes))
    #expect(message.hasSuffix("has a path longer than the 1024-byte limit"))
    #expect(message.count < 300)
  }
}
