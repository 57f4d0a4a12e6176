// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import TestSupport
import Testing

/// Each case of the kernel's phandle-list parsing (docs/kernel-rules.md §1.1
/// to §1.3) against a blob compiled by dtc.
@Suite struct PhandleIteratorTests {
  let tree: DeviceTree
  let consumer: NodeID

  init() throws {
    tree = try Fixtures.tree("phandle-lists.dts")
    consumer = try #require(tree.node(path: "/consumer"))
  }

  func node(_ path: String) throws -> NodeID { try #require(tree.node(path: path)) }

  /// Walks a list, returning (phandle, target path, args) per entry and the
  /// error that stopped it, if any.
  func walk(_ list: String, cellsName: String? = "#foo-cells", cellCount: Int = -1) throws
    -> (entries: [(UInt32, String?, [UInt32])], error: PhandleError?)
  {
    var iterator = try PhandleIterator(
      tree: tree, node: consumer, listName: list, cellsName: cellsName, cellCount: cellCount)
    var entries: [(UInt32, String?, [UInt32])] = []
    do {
      while try iterator.next() {
        entries.append(
          (iterator.phandle, iterator.target.map { tree[$0].path }, iterator.arguments()))
      }
    } catch {
      return (entries, error)
    }
    return (entries, nil)
  }

  @Test func entriesAreSizedByTheTargetsCellsProperty() throws {
    let (entries, error) = try walk("plain")
    #expect(error == nil)
    #expect(entries.map(\.1) == ["/p1", "/p2"])
    #expect(entries.map(\.2) == [[0x11], [0x21, 0x22]])
  }

  @Test func anEmptyEntryIsOneCellWithNoArgumentsAndTheWalkGoesOn() throws {
    let (entries, error) = try walk("with-empty")
    #expect(error == nil)
    #expect(entries.map(\.0.isZero) == [false, true, false])
    #expect(entries[1].1 == nil)
    #expect(entries[1].2.isEmpty)
    #expect(entries[2].2 == [0x21, 0x22])
  }

  @Test func aTargetWithoutCellsUsesTheFallbackCountWhenGiven() throws {
    let (entries, error) = try walk("fallback", cellCount: 2)
    #expect(error == nil)
    #expect(entries.map(\.2) == [[0xb1, 0xb2], [0x11]])
  }

  @Test func aTargetWithoutCellsIsAnErrorInStrictMode() throws {
    let (entries, error) = try walk("fallback", cellCount: -1)
    #expect(entries.isEmpty)
    let failure = try #require(error)
    #expect(failure.errno == .invalid)
    #expect(
      failure.kind == .missingCellsProperty(target: try node("/bare"), cellsName: "#foo-cells"))
    #expect(failure.entry == 0)
  }

  @Test func anUnknownPhandleStopsTheWalkAndHidesEverythingAfterIt() throws {
    let (entries, error) = try walk("unknown")
    #expect(entries.map(\.2) == [[0x11]])
    let failure = try #require(error)
    #expect(failure.kind == .unknownPhandle(0xdead))
    #expect(failure.errno == .invalid)
    #expect(failure.entry == 1)
    #expect(failure.cell == 2)
  }

  @Test func anErrorDoesNotAdvanceTheIterator() throws {
    var iterator = try PhandleIterator(
      tree: tree, node: consumer, listName: "unknown", cellsName: "#foo-cells", cellCount: -1)
    #expect(try iterator.next())
    #expect(throws: PhandleError.self) { try iterator.next() }
    #expect(throws: PhandleError.self) { try iterator.next() }
  }

  @Test func anEntryRunningPastTheEndIsAnOverrun() throws {
    let (entries, error) = try walk("overrun")
    #expect(entries.count == 1)
    let failure = try #require(error)
    #expect(failure.kind == .overrun(target: try node("/p2"), needed: 2, found: 1))
  }

  @Test func moreThanSixteenArgumentsAreTruncatedButLaterEntriesAreFound() throws {
    var iterator = try PhandleIterator(
      tree: tree, node: consumer, listName: "many", cellsName: "#foo-cells", cellCount: -1)
    #expect(try iterator.next())
    #expect(iterator.argumentCount == 17)
    #expect(iterator.arguments() == Array(1...16).map(UInt32.init))
    #expect(try iterator.next())
    #expect(iterator.target == (try node("/p1")))
    #expect(iterator.arguments() == [0x11])
    #expect(try iterator.next() == false)
  }

  @Test func withoutCellsNameAnUnknownPhandleIsNotAnError() throws {
    let (entries, error) = try walk("fixed-unknown", cellsName: nil, cellCount: 0)
    #expect(error == nil)
    #expect(entries.map(\.1) == ["/p1", nil, "/p2"])
  }

