// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// The planner's fixtures (`Fixtures/plan-*.dts`): each says on its first lines what the kernel
/// does with it and carries the `// build:` line it is planned for. A test may plan the same tree
/// for another build by giving other build tokens, which replace the fixture's line.
enum PlanFixture {
  /// Every planner fixture, by file name.
  static func all() throws -> [String] {
    let directory = Fixtures.url("plan-translated.dts").deletingLastPathComponent()
    return try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasPrefix("plan-") && $0.hasSuffix(".dts") }.sorted()
  }

  /// The fixture's text, its `// build:` line replaced by `tokens` unless they are nil.
  static func source(_ name: String, build tokens: String? = nil) throws -> String {
    let text = try String(contentsOf: Fixtures.url(name), encoding: .utf8)
    guard let tokens else { return text }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("// build: ") }
    return (["// build: \(tokens)"] + lines).joined(separator: "\n")
  }

  /// The tokens of the fixture's own `// build:` line ("" when it has none).
  static func buildLine(_ name: String) throws -> String {
    let marker = "// build: "
    let line = try source(name).split(separator: "\n").first { $0.hasPrefix(marker) }
    return line.map { String($0.dropFirst(marker.count)) } ?? ""
  }

  /// The tree, the build and the report, for `explain` and the renderers.
  static func plan(
    _ name: String, build tokens: String? = nil, kernel: KernelVersion = .newest,
    explain: [String] = []
  ) throws -> (tree: DeviceTree, build: KernelBuild, report: Report) {
    let (build, parsed) = FixtureBuild.parse(try source(name, build: tokens), kernel: kernel)
    var request = parsed
    request.explain = explain
    let tree = try DeviceTree(blob: Fixtures.blob(dts: Fixtures.url(name)))
    return (tree, build, Report(tree: tree, inputPath: name, build: build, request: request))
  }

  /// `explain`'s text for `device` (a path or a label) on the fixture's build; nil when the
  /// name matches no node.
  static func explain(_ name: String, _ device: String, build tokens: String? = nil) throws
    -> String?
  {
    let report = try plan(name, build: tokens, explain: [device]).report
    let explanation = try #require(report.explanations.first)
    guard explanation.node != nil else { return nil }
    return ExplanationRenderer.render(explanation, report)
  }

  static func report(_ name: String, build tokens: String? = nil, kernel: KernelVersion = .newest)
    throws -> Report
  {
    try plan(name, build: tokens, kernel: kernel).report
  }

  /// The plan's consumer for `device` through `property`.
  static func consumer(
    _ report: Report, _ device: String, _ property: LinkProperty = .iommus,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> ConsumerView {
    try #require(
      report.consumerViews.first { $0.device == device && $0.property == property },
      "no \(property.rawValue) consumer \(device) among \(report.consumerViews.map(\.device))",
      sourceLocation: sourceLocation)
  }

  /// `waits_for` as "IOMMU module" lines.
  static func waits(_ consumer: ConsumerView) -> [String] {
    consumer.waitsFor.map { "\($0.iommu) \($0.module ?? "-")" }
  }

  /// Findings with `code`, as "path:property" (`-` for none).
  static func findings(_ report: Report, _ code: DiagnosticCode) -> [String] {
    report.diagnostics.filter { $0.code == code }.map {
      "\(report.path(of: $0) ?? "-"):\($0.property ?? "-")"
    }
  }

  static func messages(_ report: Report, _ code: DiagnosticCode) -> [String] {
    report.diagnostics.filter { $0.code == code }.map(\.message)
  }

  static func modules(_ loads: [Plan.ModuleLoad]?) -> [String] {
    (loads ?? []).map(\.module)
  }

  /// Every module's `needs` that are in `loads` come before it.
  static func needsComeFirst(_ loads: [Plan.ModuleLoad]) -> Bool {
    let position = Dictionary(
      loads.enumerated().map { ($0.element.module, $0.offset) }, uniquingKeysWith: { a, _ in a })
    return loads.enumerated().allSatisfy { index, load in
      load.needs.allSatisfy { (position[$0] ?? -1) < index }
    }
  }
}

