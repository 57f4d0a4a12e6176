// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// Every command writes through one sink: when the reader of standard
/// output goes away, each stops writing and exits with its documented
/// status, silently, never killed by SIGPIPE (status 141 in a shell), which
/// would fail a CI script under `set -o pipefail`.
@Suite struct OutputPathTests {
  private let directory: Fixtures.Scratch
  var scratch: URL { directory.url }
  let clean: String
  let other: String

  init() throws {
    directory = try Fixtures.Scratch()
    let scratch = directory.url
    clean = scratch.appendingPathComponent("clean.dtb").path
    other = scratch.appendingPathComponent("other.dtb").path
    try Data(Fixtures.blob(dts: Fixtures.samples.appendingPathComponent("qcom-sdm845-like.dts")))
      .write(to: URL(fileURLWithPath: clean))
    try Data(Fixtures.blob(dts: Fixtures.samples.appendingPathComponent("server-smmuv3.dts")))
      .write(to: URL(fileURLWithPath: other))
  }

  /// Each command, its arguments, and the status it documents for them.
  var commands: [(name: String, arguments: [String], status: Int32)] {
    [
      ("report", [clean], 0),
      ("report json", ["--format", "json", clean, clean], 0),
      ("lint", ["lint", clean], 0),
      ("lint sarif", ["lint", "--format", "sarif", clean], 0),
      ("lint json", ["lint", "--format", "json", clean], 0),
      ("lint github", ["lint", "--format", "github", clean], 0),
      ("explain", ["explain", clean, "/soc@0/pci@1c00000"], 0),
      ("explain json", ["explain", "--format", "json", clean, "/soc@0/gpu@5000000"], 0),
      ("diff", ["diff", clean, other], 1),
      ("diff json", ["diff", "--format", "json", clean, other], 1),
    ]
  }

  /// Standard output is a pipe nobody reads: the first write fails.
  @Test(.timeLimit(.minutes(1)))
  func everyCommandEndsQuietlyIntoAClosedPipe() throws {
    for command in commands {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: CLITests.binary)
      process.arguments = command.arguments
      let output = Pipe()
      try output.fileHandleForReading.close()
      let errors = scratch.appendingPathComponent("stderr")
      #expect(FileManager.default.createFile(atPath: errors.path, contents: nil))
      process.standardOutput = output
      process.standardError = try FileHandle(forWritingTo: errors)
      try process.run()
      process.waitUntilExit()
      #expect(process.terminationReason == .exit, "\(command.name) was killed by a signal")
      #expect(process.terminationStatus == command.status, "\(command.name)")
      #expect(try String(contentsOf: errors, encoding: .utf8).isEmpty, "\(command.name)")
    }
  }

  /// `set -o pipefail; iommu-plan … | head -1` in a CI script: the
  /// pipeline's status is the command's own, and a long output (more than
  /// the 64 KiB a pipe holds, so the writer meets the closed pipe) does not
  /// turn it into 141.
  @Test(.timeLimit(.minutes(2)))
  func underPipefailThePipelineHasTheCommandsStatus() throws {
    let many = scratch.appendingPathComponent("many")
    try FileManager.default.createDirectory(at: many, withIntermediateDirectories: true)
    // Two notes per board: 400 boards make well over 64 KiB of findings.
    for index in 0..<400 {
      try FileManager.default.copyItem(
        atPath: clean, toPath: many.appendingPathComponent("board-\(index).dtb").path)
    }
    let cli = CLITests.binary
    let pipelines = [
      ("lint", "'\(cli)' lint '\(many.path)'", 0),
      ("lint json", "'\(cli)' lint --format json '\(many.path)'", 0),
      (
        "report",
        "'\(cli)' --format json "
          + Array(repeating: "'\(clean)'", count: 40).joined(separator: " "), 0
      ),
      ("explain", "'\(cli)' explain '\(clean)' /soc@0/gpu@5000000", 0),
      ("diff", "'\(cli)' diff '\(clean)' '\(other)'", 1),
    ]
    for (name, command, status) in pipelines {
      let shell = try Fixtures.run(
        "bash", ["-c", "set -o pipefail; \(command) | head -1 > /dev/null; echo $?"])
      #expect(shell.stdout == "\(status)\n", "\(name): \(shell.stderr)")
      #expect(shell.stderr.isEmpty, "\(name)")
    }
  }
}
