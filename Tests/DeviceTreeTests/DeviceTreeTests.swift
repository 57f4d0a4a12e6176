// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

@Suite struct DeviceTreeTests {
  let tree: DeviceTree

  init() throws { tree = try Fixtures.tree("tree-basics.dts") }

  @Test func pathsMatchFdtGetPath() throws {
    let paths = tree.nodes.map(\.path)
    #expect(paths.first == "/")
    #expect(paths.contains("/soc@0/iommu@1000"))
    // fdtget -l lists the same children of /soc@0 that we record.
    let blob = try Fixtures.blob(dts: Fixtures.url("tree-basics.dts"))
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("basics.dtb")
    try Data(blob).write(to: file)
    let listed = try Fixtures.run("fdtget", ["-l", file.path, "/soc@0"])
    let soc = try #require(tree.node(path: "/soc@0"))
    #expect(
      tree[soc].children.map { tree[$0].name }
        == listed.stdout.split(separator: "\n").map(String.init))
  }

  @Test func labelsComeFromSymbols() throws {
    let smmu = try #require(tree.node(path: "/soc@0/iommu@1000"))
    #expect(tree.labels(of: smmu) == ["smmu"])
    #expect(tree.labels(of: tree.root.id).isEmpty)
  }

  @Test func phandlesResolveThroughTheIndex() throws {
    let legacy = try #require(tree.node(path: "/legacy"))
    #expect(tree.node(phandle: 0x77) == legacy)
    #expect(tree.node(phandle: 0) == nil)
    #expect(tree.node(phandle: 0x1234) == nil)
  }

  @Test func aDuplicatePhandleResolvesToTheFirstNodeInPreOrder() throws {
    let first = try #require(tree.node(path: "/first"))
    let second = try #require(tree.node(path: "/second"))
    #expect(tree.node(phandle: 0x88) == first)
    let duplicate = try #require(tree.duplicatePhandles.first)
    #expect(tree.duplicatePhandles.count == 1)
    #expect((duplicate.phandle, duplicate.winner, duplicate.loser) == (0x88, first, second))
  }

  @Test(arguments: [
    ("/soc@0/iommu@1000", true), ("/soc@0/dev@2000", true), ("/soc@0/dev@3000", false),
    ("/soc@0/dev@4000", true), ("/soc@0/dev@5000", false), ("/soc@0", true),
  ])
  func availabilityFollowsTheKernel(path: String, available: Bool) throws {
    #expect(tree[try #require(tree.node(path: path))].isAvailable == available)
  }

  @Test func rootStrings() {
    #expect(tree.root.compatible == ["example,board", "example,soc"])
    #expect(tree.root.property("model")?.string == "Example board")
  }
}

/// Property names are shared by string offset: offsets in the first 64 KiB
/// of the strings block index an array, later ones a dictionary. A block
/// past 64 KiB exercises both; every property must keep its own name and
/// value.
@Suite struct PropertyNameTableTests {
  @Test func namesPastTheFirst64KiBOfTheStringsBlock() throws {
    let nodes = (0..<100).map { node in
      let properties = (0..<40).map { index in
        "property-with-a-long-name-\(node)-\(index) = <\(node * 40 + index)>;"
      }
      return "n\(node) { \(properties.joined(separator: " ")) };"
    }
    let tree = try Fixtures.tree(
      source: "/dts-v1/;\n/ {\n" + nodes.joined(separator: "\n") + "\n};\n")
    var seen = 0
    for node in tree.nodes.dropFirst() {
      let number = try #require(Int(node.name.dropFirst()))
      for (index, property) in node.properties.enumerated() {
        #expect(property.name == "property-with-a-long-name-\(number)-\(index)")
        #expect(property.firstCell == UInt32(number * 40 + index))
        #expect(node.property(property.name)?.firstCell == property.firstCell)
        seen += 1
      }
    }
    #expect(seen == 4000)
    // The names alone are over 64 KiB (each is in the block once), so the
    // later ones went through the dictionary.
    #expect(tree.nodes.flatMap(\.properties).map(\.name.utf8.count).reduce(0, +) > 1 << 16)
  }
}
