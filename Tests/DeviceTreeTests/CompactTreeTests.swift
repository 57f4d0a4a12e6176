// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// The tree keeps no path, no name and no dictionary of paths: paths are
/// made from the names in the blob when asked for, and `node(path:)` walks
/// the names. Each must answer exactly as a stored path and a dictionary of
/// paths (first in pre-order wins) did.
@Suite struct CompactTreeTests {
  /// Every DTS the tests and the demo use: DeviceTree's and IOMMUPlan's
  /// fixtures and the samples.
  static let sources: [URL] = {
    let directories = [
      Fixtures.root.appendingPathComponent("Tests/DeviceTreeTests/Fixtures"),
      Fixtures.root.appendingPathComponent("Tests/IOMMUPlanTests/Fixtures"),
      Fixtures.samples,
    ]
    return directories.flatMap { directory in
      ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".dts") }.sorted().map { directory.appendingPathComponent($0) }
    }
  }()

  /// Paths as the tree used to store them: the decoded names joined.
  static func storedPaths(_ tree: DeviceTree) -> [String] {
    var paths: [String] = []
    for node in tree.nodes {
      guard let parent = node.parent else {
        paths.append("/")
        continue
      }
      paths.append((paths[parent.rawValue] == "/" ? "/" : paths[parent.rawValue] + "/") + node.name)
    }
    return paths
  }

  /// What a dictionary of every path, first in pre-order kept, answers.
  static func expectPathLookupsMatchADictionary(_ tree: DeviceTree) {
    var first: [String: NodeID] = [:]
    for (index, path) in storedPaths(tree).enumerated() where first[path] == nil {
      first[path] = NodeID(index)
    }
    for (path, id) in first {
      #expect(tree.node(path: path) == id, "\(path)")
    }
  }

  static func expectPathsAgree(_ tree: DeviceTree, _ file: String) {
    let stored = storedPaths(tree)
    var all: [UInt8] = []
    for node in tree.nodes {
      let path = tree.path(of: node.id)
      #expect(path == stored[node.id.rawValue], "\(file): \(path)")
      #expect(node.path == path)
      #expect(tree.pathLength(of: node.id) == path.utf8.count, "\(file): \(path)")
      var bytes: [UInt8] = [0x2a]
      tree.appendPath(of: node.id, to: &bytes)
      #expect(bytes == [0x2a] + Array(path.utf8), "\(file): \(path)")
      all.append(contentsOf: path.utf8)
      tree.appendPath(of: node.id, to: &all)
    }
    #expect(all.count == 2 * stored.map(\.utf8.count).reduce(0, +))
  }

  @Test func pathsOfEveryNodeOfEveryFixture() throws {
    #expect(Self.sources.count > 50)
    for source in Self.sources {
      let tree = try DeviceTree(blob: Fixtures.blob(dts: source))
      Self.expectPathsAgree(tree, source.lastPathComponent)
      Self.expectPathLookupsMatchADictionary(tree)
    }
  }

  /// Lookups by interned name find what lookups by string find: the first
  /// property of that name, for every property of every node.
  @Test func internedNamesFindWhatStringsFind() throws {
    for source in Self.sources {
      let tree = try DeviceTree(blob: Fixtures.blob(dts: source))
      for node in tree.nodes {
        for (position, property) in node.properties.enumerated() {
          let name = try #require(tree.propertyName(property.name))
          #expect(node.properties.name(at: position) == name)
          let first = try #require(node.property(name))
          #expect(first == node.properties.first { $0.name == property.name })
          #expect(node.property(property.name) == first)
          #expect(tree.hasProperty(name, node.id))
        }
      }
    }
  }

  @Test func anAbsentNameHasNoInternedName() throws {
    let tree = try Fixtures.tree("tree-basics.dts")
    #expect(tree.propertyName("iommus") == nil)
    #expect(tree.propertyName("") == nil)
    #expect(tree.propertyName("statu") == nil)
    #expect(tree.propertyName("status ") == nil)
    #expect(tree.root.property("iommus") == nil)
    let status = try #require(tree.propertyName("status"))
    #expect(tree.propertyName("status") == status)
    #expect(!tree.hasProperty(status, tree.root.id))
    #expect(tree.root.property(status) == nil)
    let smmu = try #require(tree.node(path: "/soc@0/iommu@1000"))
    #expect(tree.property(status, of: smmu)?.string == "okay")
  }

  /// dtc merges same-named siblings, so the blob is damaged into having
  /// them: "b" becomes a second "a", whose children differ from the first's.
  @Test func duplicateSiblingNamesFirstInPreOrderWins() throws {
    var blob = try DamagedBlob(
      source: """
        /dts-v1/;
        / {
          a { x { p = <1>; }; };
          b { y { p = <2>; }; x { p = <3>; }; };
        };
        """)
    let b = try #require(blob.tokens.first { $0.tag == 1 && blob.bytes[$0.offset + 4] == 0x62 })
    blob.bytes[b.offset + 4] = UInt8(ascii: "a")
    let tree = try DeviceTree(blob: blob.bytes)
    #expect(tree.nodes.map(\.path) == ["/", "/a", "/a/x", "/a", "/a/y", "/a/x"])
    #expect(tree.node(path: "/a") == NodeID(1))
    // The first /a has no y: a dead end, and the second /a's y is found.
    #expect(tree.node(path: "/a/y") == NodeID(4))
    #expect(tree.node(path: "/a/x") == NodeID(2))
    #expect(tree.children(of: NodeID(3)) == [NodeID(4), NodeID(5)])
    #expect(tree.property("p", of: NodeID(4))?.firstCell == 2)
    Self.expectPathLookupsMatchADictionary(tree)
  }

  @Test func pathsThatNameNoNode() throws {
    let tree = try Fixtures.tree("tree-basics.dts")
    for path in ["", "soc@0", "//soc@0", "/soc@0/", "/soc@0//iommu@1000", "/soc", "/soc@0/iommu"] {
      #expect(tree.node(path: path) == nil, "\(path)")
    }
    #expect(tree.node(path: "/") == tree.root.id)
  }

  /// Names need not be ASCII or even UTF-8. Paths decode as String does
  /// (an invalid byte becomes U+FFFD), and lookups compare as String
  /// compares, by canonical equivalence.
  @Test func namesThatAreNotASCII() throws {
    var blob = try DamagedBlob(source: "/dts-v1/;\n/ { cafexx { inner { }; }; zzz { }; };\n")
    let names = blob.tokens.filter { $0.tag == 1 }
    // U+0301, COMBINING ACUTE ACCENT, after the e; then a byte no UTF-8 has.
    blob.bytes.replaceSubrange(names[1].offset + 8..<names[1].offset + 10, with: [0xcc, 0x81])
    blob.bytes[names[3].offset + 5] = 0xff
    let tree = try DeviceTree(blob: blob.bytes)
    #expect(
      tree.nodes.map(\.path) == ["/", "/cafe\u{301}", "/cafe\u{301}/inner", "/z\u{fffd}z"])
    Self.expectPathsAgree(tree, "not ASCII")
    #expect(tree.node(path: "/caf\u{e9}/inner") == NodeID(2))
    #expect(tree.node(path: "/z\u{fffd}z") == NodeID(3))
    #expect(tree.name(of: NodeID(1)) == "cafe\u{301}")
  }

  /// fdtget -l, for every node: the children, in order, and their parent.
  @Test func childrenAndParentsAgreeWithFdtget() throws {
    let blob = try Fixtures.blob(dts: Fixtures.url("tree-basics.dts"))
    let tree = try DeviceTree(blob: blob)
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("basics.dtb")
    try Data(blob).write(to: file)
    for node in tree.nodes {
      let listed = try Fixtures.run("fdtget", ["-l", file.path, node.path])
      #expect(listed.status == 0)
      #expect(
        node.children.map { tree.name(of: $0) }
          == listed.stdout.split(separator: "\n").map(String.init), "\(node.path)")
      for child in node.children {
        #expect(tree.parent(of: child) == node.id)
        #expect(tree.ancestors(of: child).first == node.id)
      }
    }
    #expect(tree.parent(of: tree.root.id) == nil)
    #expect(tree.ancestors(of: tree.root.id).isEmpty)
  }

  /// Before version 16 names are full paths and libfdt gives the last
  /// component; version 16 has no structure size. Both must read as 17.
  /// (dtc 1.6.1 crashes writing `/__symbols__` into a blob before version
  /// 16, so those go without labels.)
  @Test(arguments: [16, 3, 2])
  func oldVersionsReadAsSeventeen(version: Int) throws {
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let symbols = version >= 16 ? ["-@"] : []
    func compile(_ version: Int) throws -> DeviceTree {
      let output = directory.appendingPathComponent("v\(version).dtb")
      let dtc = try Fixtures.run(
        "dtc",
        ["-q", "-f"] + symbols + [
          "-V", "\(version)", "-I", "dts", "-O", "dtb", "-o", output.path,
          Fixtures.url("tree-basics.dts").path,
        ])
      try #require(dtc.status == 0, "\(dtc.stderr)")
      return try DeviceTree(blob: [UInt8](Data(contentsOf: output)))
    }
    let old = try compile(version)
    let new = try compile(17)
    #expect(old.nodes.count == new.nodes.count)
    #expect(old.nodes.map(\.name) == new.nodes.map(\.name))
    #expect(old.nodes.map(\.path) == new.nodes.map(\.path))
    #expect(old.nodes.map(\.phandle) == new.nodes.map(\.phandle))
    // dtc adds a `name` property to every node before version 16.
    let properties = { (tree: DeviceTree) in
      tree.nodes.flatMap { node in
        node.properties.filter { version >= 16 || $0.name != "name" }
          .map { "\(node.path):\($0.name)=\(Array($0.bytes))" }
      }
    }
    #expect(properties(old) == properties(new))
    #expect(old.nodes.map { old.labels(of: $0.id) } == new.nodes.map { new.labels(of: $0.id) })
    #expect(
      old.labels(of: try #require(old.node(path: "/soc@0"))) == (version >= 16 ? ["soc"] : []))
    Self.expectPathsAgree(old, "version \(version)")
    Self.expectPathLookupsMatchADictionary(old)
  }

  /// `fdt_get_phandle`: the first `phandle` when it is one cell, else the
  /// first `linux,phandle` when it is; a one-cell `phandle` of 0 still wins.
  @Test func phandleFallsBackToLinuxPhandle() throws {
    let tree = try Fixtures.tree(
      source: """
        /dts-v1/;
        / {
          both { phandle = <0x10>; linux,phandle = <0x20>; };
          long { phandle = <0x11 0x12>; linux,phandle = <0x21>; };
          linux { linux,phandle = <0x22>; };
          zero { phandle = <0>; linux,phandle = <0x23>; };
          after { linux,phandle = <0x24>; phandle = <0x25>; };
          short { phandle = [00 00 01]; };
        };
        """)
    #expect(tree.nodes.map(\.phandle) == [0, 0x10, 0x21, 0x22, 0, 0x25, 0])
    #expect(tree.node(phandle: 0x21) == NodeID(2))
    #expect(tree.node(phandle: 0x23) == nil)
  }
}
