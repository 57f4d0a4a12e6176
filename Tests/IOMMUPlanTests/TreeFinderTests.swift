// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

/// Which files `lint` checks in a directory tree, in which order, and that
/// link loops and odd entries cannot hang or confuse it.
@Suite struct TreeFinderTests {
  private let directory: Fixtures.Scratch
  var scratch: URL { directory.url }

  init() throws { directory = try Fixtures.Scratch() }

  func touch(_ relative: String) throws {
    let url = scratch.appendingPathComponent(relative)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data([0]).write(to: url)
  }

  func link(_ relative: String, to destination: String) throws {
    try FileManager.default.createSymbolicLink(
      atPath: scratch.appendingPathComponent(relative).path, withDestinationPath: destination)
  }

  func relative(_ files: [String]) -> [String] {
    files.map { String($0.dropFirst(scratch.path.count + 1)) }
  }

  @Test func walksRecursivelyForBlobsAndSourcesInByteOrder() throws {
    for name in [
      "b/z.dtb", "b/a.dts", "B.dtb", "a/c/deep.dtb", "a/x.dtsi", "a/notes.txt", "a/y.dtbo",
    ] {
      try touch(name)
    }
    let found = TreeFinder.find([scratch.path])
    #expect(
      relative(found.files) == ["B.dtb", "a/c/deep.dtb", "a/y.dtbo", "b/a.dts", "b/z.dtb"])
    #expect(found.problems.isEmpty)
  }

  @Test func aSourceBesideItsBlobIsCheckedOnceAsTheSourceAndDtbOnlySkipsAllSources() throws {
    for name in [
      "board.dts", "board.dtb", "other.dts", "board.dtsi", "add.dtso", "add.dtbo", "more.dtbo",
    ] {
      try touch(name)
    }
    #expect(
      relative(TreeFinder.find([scratch.path]).files) == [
        "add.dtso", "board.dts", "more.dtbo", "other.dts",
      ])
    #expect(
      relative(TreeFinder.find([scratch.path], includeSources: false).files) == [
        "add.dtbo", "board.dtb", "more.dtbo",
      ])
  }

  @Test func hiddenEntriesAreSkipped() throws {
    for name in [".git/x.dtb", ".hidden.dtb", ".board.dtb.cmd", "seen.dtb"] { try touch(name) }
    #expect(relative(TreeFinder.find([scratch.path]).files) == ["seen.dtb"])
  }

  @Test func directoryLinksAreNotFollowedSoLoopsEnd() throws {
    try touch("real/one.dtb")
    try link("real/loop", to: "..")
    try link("real/self", to: ".")
    try link("alias", to: "real")
    try link("real/two.dtb", to: "one.dtb")
    try link("real/dangling.dtb", to: "missing.dtb")
    let found = TreeFinder.find([scratch.path])
    #expect(relative(found.files) == ["real/dangling.dtb", "real/one.dtb", "real/two.dtb"])
  }

  @Test func aLinkNamedOnTheCommandLineIsFollowed() throws {
    try touch("real/one.dtb")
    try link("alias", to: "real")
    let found = TreeFinder.find([scratch.appendingPathComponent("alias").path])
    #expect(relative(found.files) == ["alias/one.dtb"])
  }

  @Test func filesAreTakenAsNamedOnceEachAndSortedWithTheRest() throws {
    try touch("d/b.dtb")
    try touch("a.bin")
    let dir = scratch.appendingPathComponent("d").path
    let file = scratch.appendingPathComponent("a.bin").path
    let missing = scratch.appendingPathComponent("zz.dtb").path
    let found = TreeFinder.find([missing, dir, file, dir, dir + "/b.dtb"])
    #expect(relative(found.files) == ["a.bin", "d/b.dtb", "zz.dtb"])
    #expect(found.problems.isEmpty)
  }

  @Test func anEmptyDirectoryIsAProblemNotAPass() throws {
    try touch("empty/readme.txt")
    let found = TreeFinder.find([scratch.appendingPathComponent("empty").path])
    #expect(found.files.isEmpty)
    #expect(
      found.problems.map(\.reason) == ["no .dtb, .dtbo, .dts or .dtso files in the directory"])
  }
}
