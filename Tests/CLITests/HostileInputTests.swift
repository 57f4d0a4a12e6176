// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// The built binary on inputs that are not device trees or not files, and on
/// outputs nobody reads: exit 2 with one line naming the file, or a quiet
/// exit, never a trap and never a partial document.
@Suite struct HostileInputTests {
  let cli = CLITests.binary
  private let directory: Fixtures.Scratch
  var scratch: URL { directory.url }

  init() throws { directory = try Fixtures.Scratch() }

  func run(_ arguments: [String], stdin: Data? = nil) throws -> Fixtures.Result {
    try Fixtures.run(cli, arguments, stdin: stdin)
  }

  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let file = scratch.appendingPathComponent(name)
    try Data(bytes).write(to: file)
    return file.path
  }

  func board() throws -> [UInt8] {
    try Fixtures.blob(dts: Fixtures.samples.appendingPathComponent("qcom-sdm845-like.dts"))
  }

  /// Exit 2, nothing on stdout, and exactly this line on stderr.
  func expectRefused(_ result: Fixtures.Result, _ line: String) {
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr == "iommu-plan: \(line)\n")
  }

  @Test func zeroLengthAndOneByteFiles() throws {
    let empty = try write([], "empty.dtb")
    expectRefused(try run([empty]), "\(empty): empty file")
    let one = try write([0xd0], "one.dtb")
    expectRefused(try run([one]), "\(one): truncated: 1 byte, too short for an FDT header")
    expectRefused(
      try run(["--format", "json", one]), "\(one): truncated: 1 byte, too short for an FDT header")
  }

  /// A directory is what lint takes, so the refusal says so.
  @Test func aDirectory() throws {
    expectRefused(
      try run([scratch.path]),
      "\(scratch.path): is a directory, but not a device tree laid out like /proc/device-tree (no "
        + "compatible or #address-cells file at its top) (to check the device trees in it: "
        + "iommu-plan lint \(scratch.path))"
    )
  }

  @Test func aSymbolicLinkLoop() throws {
    let first = scratch.appendingPathComponent("a.dtb").path
    let second = scratch.appendingPathComponent("b.dtb").path
    try FileManager.default.createSymbolicLink(atPath: first, withDestinationPath: second)
    try FileManager.default.createSymbolicLink(atPath: second, withDestinationPath: first)
    expectRefused(
      try run([first]), "\(first): a symbolic link that leads nowhere (or in a loop)")
  }

  @Test(.timeLimit(.minutes(1)))
  func devZeroIsOneChunkNotAnEndlessRead() throws {
    expectRefused(try run(["/dev/zero"]), "/dev/zero: bad magic 0x0 (expected 0xd00dfeed)")
    expectRefused(
      try run(["/dev/urandom", "--max-input-size", "4"]),
      "/dev/urandom: larger than the 4-byte limit for a device tree")
  }

  @Test func theInputSizeLimitIsOverridable() throws {
    let blob = try board()
    let path = try write(blob, "board.dtb")
    expectRefused(
      try run(["--max-input-size", "1000", path]),
      "\(path): header says \(blob.count) bytes, more than the 1000-byte limit")
    expectRefused(
      try run(["--max-input-size", "1000", "-"], stdin: Data(blob)),
      "-: header says \(blob.count) bytes, more than the 1000-byte limit")
    #expect(try run(["--max-input-size", String(blob.count), path]).status == 0)
    #expect(try run(["--max-input-size", "0", path]).status == 64)
  }

  /// Opening a FIFO blocks until a writer comes, as `cat` does; then the
  /// blob is read to its end.
  @Test(.timeLimit(.minutes(1)))
  func aFIFOIsReadOnceAWriterSendsABlob() throws {
    let fifo = scratch.appendingPathComponent("board.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let blob = try board()
    let writer = Thread {
      guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
      handle.write(Data(blob))
      try? handle.close()
    }
    writer.start()
    let result = try run(["--format", "json", fifo])
    #expect(result.status == 0)
    #expect(result.stdout.contains("\"path\": \"\(fifo)\""))
    #expect(result.stderr.isEmpty)
  }

  @Test func aMillionReferencesInOneProperty() throws {
    let cells = Array(repeating: "1", count: 1_000_000).joined(separator: " ")
    let source = scratch.appendingPathComponent("million.dts")
    try """
    /dts-v1/;
    / {
      iommu { #iommu-cells = <0>; phandle = <1>; };
      dev { iommus = <\(cells)>; };
    };
    """.write(to: source, atomically: true, encoding: .utf8)
    let clock = ContinuousClock()
    let start = clock.now
    expectRefused(
      try run([source.path]),
      "\(source.path): more than 524288 cells of iommus, iommu-map and mmu-masters "
        + "(iommu-plan's limit); /dev reaches it with iommus")
    // lint refuses it the same way, as that file's entry.
    let lint = try run(["lint", source.path])
    #expect(lint.status == 2)
    #expect(
      lint.stdout.hasPrefix(
        "\(source.path): error [unreadable] more than 524288 cells of iommus"))
    #expect(clock.now - start < .seconds(30))
  }

  /// Several files: the bad one keeps its place, as an error entry in JSON
  /// and a `not read` line in text; the others are reported.
  @Test func aBadFileInABatchGetsAnEntry() throws {
    let good = try write(try board(), "good.dtb")
    let bad = try write(Array("not a tree".utf8), "bad.dtb")
    let json = try run(["--format", "json", bad, good])
    #expect(json.status == 2)
    #expect(json.stderr == "iommu-plan: \(bad): bad magic 0x6e6f7420 (expected 0xd00dfeed)\n")
    let array = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    #expect(array.count == 2)
    #expect(array[0]["error"] as? String == "bad magic 0x6e6f7420 (expected 0xd00dfeed)")
    #expect((array[0]["links"] as? [Any])?.isEmpty == true)
    #expect((array[0]["input"] as? [String: Any])?["path"] as? String == bad)
    #expect(array[1]["error"] == nil)
    #expect((array[1]["links"] as? [Any])?.isEmpty == false)

    let text = try run([bad, good])
    #expect(text.status == 2)
    #expect(
      text.stdout.hasPrefix("\(bad): not read: bad magic 0x6e6f7420 (expected 0xd00dfeed)\n\n"))
    #expect(text.stdout.contains("\(good): Example SDM845-class phone"))
  }

  /// The reader goes away before the report is written: no trap message,
  /// no signal death, and the exit status the report would have had.
  @Test(.timeLimit(.minutes(1)))
  func outputIntoAClosedPipe() throws {
    let board = try write(try board(), "board.dtb")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: cli)
    process.arguments = ["--format", "json"] + Array(repeating: board, count: 40)
    let output = Pipe()
    let errors = scratch.appendingPathComponent("stderr")
    #expect(FileManager.default.createFile(atPath: errors.path, contents: nil))
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    try output.fileHandleForReading.close()
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0)
    #expect(try String(contentsOf: errors, encoding: .utf8).isEmpty)

    let shell = try Fixtures.run(
      "bash",
      ["-c", "'\(cli)' '\(board)' '\(board)' '\(board)' | head -1; echo ${PIPESTATUS[0]} >&2"])
    #expect(shell.stdout == "\(board): Example SDM845-class phone\n")
    #expect(shell.stderr == "0\n")
  }
}
