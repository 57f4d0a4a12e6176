// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// End-to-end runs of the built binary: exit codes, stdout and stderr.
@Suite struct CLITests {
  static let binary: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("iommu-plan")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside.path }
    return Fixtures.root.appendingPathComponent(".build/debug/iommu-plan").path
  }()

  private let directory: Fixtures.Scratch
  var scratch: URL { directory.url }

  init() throws { directory = try Fixtures.Scratch() }

  func run(
    _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
    in workingDirectory: URL? = nil
  ) throws -> Fixtures.Result {
    try Fixtures.run(
      Self.binary, arguments, stdin: stdin, environment: environment,
      workingDirectory: workingDirectory)
  }

  func sample(_ name: String) -> String {
    Fixtures.samples.appendingPathComponent(name).path
  }

  /// Compiles a sample to a .dtb in the scratch directory.
  func dtb(_ name: String) throws -> String {
    let file = scratch.appendingPathComponent(name.replacingOccurrences(of: ".dts", with: ".dtb"))
    try Data(Fixtures.blob(dts: URL(fileURLWithPath: sample(name)))).write(to: file)
    return file.path
  }

  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let file = scratch.appendingPathComponent(name)
    try Data(bytes).write(to: file)
    return file.path
  }

  @Test func aCleanBoardExitsZero() throws {
    let result = try run([try dtb("qcom-sdm845-like.dts")])
    #expect(result.status == 0)
    #expect(result.stdout.contains("IOMMU /"))
    #expect(result.stderr.isEmpty)
  }

  @Test func errorFindingsExitOne() throws {
    let result = try run([sample("broken-board.dts")])
    #expect(result.status == 1)
    #expect(result.stdout.contains("error [iommus_unknown_phandle]"))
  }

  @Test func badMagicExitsTwoWithOneLineNamingTheFile() throws {
    let path = try write(Array("not a device tree at all".utf8), "text.dtb")
    let result = try run([path])
    #expect(result.status == 2)
    #expect(result.stderr == "iommu-plan: \(path): bad magic 0x6e6f7420 (expected 0xd00dfeed)\n")
    #expect(result.stdout.isEmpty)
  }

  @Test func truncatedAndMissingFilesExitTwo() throws {
    let good = try Data(contentsOf: URL(fileURLWithPath: try dtb("rockchip-rk3399-like.dts")))
    let cut = try write([UInt8](good.prefix(good.count / 2)), "cut.dtb")
    let truncated = try run([cut])
    #expect(truncated.status == 2)
    #expect(truncated.stderr.hasPrefix("iommu-plan: \(cut): truncated: header says"))
    let missing = try run(["/no/such/board.dtb"])
    #expect(missing.status == 2)
    #expect(missing.stderr == "iommu-plan: /no/such/board.dtb: no such file\n")
  }

  @Test func oneBadFileAmongGoodOnesStillReportsTheGoodOnes() throws {
    let bad = try write([0, 1, 2, 3, 4, 5, 6, 7, 8], "bad.dtb")
    let result = try run(["--format", "json", try dtb("server-smmuv3.dts"), bad])
    #expect(result.status == 2)
    let array = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
    #expect(array?.count == 2)
    #expect(array?.first?["error"] == nil)
    #expect(array?.last?["error"] as? String == "bad magic 0x10203 (expected 0xd00dfeed)")
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  /// One shape for an input that gave no report, whichever command read it.
  @Test func anUnreadableFileIsTheSameObjectInReportAndLint() throws {
    let bad = try write([0, 1, 2, 3, 4, 5, 6, 7, 8], "bad.dtb")
    let good = try dtb("server-smmuv3.dts")
    let report = try run(["--format", "json", "--kernel-version", "6.12", good, bad])
    let lint = try run(["lint", "--format", "json", "--kernel-version", "6.12", bad])
    #expect(report.status == 2)
    #expect(lint.status == 2)
    // The report's array holds the same object the lint array does, byte for
    // byte (lint's has no baseline here, so nothing is added to it).
    let object = lint.stdout.dropFirst(2).dropLast(3)
    #expect(object.hasPrefix("  {\n    \"schema_version\": 1,"))
    #expect(report.stdout.contains(object))
    let array = try JSONSerialization.jsonObject(with: Data(lint.stdout.utf8)) as? [[String: Any]]
    let keys = ["schema_version", "input", "kernel_version", "iommus", "links", "plan"]
    #expect(Array(array?.first?.keys.sorted() ?? []) == (keys + ["diagnostics", "error"]).sorted())
    #expect(array?.first?["kernel_version"] as? String == "6.12")
    #expect(array?.first?["plan"] is NSNull)
  }

  /// -1 (wait forever) is a value, not an option, after the option name.
  @Test func aNegativeDeferredProbeTimeoutIsAValue() throws {
    let board = sample("server-smmuv3.dts")
    let spaced = try run(["--deferred-probe-timeout", "-1", board])
    #expect(spaced.status == 0, "\(spaced.stderr)")
    #expect(spaced.stdout.contains("deferred_probe_timeout forever"))
    #expect(spaced.stdout == (try run(["--deferred-probe-timeout=-1", board])).stdout)
    let explained = try run([
      "explain", "--deferred-probe-timeout", "-1", board, "/dma-controller@50100000",
    ])
    #expect(
      explained.stdout.hasPrefix(
        "/dma-controller@50100000 on kernel 7.2 (modules on, deferred_probe_timeout forever)"
      ))
  }

  @Test func usageErrorsExitSixtyFour() throws {
    #expect(try run([]).status == 64)
    #expect(try run(["--format", "yaml", sample("server-smmuv3.dts")]).status == 64)
    #expect(try run(["--kernel-version", "banana", sample("server-smmuv3.dts")]).status == 64)
  }

  @Test func aKernelVersionNewerThanModelledIsAUsageErrorNamingTheNewest() throws {
    let result = try run(["--kernel-version", "99.1", sample("server-smmuv3.dts")])
    #expect(result.status == 64)
    #expect(result.stdout.isEmpty)
    #expect(
      result.stderr.hasPrefix(
        "Error: --kernel-version 99.1 is newer than 7.2, the newest release iommu-plan models\n"))
    #expect(try run(["--kernel-version", "7.2", sample("server-smmuv3.dts")]).status == 0)
  }

  /// A module list redirected into modules.load must never be wrong in
  /// silence: a boot device that is not there, or never probes, writes no
  /// list and says why.
  @Test func modulesLoadWritesNoListForAnUnknownOrDisabledBootDevice() throws {
    let board = sample("qcom-sdm845-like.dts")
    let good = try run(["--format", "modules-load", "--boot-device", "ufs_mem_hc", board])
    #expect(good.status == 0)
    #expect(good.stdout == "arm_smmu\n")
    let unknown = try run(["--format", "modules-load", "--boot-device", "/soc@0/nope", board])
    #expect(unknown.status == 2)
    #expect(unknown.stdout.isEmpty)
    #expect(
      unknown.stderr
        == "iommu-plan: \(board): --boot-device /soc@0/nope names no node path or label here; "
        + "no module list written\n")
    let rockchip = sample("rockchip-rk3399-like.dts")
    let disabled = try run(["--format", "modules-load", "--boot-device", "/isp@ff920000", rockchip])
    #expect(disabled.status == 1)
    #expect(disabled.stdout.isEmpty)
    #expect(
      disabled.stderr
        == "iommu-plan: \(rockchip): --boot-device /isp@ff920000 is disabled (or below a "
        + "disabled node), so it never probes; no module list written\n")
  }

  @Test func jsonForSeveralFilesIsAnArrayInArgumentOrder() throws {
    let first = try dtb("virtio-iommu-pci.dts")
    let second = try dtb("legacy-mmu-masters.dts")
    let result = try run(["--format", "json", first, second])
    #expect(result.status == 0)
    let array = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    #expect(
      array.compactMap { ($0["input"] as? [String: Any])?["path"] as? String } == [first, second])
  }

  @Test func standardInputIsNamedDash() throws {
    let blob = try Data(contentsOf: URL(fileURLWithPath: try dtb("rockchip-rk3399-like.dts")))
    let result = try run(["--format", "json", "-"], stdin: blob)
    #expect(result.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    #expect((object?["input"] as? [String: Any])?["path"] as? String == "-")
  }

  @Test func sourceFilesAreCompiledWithDtcAndMatchTheBlob() throws {
    let source = sample("server-smmuv3.dts")
    let blob = try dtb("server-smmuv3.dts")
    let fromSource = try run([source, "--format", "json"])
    let fromBlob = try run([blob, "--format", "json"])
    #expect(fromSource.status == 0)
    #expect(fromSource.stdout.contains("\"links\": ["))
    // The same report, plus where each link and finding is written.
    func withoutSources(_ value: Any) -> Any {
      if let object = value as? [String: Any] {
        return object.filter { $0.key != "source" }.mapValues(withoutSources)
      }
      if let array = value as? [Any] { return array.map(withoutSources) }
      return value
    }
    func normalised(_ text: String, _ path: String) throws -> String {
      let parsed = try JSONSerialization.jsonObject(
        with: Data(text.replacingOccurrences(of: path, with: "BOARD").utf8))
      let data = try JSONSerialization.data(
        withJSONObject: withoutSources(parsed), options: [.sortedKeys])
      return String(decoding: data, as: UTF8.self)
    }
    #expect(try normalised(fromSource.stdout, source) == normalised(fromBlob.stdout, blob))
    #expect(fromSource.stdout.contains("\"source\": {"))
    #expect(!fromBlob.stdout.contains("\"source\": {"))
  }

  @Test func aMissingDtcIsAClearError() throws {
    let result = try run([sample("server-smmuv3.dts")], environment: ["PATH": scratch.path])
    #expect(result.status == 2)
    #expect(result.stderr.contains("cpp not found on PATH (install cpp)"))
  }

  @Test func aDtsThatDtcRejectsIsAClearError() throws {
    let source = scratch.appendingPathComponent("syntax.dts")
    try "/dts-v1/;\n/ { oops = <1 ; };\n".write(to: source, atomically: true, encoding: .utf8)
    let result = try run([source.path])
    #expect(result.status == 2)
    #expect(result.stderr.hasPrefix("iommu-plan: \(source.path): dtc failed (exit 1):"))
  }

  @Test func kernelVersionSelectsTheMapLayout() throws {
    let board = try dtb("broken-board.dts")
    let new = try run(["--format", "json", board])
    let old = try run(["--format", "json", "--kernel-version", "6.12", board])
    #expect(new.stdout.contains("\"kernel_version\": \"7.2\""))
    #expect(old.stdout.contains("\"kernel_version\": \"6.12\""))
    #expect(new.stdout != old.stdout)
  }

  @Test func outputIsByteIdenticalAcrossRuns() throws {
    let board = try dtb("qcom-sdm845-like.dts")
    #expect(try run([board]).stdout == (try run([board]).stdout))
    #expect(
      try run(["--format", "json", board]).stdout == (try run(["--format", "json", board]).stdout))
  }
}
