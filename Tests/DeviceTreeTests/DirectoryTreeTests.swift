// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// Trees read from directories laid out like /proc/device-tree, checked
/// against `dtc -I fs` on the same directory, and every kind of entry a
/// directory can hold besides files and directories.
@Suite struct DirectoryTreeTests {
  let scratch = try? Fixtures.Scratch()
  let root: String

  init() throws {
    root = try #require(scratch).url.appendingPathComponent("base").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  }

  func write(_ relative: String, _ bytes: [UInt8]) throws {
    let url = URL(fileURLWithPath: root).appendingPathComponent(relative)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  func write(_ relative: String, string: String) throws {
    try write(relative, Array(string.utf8) + [0])
  }

  func directory(_ relative: String) throws {
    try FileManager.default.createDirectory(
      atPath: root + "/" + relative, withIntermediateDirectories: true)
  }

  func reason(_ path: String? = nil, limits: LoadLimits = .standard) -> String? {
    do {
      _ = try DirectoryTree.blob(at: path ?? root, limits: limits)
      return nil
    } catch {
      #expect(error.file == (path ?? root))
      return error.reason
    }
  }

  /// dtc's own reading of a blob, sorted.
  func source(of blob: [UInt8]) throws -> String {
    let file = try #require(scratch).url.appendingPathComponent("tree-\(blob.hashValue).dtb")
    try Data(blob).write(to: file)
    let result = try Fixtures.run("dtc", ["-q", "-f", "-I", "dtb", "-O", "dts", "-s", file.path])
    try #require(result.status == 0, "dtc: \(result.stderr)")
    return result.stdout
  }

  /// A board: nested nodes, cells, strings, an empty and a binary
  /// property, a hidden file, and the `name` files the kernel adds.
  func writeBoard() throws {
    try write("compatible", string: "acme,board\0acme,soc")
    try write("model", string: "Acme board")
    try write("#address-cells", DamagedBlob.cells([1]))
    try write("#size-cells", DamagedBlob.cells([1]))
    try write("name", [0])
    try write("empty-property", [])
    try write("binary", [0xff, 0x00, 0x80, 0x01, 0x02])
    try write(".hidden", Array("x".utf8))
    try write("soc@0/name", string: "soc")
    try write("soc@0/compatible", string: "simple-bus")
    try write("soc@0/ranges", [])
    try write("soc@0/iommu@1000/reg", DamagedBlob.cells([0x1000, 0x100]))
    try write("soc@0/iommu@1000/#iommu-cells", DamagedBlob.cells([1]))
    try write("soc@0/iommu@1000/phandle", DamagedBlob.cells([1]))
    try write("soc@0/dev@2000/iommus", DamagedBlob.cells([1, 5]))
    try write("soc@0/dev@2000/status", string: "okay")
    try write("soc@0/dev@2000/name", string: "dev")
    try write("cpus/cpu@0/reg", DamagedBlob.cells([0]))
    try write("cpus/cpu@0/device_type", string: "cpu")
    // Not the node's name, so dtc keeps it (with -f) and so does the reader.
    try write("a/name", string: "other")
    try directory("B")
    try directory("_x")
  }

  @Test func aDirectoryReadsAsDtcReadsIt() throws {
    try writeBoard()
    let blob = try DirectoryTree.blob(at: root, limits: .standard)
    let dtc = try #require(scratch).url.appendingPathComponent("dtc.dtb")
    let result = try Fixtures.run(
      "dtc", ["-q", "-f", "-I", "fs", "-O", "dtb", "-o", dtc.path, root])
    try #require(result.status == 0, "dtc: \(result.stderr)")
    let expected = try source(of: [UInt8](Data(contentsOf: dtc)))
    #expect(try source(of: blob) == expected)
    #expect(expected.contains("binary = [ff 00 80 01 02];"))
    // dtc drops a `name` that repeats the node's name when it reads the
    // blob back too, so the sources cannot show it: the tree does.
    let tree = try DeviceTree(blob: blob)
    for path in ["/", "/soc@0", "/soc@0/dev@2000"] {
      #expect(tree[try #require(tree.node(path: path))].property("name") == nil)
    }
    #expect(tree[try #require(tree.node(path: "/a"))].property("name")?.string == "other")
  }

  @Test func nodesAndPropertiesComeInByteOrder() throws {
    try writeBoard()
    let blob = try DirectoryTree.blob(at: root, limits: .standard)
    #expect(try DirectoryTree.blob(at: root, limits: .standard) == blob)
    let tree = try DeviceTree(blob: blob)
    #expect(
      tree.nodes.map(\.path) == [
        "/", "/B", "/_x", "/a", "/cpus", "/cpus/cpu@0", "/soc@0", "/soc@0/dev@2000",
        "/soc@0/iommu@1000",
      ])
    #expect(
      tree.root.properties.map(\.name) == [
        "#address-cells", "#size-cells", ".hidden", "binary", "compatible", "empty-property",
        "model",
      ])
    #expect(tree.root.property("empty-property")?.bytes.isEmpty == true)
    #expect(tree.root.compatible == ["acme,board", "acme,soc"])
    let smmu = try #require(tree.node(path: "/soc@0/iommu@1000"))
    #expect(tree.node(phandle: 1) == smmu)
    #expect(tree[try #require(tree.node(path: "/a"))].property("name")?.string == "other")
  }