/// Who is a consumer, the deadline the kernel build sets, fw_devlink.strict, and the
/// fixtures themselves (docs/kernel-rules.md §2.1, §6.3–6.5, §7.2).
@Suite struct PlannerTests {
  // MARK: - Which nodes are consumers

  @Test func disabledNodesAndNodesUnderADisabledBusAreNotConsumers() throws {
    let report = try PlanFixture.report("plan-consumers.dts")
    let devices = report.consumerViews.map(\.device)
    #expect(!devices.contains("/usb@50000000"))
    #expect(!devices.contains("/bus@60000000/mmc@60001000"))
    // The links are still read (the JSON lists them); the planner leaves them out.
    #expect(report.links.contains { report.consumerPath($0) == "/usb@50000000" })
  }

  @Test func aRootComplexWithIommusAndIommuMapIsTwoConsumers() throws {
    let report = try PlanFixture.report("plan-consumers.dts")
    #expect(
      report.consumerViews.map { "\($0.device) \($0.property.rawValue)" } == [
        "/pcie@40000000 iommu-map", "/pcie@40000000 iommus",
      ])
    let own = try PlanFixture.consumer(report, "/pcie@40000000", .iommus)
    let bus = try PlanFixture.consumer(report, "/pcie@40000000", .iommuMap)
    #expect(own.streamIDs == [0x7f00])
    #expect(bus.streamIDs == [0x0])
    #expect(own.outcome == .translated)
    #expect(bus.outcome == .translated)
  }

  @Test func aPCIEndpointIsConfiguredThroughTheRootComplexOnly() throws {
    let report = try PlanFixture.report("plan-consumers.dts")
    #expect(!report.consumerViews.contains { $0.device == "/pcie@40000000/wifi@0,0" })
    #expect(
      PlanFixture.findings(report, .iommusUnderPCIHost) == ["/pcie@40000000/wifi@0,0:iommus"])
  }

  @Test func consumersAreSortedByDevicePath() throws {
    for name in try PlanFixture.all() {
      let devices = try PlanFixture.report(name).consumerViews.map(\.device)
      #expect(devices == devices.sorted(), "\(name)")
    }
  }

  // MARK: - The deferred-probe deadline (§6.3, §6.4)

  @Test(arguments: [
    ("module=arm_smmu_v3", 10, "within 10 s of late_initcall"),
    ("module=arm_smmu_v3 timeout=30", 30, "within 30 s of late_initcall"),
    ("module=arm_smmu_v3 timeout=1", 1, "within 1 s of late_initcall"),
  ])
  func theDeadlineNamesTheTimeout(build: String, seconds: Int, words: String) throws {
    let report = try PlanFixture.report("plan-deferred-module.dts", build: build)
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(report.plan.assumptions.deferredProbeTimeout == seconds)
    #expect(nic.outcome == .deferred)
    #expect(nic.reason.contains(words))
    #expect(nic.reason.contains("each driver registration re-arms the timer"))
  }

  @Test func aTimeoutOfZeroMeansTheModuleAlwaysLoadsTooLate() throws {
    let report = try PlanFixture.report(
      "plan-deferred-module.dts", build: "module=arm_smmu_v3 timeout=0")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(nic.outcome == .unprotected)
    #expect(PlanFixture.waits(nic) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(nic.reason.contains("deferred_probe_timeout is 0"))
    #expect(nic.reason.contains("before any module loads"))
  }

  @Test func aTimeoutOfMinusOneWaitsForever() throws {
    let report = try PlanFixture.report(
      "plan-deferred-module.dts", build: "module=arm_smmu_v3 timeout=-1")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(report.plan.assumptions.deferredProbeTimeout == -1)
    #expect(nic.outcome == .deferred)
    #expect(PlanFixture.waits(nic) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(nic.reason.contains("waits indefinitely (deferred_probe_timeout=-1)"))
    #expect(!nic.reason.contains("within"))
  }

  @Test func kernel71TakesTheTimeoutFromKconfig() throws {
    let build = "module=arm_smmu_v3 config=DRIVER_DEFERRED_PROBE_TIMEOUT=30"
    let report = try PlanFixture.report(
      "plan-deferred-module.dts", build: build, kernel: KernelVersion(7, 1))
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(report.plan.assumptions.deferredProbeTimeout == 30)
    #expect(nic.reason.contains("within 30 s of late_initcall"))

    let forever = try PlanFixture.report(
      "plan-deferred-module.dts",
      build: "module=arm_smmu_v3 config=DRIVER_DEFERRED_PROBE_TIMEOUT=-1",
      kernel: KernelVersion(7, 1))
    #expect(forever.plan.assumptions.deferredProbeTimeout == -1)
    #expect(
      try PlanFixture.consumer(forever, "/ethernet@1c0000").reason.contains("waits indefinitely"))
  }

  @Test(arguments: [KernelVersion(6, 12), KernelVersion(6, 1)])
  func kernels6xIgnoreTheKconfigTimeout(kernel: KernelVersion) throws {
    let build = "module=arm_smmu_v3 config=DRIVER_DEFERRED_PROBE_TIMEOUT=30"
    let report = try PlanFixture.report("plan-deferred-module.dts", build: build, kernel: kernel)
    #expect(report.plan.assumptions.deferredProbeTimeout == 10)
    #expect(
      try PlanFixture.consumer(report, "/ethernet@1c0000").reason.contains(
        "within 10 s of late_initcall"))
  }

  @Test func withoutModulesTheTimeoutIsZeroAndNothingIsLoaded() throws {
    let report = try PlanFixture.report("plan-unprotected-no-modules.dts")
    #expect(report.plan.assumptions.modules == false)
    #expect(report.plan.assumptions.deferredProbeTimeout == 0)
    #expect(report.plan.loadOrder.isEmpty)
  }

  // MARK: - fw_devlink.strict (§7.2, §7.6)

  @Test func strictAddsTheDeviceLinkToTheReason() throws {
    let report = try PlanFixture.report(
      "plan-deferred-module.dts", build: "module=arm_smmu_v3 strict")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(report.plan.assumptions.fwDevlinkStrict)
    #expect(nic.outcome == .deferred)
    #expect(nic.reason.contains("fw_devlink.strict: also held by a device link"))

    let relaxed = try PlanFixture.report("plan-deferred-module.dts")
    #expect(relaxed.plan.assumptions.fwDevlinkStrict == false)
    #expect(!(try PlanFixture.consumer(relaxed, "/ethernet@1c0000").reason.contains("device link")))
  }

  // MARK: - Assumptions

  @Test func theAssumptionsSayWhereEachDriverModeCameFrom() throws {
    let flagged = try PlanFixture.report("plan-unprotected-absent.dts")
    #expect(
      flagged.plan.assumptions.drivers.map { "\($0.module) \($0.mode) \($0.source)" } == [
        "arm_smmu absent flag"
      ])
    let configured = try PlanFixture.report(
      "plan-unprotected-absent.dts", build: "config=ARM_SMMU=n")
    #expect(
      configured.plan.assumptions.drivers.map { "\($0.module) \($0.mode) \($0.source)" } == [
        "arm_smmu absent config"
      ])
    let defaults = try PlanFixture.report("plan-unprotected-absent.dts", build: "")
    #expect(
      defaults.plan.assumptions.drivers.map { "\($0.module) \($0.mode) \($0.source)" } == [
        "arm_smmu module default"
      ])
    #expect(defaults.notes.contains { $0.contains("assumed modules") })
    #expect(!configured.notes.contains { $0.contains("assumed modules") })
  }

  // MARK: - The fixtures

  @Test func everyPlanFixtureSaysWhatTheKernelDoesAndIsSmall() throws {
    let names = try PlanFixture.all()
    #expect(names.count >= 30)
    for name in names {
      let lines = try PlanFixture.source(name).split(separator: "\n")
      #expect(lines.first?.hasPrefix("// Linux: ") == true, "\(name) has no leading comment")
      #expect(lines.count <= 40, "\(name) has \(lines.count) lines")
      #expect(lines.contains("/dts-v1/;"), "\(name)")
    }
  }

  @Test func everyPlanIsDeterministic() throws {
    for name in try PlanFixture.all() {
      let first = try PlanFixture.report(name)
      let second = try PlanFixture.report(name)
      #expect(
        JSONRenderer.render(first) == JSONRenderer.render(second), "\(name)")
    }
  }
}