  @Test func aTrailingPartialCellIsIgnored() throws {
    let (entries, error) = try walk("partial")
    #expect(error == nil)
    #expect(entries.map(\.2) == [[0x11]])
  }

  @Test func initFailures() throws {
    #expect(throws: PhandleError(.noProperty, errno: .noEntry)) {
      try PhandleIterator(
        tree: tree, node: consumer, listName: "absent", cellsName: "#foo-cells", cellCount: -1)
    }
    #expect(throws: PhandleError(.noCellCount, errno: .invalid)) {
      try PhandleIterator(
        tree: tree, node: consumer, listName: "plain", cellsName: nil, cellCount: -1)
    }
    let (entries, error) = try walk("empty-list")
    #expect(entries.isEmpty && error == nil)
  }

  // __of_parse_phandle_with_args and the wrappers built on it.

  func parse(_ list: String, _ index: Int, cellsName: String? = "#foo-cells", cellCount: Int = -1)
    throws(PhandleError) -> PhandleArguments
  {
    try tree.parsePhandle(
      node: consumer, listName: list, cellsName: cellsName, cellCount: cellCount, index: index)
  }

  @Test func parseAtIndex() throws {
    let second = try parse("with-empty", 2)
    #expect(second.target == (try node("/p2")))
    #expect(second.arguments == [0x21, 0x22])
    let many = try parse("many", 0)
    #expect(many.arguments.count == 16)
    #expect(many.declaredCount == 17)
    #expect(try parse("many", 1).arguments == [0x11])
  }

  @Test func parseAtIndexErrors() throws {
    #expect(throws: PhandleError(.emptyEntry, errno: .noEntry, entry: 1, cell: 2)) {
      try parse("with-empty", 1)
    }
    #expect(throws: PhandleError(.indexOutOfRange, errno: .noEntry, entry: 5)) {
      try parse("plain", 5)
    }
    #expect(throws: PhandleError(.negativeIndex, errno: .invalid)) { try parse("plain", -1) }
    // A malformed entry before the index wins over everything after it.
    #expect(throws: PhandleError(.unknownPhandle(0xdead), errno: .invalid, entry: 1, cell: 2)) {
      try parse("unknown", 2)
    }
    // Entries before the malformed one still parse.
    #expect(try parse("unknown", 0).arguments == [0x11])
    // of_for_each_phandle ignores init's result: both init failures are -ENOENT.
    #expect(throws: PhandleError(.noProperty, errno: .noEntry)) { try parse("absent", 0) }
    #expect(throws: PhandleError(.noCellCount, errno: .noEntry)) {
      try parse("plain", 0, cellsName: nil, cellCount: -1)
    }
  }

  @Test func fixedArgumentsResolveADanglingPhandleToNoNode() throws {
    let dangling = try parse("fixed-unknown", 1, cellsName: nil, cellCount: 0)
    #expect(dangling.target == nil)
    #expect(dangling.arguments.isEmpty)
  }

  /// The list is read in place: `property` is the list and `argumentStart`
  /// where the current entry's arguments begin in it.
  @Test func argumentsCanBeReadFromTheListInPlace() throws {
    var iterator = try PhandleIterator(
      tree: tree, node: consumer, listName: "with-empty", cellsName: "#foo-cells", cellCount: -1)
    #expect(iterator.property == tree[consumer].property("with-empty"))
    #expect(iterator.cells == [1, 0x11, 0, tree[try node("/p2")].phandle, 0x21, 0x22])
    var starts: [Int] = []
    while try iterator.next() {
      starts.append(iterator.argumentStart)
      let inPlace = (0..<iterator.argumentCount).map {
        iterator.property.bytes.cell(iterator.argumentStart + $0)
      }
      #expect(inPlace == iterator.arguments())
    }
    #expect(starts == [1, 3, 4])
  }

  @Test func counting() throws {
    #expect(
      try tree.countPhandles(node: consumer, listName: "with-empty", cellsName: "#foo-cells") == 3)
    // Without a cells name every cell counts, zeros included.
    #expect(try tree.countPhandles(node: consumer, listName: "with-empty", cellsName: nil) == 6)
    #expect(try tree.countPhandles(node: consumer, listName: "partial", cellsName: nil) == 2)
    #expect(throws: PhandleError.self) {
      try tree.countPhandles(node: consumer, listName: "unknown", cellsName: "#foo-cells")
    }
    #expect(throws: PhandleError(.noProperty, errno: .noEntry)) {
      try tree.countPhandles(node: consumer, listName: "absent", cellsName: "#foo-cells")
    }
  }
}

extension UInt32 {
  fileprivate var isZero: Bool { self == 0 }
}
