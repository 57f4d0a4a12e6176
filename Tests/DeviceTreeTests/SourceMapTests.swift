// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import TestSupport
import Testing

/// dtc's annotated output (`-O dts -T -T`) read back onto the tree compiled
/// from the same source.
@Suite struct SourceMapTests {
  static let source = """
    /dts-v1/;
    / {
    \tmodel = "m";
    \tlabel: node@1 {
    \t\tfirst = <1>;
    \t\tp2: second = "a /* b */ c;";
    \t\tempty;
    \t};
    };
    &label {
    \tfirst = <2>;
    };

    """

  @Test func propertiesKeepTheirLastAssignmentAndNodesTheirDefinition() throws {
    let scratch = try Fixtures.Scratch()
    let file = scratch.url.appendingPathComponent("board.dts")
    try Self.source.write(to: file, atomically: true, encoding: .utf8)
    let blobFile = scratch.url.appendingPathComponent("board.dtb")
    #expect(
      try Fixtures.run("dtc", ["-q", "-@", "-O", "dtb", "-o", blobFile.path, file.path]).status
        == 0)
    let tree = try DeviceTree(blob: [UInt8](try Data(contentsOf: blobFile)))
    let text = try Fixtures.run("dtc", ["-q", "-@", "-O", "dts", "-T", "-T", file.path])
    let map = try #require(SourceMap(annotated: Array(text.stdout.utf8), tree: tree) { _ in "b" })
    let node = try #require(tree.node(path: "/node@1"))
    let first = try #require(map.position(of: "first", in: node))
    #expect((first.file, first.line, first.column) == ("b", 11, 2))
    // A value holding `/* */` and `;` does not end the line early.
    #expect(map.position(of: "second", in: node)?.line == 6)
    #expect(map.position(of: "empty", in: node)?.line == 7)
    #expect(map.position(of: "model", in: tree.root.id)?.line == 3)
    #expect(map.position(of: node)?.line == 4)
    // Generated nodes have no position, and are still walked past.
    let symbols = try #require(tree.node(path: "/__symbols__"))
    #expect(map.position(of: symbols) == nil)

    // A text that is not this tree's gives no map rather than wrong lines.
    let other = try Fixtures.tree(source: "/dts-v1/;\n/ { other@1 { first = <1>; }; };\n")
    #expect(SourceMap(annotated: Array(text.stdout.utf8), tree: other) == nil)
  }
}
