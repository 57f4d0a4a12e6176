// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

@testable import Renderers

/// What an IOMMU waits for beyond fw_devlink: devices its driver's probe looks up itself
/// (`mediatek,larbs`, a larb's `mediatek,smi`), suppliers served by a platform device their
/// driver creates (mtk-mmsys's clock children), and modules.alias naming several modules for
/// one supplier (docs/kernel-rules.md §7.7, §7.8).
@Suite struct PlannerLookupTests {
  static let fixture = "plan-mtk-larbs.dts"

  // MARK: - mediatek,larbs and mediatek,smi (§7.7)

  /// mtk_iommu_mm_dts_parse returns -EPROBE_DEFER until each larb is bound by mtk_smi; the larbs
  /// need vdosys0's clocks (mtk_mmsys and clk_mt8195_vdo0), and larb2's sub-common needs
  /// vppsys0's (clk_mt8195_vpp0). mediatek_drm shares vdosys0's alias but never binds it.
  @Test func theIOMMUWaitsForItsLarbsAndWhatTheyNeed() throws {
    let report = try PlanFixture.report(Self.fixture)
    let ovl = try PlanFixture.consumer(report, "/ovl@1c000000")
    #expect(ovl.outcome == .deferred)
    #expect(
      PlanFixture.waits(ovl) == [
        "/iommu@1c01f000 clk_mt8195_vdo0", "/iommu@1c01f000 clk_mt8195_vpp0",
        "/iommu@1c01f000 mtk_iommu", "/iommu@1c01f000 mtk_mmsys", "/iommu@1c01f000 mtk_smi",
      ])
    #expect(!ovl.reason.contains("mediatek_drm"))
    #expect(!ovl.reason.contains("clk_mt8195_vdec"), "larb4 is disabled: skipped")
    #expect(report.notes.isEmpty, "the table says which of vdosys0's modules binds")
  }

  @Test func theLoadOrderPutsTheChildAfterItsCreatorAndTheLarbsBeforeTheIOMMU() throws {
    let report = try PlanFixture.report(Self.fixture)
    let loads = report.plan.loadOrder
    #expect(
      PlanFixture.modules(loads) == [
        "mtk_mmsys", "clk_mt8195_vdo0", "clk_mt8195_vpp0", "mtk_smi", "mtk_iommu",
      ])
    let needs = Dictionary(uniqueKeysWithValues: loads.map { ($0.module, $0.needs) })
    #expect(needs["clk_mt8195_vdo0"] == ["mtk_mmsys"])
    #expect(needs["mtk_smi"] == ["clk_mt8195_vdo0", "clk_mt8195_vpp0", "mtk_mmsys"])
    #expect(needs["mtk_iommu"] == ["clk_mt8195_vdo0", "clk_mt8195_vpp0", "mtk_mmsys", "mtk_smi"])
    #expect(loads.last.map(report.provides) == ["/iommu@1c01f000"])
  }

  /// Without the lookups, the IOMMU would wait for its own clock only (and, by alias, for
  /// mediatek_drm): the larbs' driver is what a built-in IOMMU still waits for.
  @Test func aBuiltInIOMMUStillWaitsForTheLarbsDriver() throws {
    let tokens = try PlanFixture.buildLine(Self.fixture).replacingOccurrences(
      of: "module=mtk_iommu", with: "builtin=mtk_iommu")
    let report = try PlanFixture.report(Self.fixture, build: tokens)
    let ovl = try PlanFixture.consumer(report, "/ovl@1c000000")
    #expect(ovl.outcome == .deferred)
    #expect(ovl.consumer.modules.contains("mtk_smi"))
    #expect(!ovl.consumer.modules.contains("mtk_iommu"))
  }

  @Test func anAbsentLarbDriverLeavesTheIOMMUUnregistered() throws {
    let tokens = try PlanFixture.buildLine(Self.fixture) + " absent=mtk_smi"
    let ovl = try PlanFixture.consumer(
      try PlanFixture.report(Self.fixture, build: tokens), "/ovl@1c000000")
    #expect(ovl.outcome == .unprotected)
    #expect(ovl.reason.contains("(mediatek,larbs) needs mtk_smi, which is not in this build"))
  }

  /// An available larb below a disabled bus has no device: of_find_device_by_node gives NULL
  /// and mtk_iommu_mm_dts_parse fails with -ENODEV, so the IOMMU never registers.
  @Test func aLarbWithoutADeviceFailsTheIOMMUProbe() throws {
    let report = try Self.report(
      """
      // build: module=mtk_iommu alias=mediatek,mt8183-smi-larb:mtk_smi
      /dts-v1/;
      / {
        smi: smi@1 { compatible = "mediatek,mt8183-smi-common"; };
        bus@2 {
          status = "disabled";
          larb0: larb@3 { compatible = "mediatek,mt8183-smi-larb"; mediatek,smi = <&smi>; };
        };
        iommu: iommu@4 {
          compatible = "mediatek,mt8183-m4u"; #iommu-cells = <1>; mediatek,larbs = <&larb0>;
        };
        vcodec@5 { iommus = <&iommu 1>; };
      };
      """)
    let vcodec = try PlanFixture.consumer(report, "/vcodec@5")
    #expect(vcodec.outcome == .unprotected)
    #expect(
      vcodec.reason.contains(
        "mtk-iommu cannot probe /iommu@4: its mediatek,larbs names /bus@2/larb@3, for which no "
          + "device is created (mtk_iommu_mm_dts_parse fails)"))
  }

  /// Only the MM IOMMUs parse mediatek,larbs: mtk_iommu_probe gives an -iommu-infra one a
  /// pericfg lookup instead, so its larbs (were it to list any) hold nothing back.
  @Test func anInfraIOMMUReadsNoLarbs() throws {
    let report = try Self.report(
      """
      // build: module=mtk_iommu alias=mediatek,mt8195-smi-larb:mtk_smi
      /dts-v1/;
      / {
        larb0: larb@1 { compatible = "mediatek,mt8195-smi-larb"; };
        iommu: iommu@2 {
          compatible = "mediatek,mt8195-iommu-infra"; #iommu-cells = <1>;
          mediatek,larbs = <&larb0>;
        };
        pcie@3 { iommus = <&iommu 1>; };
      };
      """)
    let pcie = try PlanFixture.consumer(report, "/pcie@3")
    #expect(PlanFixture.waits(pcie) == ["/iommu@2 mtk_iommu"])
  }

  // MARK: - A supplier served by a created device (§7.8)

  /// mtk-mmsys itself is the reset controller: only a clock consumer waits for the clock child.
  @Test func onlyTheChildsPropertyWaitsForTheChild() throws {
    let source = """
      // build: builtin=mtk_iommu alias=mediatek,mt8195-vdosys0:mtk_mmsys \
      platform=clk-mt8195-vdo0:clk_mt8195_vdo0
      /dts-v1/;
      / {
        vdosys0: syscon@1 {
          compatible = "mediatek,mt8195-vdosys0", "syscon"; #clock-cells = <1>; #reset-cells = <1>;
        };
        iommu: iommu@2 {
          compatible = "mediatek,mt8195-iommu-infra"; #iommu-cells = <1>; PROPERTY = <&vdosys0 0>;
        };
        pcie@3 { iommus = <&iommu 1>; };
      };
      """
    let resets = try Self.report(source.replacingOccurrences(of: "PROPERTY", with: "resets"))
    #expect(
      PlanFixture.waits(try PlanFixture.consumer(resets, "/pcie@3")) == ["/iommu@2 mtk_mmsys"])
    let clocks = try Self.report(source.replacingOccurrences(of: "PROPERTY", with: "clocks"))
    #expect(
      PlanFixture.waits(try PlanFixture.consumer(clocks, "/pcie@3")) == [
        "/iommu@2 clk_mt8195_vdo0", "/iommu@2 mtk_mmsys",
      ])
  }

  // MARK: - explain

  @Test func explainShowsTheLarbsAndTheCreatedDeviceWithTheirRules() throws {
    let text = try #require(try PlanFixture.explain(Self.fixture, "/ovl@1c000000"))
    let steps = [
      "2. /iommu@1c01f000 (iommu_vdo): driver mtk-iommu, CONFIG_MTK_IOMMU module (flag)",
      "3. /iommu@1c01f000 needs /syscon@1c01a000 through clocks (mtk_mmsys: module, "
        + "clk_mt8195_vdo0: module)",
      "rule: fw_devlink makes each of these a mandatory supplier link",
      "4. /iommu@1c01f000 needs /larb@1c018000 through mediatek,larbs (mtk_smi: module)",
      "/iommu@1c01f000 needs /larb@14f02000 through mediatek,larbs (mtk_smi: module)",
      "rule: the IOMMU driver's probe looks each of these devices up itself and returns "
        + "-EPROBE_DEFER until it is bound",
      "(kernel-rules.md §7.7)",
      "5. /syscon@14000000 (clocks of /smi@14010000): mtk_mmsys (module) binds it and creates "
        + "platform device clk-mt8195-vpp0, whose driver clk_mt8195_vpp0 (module) provides the "
        + "clocks",
      "/syscon@1c01a000 (clocks of /iommu@1c01f000): mtk_mmsys (module) binds it and creates "
        + "platform device clk-mt8195-vdo0, whose driver clk_mt8195_vdo0 (module) provides the "
        + "clocks; mediatek_drm shares its alias but never binds it",
      "(kernel-rules.md §7.8)",
      "6. outcome: deferred",
    ]
    var rest = Substring(text)
    for step in steps {
      let found = try #require(rest.range(of: step), "missing or out of order: \(step)\n\(text)")
      rest = rest[found.upperBound...]
    }
    #expect(!text.contains("larb@1602e000"), "the disabled larb is skipped")
  }

  @Test func explainJSONReusesTheSuppliersStepWithTheNewRules() throws {
    let report = try PlanFixture.plan(Self.fixture, explain: ["/ovl@1c000000"]).report
    let explanation = try #require(report.explanations.first)
    var output = TextOutput()
    ExplanationJSONRenderer.render(explanation, report, to: &output)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as? [String: Any])
    let consumers = try #require(object["consumers"] as? [[String: Any]])
    let steps = try #require(consumers.first?["steps"] as? [[String: Any]])
    #expect(
      steps.map { "\($0["kind"] ?? "") \($0["rule"] ?? "")" } == [
        "entries iommus_walk", "iommu modular_driver", "suppliers supplier_links",
        "suppliers driver_suppliers", "suppliers created_device", "outcome deferred_probe",
      ])
    let larbs = try #require(steps[3]["suppliers"] as? [[String: Any]])
    #expect(larbs.map { $0["device"] as? String } == ["/larb@1c018000", "/larb@14f02000"])
    #expect(larbs.allSatisfy { $0["property"] as? String == "mediatek,larbs" })
    let created = try #require(steps[4]["suppliers"] as? [[String: Any]])
    let vdosys0 = try #require(created.first { $0["device"] as? String == "/syscon@1c01a000" })
    #expect(vdosys0["needed_by"] as? String == "/iommu@1c01f000")
    #expect(vdosys0["ambiguous"] as? Bool == false)
    #expect(vdosys0["unbound"] as? [String] == ["mediatek_drm"])
    let child = try #require(vdosys0["created_device"] as? [String: Any])
    #expect(child["name"] as? String == "clk-mt8195-vdo0")
    #expect(child["created_by"] as? String == "mtk_mmsys")
    #expect(child["modules"] as? [String] == ["clk_mt8195_vdo0"])
    let modules = try #require(vdosys0["modules"] as? [[String: String]])
    #expect(modules.map { $0["name"] } == ["mtk_mmsys", "clk_mt8195_vdo0"])
  }

  // MARK: - Several modules for one supplier

  static let ambiguous = """
    // build: builtin=arm_smmu alias=vendor,clock-controller:vendor_clk \
    alias=vendor,clock-controller:vendor_clk_legacy
    /dts-v1/;
    / {
      cc: clock-controller@1 { compatible = "vendor,clock-controller"; #clock-cells = <1>; };
      smmu: iommu@2 { compatible = "arm,mmu-500"; #iommu-cells = <1>; clocks = <&cc 0>; };
      usb@3 { iommus = <&smmu 0x10>; };
    };
    """

  /// No table says which of the two binds: the plan waits for both, and says so instead of
  /// picking one silently, in the plan's assumptions and in explain's supplier step.
  @Test func twoModulesForOneSupplierAreAmbiguous() throws {
    let report = try Self.report(Self.ambiguous, explain: ["/usb@3"])
    let usb = try PlanFixture.consumer(report, "/usb@3")
    #expect(PlanFixture.waits(usb) == ["/iommu@2 vendor_clk", "/iommu@2 vendor_clk_legacy"])
    #expect(
      report.notes == [
        "modules.alias names vendor_clk, vendor_clk_legacy for /clock-controller@1 and "
          + "iommu-plan's tables do not say which one binds it: the plan waits for each that is "
          + "in the build"
      ])
    let explanation = try #require(report.explanations.first)
    let text = ExplanationRenderer.render(explanation, report)
    #expect(
      text.contains(
        "/iommu@2 needs /clock-controller@1 through clocks (ambiguous: modules.alias names "
          + "vendor_clk: module, vendor_clk_legacy: module and iommu-plan cannot tell which "
          + "binds it, so it waits for each in the build)"))
    let json = JSONRenderer.render(report)
    #expect(json.contains("\"modules.alias names vendor_clk, vendor_clk_legacy for"))
    #expect(TextRenderer.render(report).contains("  assumed: modules.alias names vendor_clk"))
  }

  /// Of two candidates, one missing from the build binds nothing; the other still can.
  @Test func anAmbiguousCandidateNotInTheBuildIsNoWait() throws {
    let report = try Self.report(Self.ambiguous + "\n// build: absent=vendor_clk_legacy")
    let usb = try PlanFixture.consumer(report, "/usb@3")
    #expect(usb.outcome == .deferred)
    #expect(PlanFixture.waits(usb) == ["/iommu@2 vendor_clk"])
  }

  // MARK: - A modules directory on disk

  /// The same plan from a modules directory as depmod writes it: `of:` and `platform:` lines in
  /// modules.alias, paths in modules.dep (with mtk_mmsys's own dependency), modules.builtin.
  @Test func aModulesDirectoryWithPlatformAliasesGivesTheSamePlan() throws {
    let scratch = try Fixtures.Scratch()
    let directory = scratch.url.appendingPathComponent("6.12.0-test")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let files = [
      "modules.alias": """
      alias of:N*T*Cmediatek,mt8195-smi-larbC* mtk_smi
      alias of:N*T*Cmediatek,mt8195-smi-common-vdoC* mtk_smi
      alias of:N*T*Cmediatek,mt8195-smi-sub-commonC* mtk_smi
      alias of:N*T*Cmediatek,mt8195-vdosys0C* mediatek_drm
      alias of:N*T*Cmediatek,mt8195-vdosys0C* mtk_mmsys
      alias of:N*T*Cmediatek,mt8195-vppsys0C* mtk_mmsys
      alias of:N*T*Cmediatek,mt8195-iommu-vdoC* mtk_iommu
      alias platform:clk-mt8195-vdo0 clk_mt8195_vdo0
      alias platform:clk-mt8195-vpp0 clk_mt8195_vpp0

      """,
      "modules.dep": """
      kernel/drivers/iommu/mtk_iommu.ko.xz:
      kernel/drivers/memory/mtk-smi.ko.xz:
      kernel/drivers/soc/mediatek/mtk-mmsys.ko.xz: kernel/drivers/soc/mediatek/mtk-cmdq-helper.ko.xz
      kernel/drivers/soc/mediatek/mtk-cmdq-helper.ko.xz:
      kernel/drivers/gpu/drm/mediatek/mediatek-drm.ko.xz:
      kernel/drivers/clk/mediatek/clk-mt8195-vdo0.ko.xz:
      kernel/drivers/clk/mediatek/clk-mt8195-vpp0.ko.xz:

      """,
      "modules.builtin": "kernel/drivers/clk/mediatek/clk-mt8195-topckgen.ko\n",
    ]
    for (name, text) in files {
      try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let build = KernelBuild(modules: try ModuleIndex.load(directory: directory.path))
    let tree = try DeviceTree(blob: Fixtures.blob(dts: Fixtures.url(Self.fixture)))
    let report = Report(tree: tree, inputPath: Self.fixture, build: build)
    let ovl = try PlanFixture.consumer(report, "/ovl@1c000000")
    #expect(
      ovl.consumer.modules == [
        "clk_mt8195_vdo0", "clk_mt8195_vpp0", "mtk_iommu", "mtk_mmsys", "mtk_smi",
      ])
    #expect(
      PlanFixture.modules(report.plan.loadOrder) == [
        "mtk_cmdq_helper", "mtk_mmsys", "clk_mt8195_vdo0", "clk_mt8195_vpp0", "mtk_smi",
        "mtk_iommu",
      ])
    #expect(
      report.plan.loadOrder.first { $0.module == "clk_mt8195_vdo0" }?.path
        == "kernel/drivers/clk/mediatek/clk-mt8195-vdo0.ko.xz")
  }

  /// A report of `source`, on the build its `// build:` lines describe.
  static func report(_ source: String, explain: [String] = []) throws -> Report {
    let lines = source.split(separator: "\n").filter { $0.hasPrefix("// build: ") }
    let merged =
      "// build: " + lines.map { $0.dropFirst("// build: ".count) }.joined(separator: " ") + "\n"
      + source.split(separator: "\n").filter { !$0.hasPrefix("// build: ") }.joined(
        separator: "\n")
    var (build, request) = FixtureBuild.parse(merged, kernel: .newest)
    request.explain = explain
    return Report(
      tree: try Fixtures.tree(source: merged), inputPath: "t.dtb", build: build, request: request)
  }
}