  @Test func theRootMayBeASymbolicLink() throws {
    try writeBoard()
    let link = try #require(scratch).url.appendingPathComponent("device-tree").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: root)
    #expect(
      try DirectoryTree.blob(at: link, limits: .standard)
        == DirectoryTree.blob(at: root, limits: .standard))
  }

  @Test func aSymbolicLinkInsideIsRefused() throws {
    try writeBoard()
    try FileManager.default.createSymbolicLink(
      atPath: root + "/soc@0/link", withDestinationPath: "../model")
    #expect(
      reason()
        == "soc@0/link is a symbolic link, which is not followed (a device-tree directory holds "
        + "none)")
  }

  @Test func aSymbolicLinkToADirectoryIsRefused() throws {
    try writeBoard()
    try FileManager.default.createSymbolicLink(atPath: root + "/loop", withDestinationPath: ".")
    #expect(reason()?.hasPrefix("loop is a symbolic link") == true)
  }

  @Test(.timeLimit(.minutes(1)))
  func aFIFOIsRefusedWithoutBeingOpened() throws {
    try writeBoard()
    #expect(mkfifo(root + "/soc@0/fifo", 0o600) == 0)
    #expect(
      reason()
        == "soc@0/fifo is a FIFO, neither a regular file (a property) nor a directory (a node)")
  }

  @Test(.enabled(if: geteuid() != 0, "root reads any file"))
  func anUnreadableFileOrDirectoryIsRefused() throws {
    try writeBoard()
    try write("soc@0/secret", [1])
    #expect(chmod(root + "/soc@0/secret", 0) == 0)
    #expect(reason() == "cannot open soc@0/secret: Permission denied")
    #expect(chmod(root + "/soc@0/secret", 0o600) == 0)
    try directory("cpus/locked")
    #expect(chmod(root + "/cpus/locked", 0) == 0)
    defer { chmod(root + "/cpus/locked", 0o700) }
    #expect(reason() == "cannot open cpus/locked: Permission denied")
  }

  @Test func theKernelsDepthLimit() throws {
    let deepest = Array(repeating: "n", count: LoadLimits.maximumDepth).joined(separator: "/")
    try directory(deepest)
    let tree = try DeviceTree(blob: DirectoryTree.blob(at: root, limits: .standard))
    #expect(tree.nodes.count == LoadLimits.maximumDepth + 1)
    try directory(deepest + "/n")
    #expect(
      reason()
        == "node /\(deepest)/n is 63 levels below the root; Linux unflattens 62 (FDT_MAX_DEPTH "
        + "64) and drops deeper nodes")
  }

  @Test func aFileOverTheSizeLimit() throws {
    try write("big", [UInt8](repeating: 1, count: 5000))
    // 4096 less the header and reservation map (64), the root node (12),
    // FDT_END (4), the property token (12) and its name (4).
    #expect(
      reason(limits: LoadLimits(maximumInputSize: 4096))
        == "big holds more than the 4000 bytes left of the 4096-byte limit")
    try write("big", [UInt8](repeating: 1, count: 4000))
    let blob = try DirectoryTree.blob(at: root, limits: LoadLimits(maximumInputSize: 4096))
    #expect(blob.count == 4096)
  }

  @Test func valuesTogetherAreHeldToTheSizeLimit() throws {
    for name in ["a", "b", "c"] { try write(name, [UInt8](repeating: 1, count: 1500)) }
    let message = try #require(reason(limits: LoadLimits(maximumInputSize: 4096)))
    #expect(message.hasPrefix("c holds more than the "))
  }

  /// Each entry costs at least its token and name, so listing a huge
  /// directory stops as soon as its entries could not fit.
  @Test func aDirectoryOfMoreEntriesThanFit() throws {
    try directory("soc")
    let created = (0..<300).filter { index in
      close(open(root + "/soc/f\(index)", O_CREAT | O_WRONLY, 0o600)) == 0
    }
    try #require(created.count == 300)
    #expect(
      reason(limits: LoadLimits(maximumInputSize: 4096))
        == "soc holds more entries than fit in the 4096-byte limit")
    #expect(try DirectoryTree.blob(at: root, limits: .standard).count > 300 * 12)
  }

  @Test func theNodeAndPathLimits() throws {
    for name in ["a", "b", "c"] { try directory(name) }
    #expect(reason(limits: LoadLimits(maximumNodeCount: 3)) == "more than the 3-node limit (at c)")
    #expect(try DirectoryTree.blob(at: root, limits: LoadLimits(maximumNodeCount: 4)).count > 0)
    try directory("a/abcdefghijk")
    #expect(
      reason(limits: LoadLimits(maximumPathLength: 12))
        == "node /a/abcdefghijk has a path longer than the 12-byte limit")
  }

  @Test func aPropertyNameOverTheLimit() throws {
    try write("a-long-property-name", [1])
    #expect(
      reason(limits: LoadLimits(maximumPropertyNameLength: 8))
        == "a-long-property-name: the property name is longer than the 8-byte limit")
  }

  @Test func notADirectory() throws {
    try write("model", string: "Acme board")
    #expect(reason(root + "/model") == "not a directory")
    #expect(reason(root + "/missing") == "no such directory")
  }

  /// libfdt shares a name by searching every place in the strings block,
  /// so thousands of distinct names would cost millions of tries each:
  /// such a tree is written without sharing names, in linear time.
  @Test(.timeLimit(.minutes(1)))
  func manyDistinctNamesAreNotShared() throws {
    // Sharing would try about 2000² / 2 x 195 places, far past the budget.
    let count = 2000
    let prefix = String(repeating: "p", count: 190)
    let created = (0..<count).filter { index in
      close(open(root + "/\(prefix)\(index)", O_CREAT | O_WRONLY, 0o600)) == 0
    }
    try #require(created.count == count)
    try write("a/compatible", string: "one")
    try write("b/compatible", string: "two")
    let blob = try DirectoryTree.blob(at: root, limits: .standard)
    let names = (0..<count).map { prefix.utf8.count + String($0).utf8.count + 1 }
    // Every property's name is in the strings block, "compatible" twice.
    #expect(DamagedBlob(bytes: blob).stringsSize == names.reduce(0, +) + 2 * 11)
    let tree = try DeviceTree(blob: blob)
    #expect(tree.root.properties.count == count)
    #expect(tree[try #require(tree.node(path: "/b"))].compatible == ["two"])
  }

  @Test func aRealTreeSharesItsNames() throws {
    try writeBoard()
    let blob = try DirectoryTree.blob(at: root, limits: .standard)
    let strings = DamagedBlob(bytes: blob)
    let block = blob[strings.stringsOffset..<strings.stringsOffset + strings.stringsSize]
    #expect(block.split(separator: 0).filter { $0.elementsEqual("compatible".utf8) }.count == 1)
  }

  /// procfs reports st_size 0 for these files: the value is read to its
  /// end whatever stat says.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/sys/kernel/random/boot_id")))
  func procfsFilesAreReadToTheirEnd() throws {
    let tree = try DeviceTree(
      blob: DirectoryTree.blob(at: "/proc/sys/kernel/random", limits: .standard))
    #expect(tree.root.property("boot_id")?.bytes.count == 37)
  }
}
