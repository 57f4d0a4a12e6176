// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

@testable import Renderers

/// The plan as people and scripts read it: `explain`, Graphviz, Mermaid, the text report and
/// the JSON contract's PLAN object (json-output.md).
@Suite struct PlannerOutputTests {
  // MARK: - explain

  @Test func explainWalksFromTheEntryThroughTheDriverAndSuppliersToTheOutcome() throws {
    let text = try #require(try PlanFixture.explain("plan-supplier-clock.dts", "/usb@a600000"))
    let steps = [
      "/usb@a600000 on kernel 7.2 (modules on, deferred_probe_timeout 10 s)",
      "1. iommus: 1 entry read",
      "-> /iommu@15000000: iommus[0] <0x740 0x0>",
      "rule: of_iommu_configure_dev walks iommus in order",
      "2. /iommu@15000000 (apps_smmu): driver arm-smmu, CONFIG_ARM_SMMU module (flag)",
      "rule: a modular IOMMU registers only when its module loads",
      "3. /iommu@15000000 needs /clock-controller@100000 through clocks (gcc_sdm845: module)",
      "rule: fw_devlink makes each of these a mandatory supplier link",
      "4. outcome: deferred: defers until arm_smmu, gcc_sdm845 load",
      "rule: the device stays on the deferred list",
      "to change it: put arm_smmu, gcc_sdm845 in the initramfs",
    ]
    var rest = Substring(text)
    for step in steps {
      let found = try #require(rest.range(of: step), "missing or out of order: \(step)\n\(text)")
      rest = rest[found.upperBound...]
    }
    #expect(text.contains("-EPROBE_DEFER"))
  }

  @Test func explainStopsTheWalkAtADisabledIOMMU() throws {
    let text = try #require(
      try PlanFixture.explain("plan-no-iommu-walk-order.dts", "/gpu@2d000000"))
    #expect(text.contains("1. iommus: 2 entries read\n"))
    #expect(text.contains("-> /iommu@2b400000: iommus[0] <0x10>\n"))
    #expect(text.contains("-> /iommu@2b500000: iommus[1] <0x20>\n"))
    #expect(
      text.contains(
        "2. /iommu@2b400000 (smmu_a): driver arm-smmu-v3, CONFIG_ARM_SMMU_V3 module (flag)"))
    #expect(text.contains("3. /iommu@2b500000 (smmu_b) is disabled (status \"disabled\")"))
    #expect(text.contains("rule: of_iommu_xlate refuses an unavailable IOMMU; the walk ends"))
    #expect(text.contains("4. outcome: no_iommu: waits for arm_smmu_v3, then iommus[1]"))
    #expect(!text.contains("5. "))
  }

  @Test func explainNamesALegacyMastersSMMU() throws {
    let text = try #require(try PlanFixture.explain("plan-legacy.dts", "/ethernet@e0700000"))
    #expect(text.contains("-> /iommu@e0a00000: mmu-masters[0]"))
    #expect(text.contains("driver arm-smmu, CONFIG_ARM_SMMU builtin (flag)"), "\(text)")
    #expect(text.contains("outcome: legacy: attached with an identity"))
  }

  @Test func explainFindsADeviceByLabel() throws {
    let text = try #require(try PlanFixture.explain("plan-boot-ufs.dts", "ufs_mem_hc"))
    #expect(text.hasPrefix("/ufshc@1d84000 on kernel 7.2"))
    #expect(text.contains("outcome: deferred"))
  }

  @Test func explainSaysWhenANodeIsNoConsumer() throws {
    let clock = try #require(
      try PlanFixture.explain("plan-supplier-clock.dts", "/clock-controller@100000"))
    #expect(clock.contains("not a consumer: it has no iommus, no iommu-map and is no mmu-masters"))
    #expect(!clock.contains("outcome:"))
    #expect(try PlanFixture.explain("plan-supplier-clock.dts", "/no-such@0") == nil)

    let disabled = try #require(try PlanFixture.explain("plan-consumers.dts", "/usb@50000000"))
    #expect(disabled.contains("not a consumer"))
    #expect(disabled.contains("it is disabled"))
    #expect(!disabled.contains("outcome:"))

    // The roles behind the words.
    let roles = try PlanFixture.plan(
      "plan-consumers.dts",
      explain: ["/usb@50000000", "/pcie@40000000/wifi@0,0", "/pcie@40000000", "/no-such@0"]
    ).report
    #expect(
      roles.explanations.map(\.name) == [
        "/usb@50000000", "/pcie@40000000/wifi@0,0", "/pcie@40000000", "/no-such@0",
      ])
    #expect(roles.explanations[0].role == .disabled)
    let host = try #require(roles.explanations[2].node)
    #expect(roles.explanations[1].role == .iommusUnderPCIHost(host: host))
    #expect(roles.explanations[2].role == .consumer)
    #expect(roles.explanations[3].node == nil)
    let clockRole = try PlanFixture.plan(
      "plan-supplier-clock.dts", explain: ["/clock-controller@100000"]
    ).report.explanations.first?.role
    #expect(clockRole == .notReferenced)
  }

  /// The root complex of the SDM845-like board: its map is summarised per
  /// IOMMU as ranges, so the whole chain fits one screen.
  @Test func explainOfARootComplexFitsOneScreen() throws {
    let tree = try DeviceTree(
      blob: Fixtures.blob(dts: Fixtures.samples.appendingPathComponent("qcom-sdm845-like.dts")))
    let report = Report(
      tree: tree, inputPath: "qcom-sdm845-like.dtb", build: KernelBuild(),
      request: PlanRequest(explain: ["/soc@0/pci@1c00000"]))
    let explanation = try #require(report.explanations.first)
    #expect(explanation.role == .consumer)
    let text = ExplanationRenderer.render(explanation, report)
    let lines = text.split(separator: "\n")
    #expect(lines.first?.hasPrefix("/soc@0/pci@1c00000 on kernel ") == true)
    #expect(lines.contains { $0.contains("outcome: ") })
    #expect(lines.count <= 25, "\(lines.count) lines:\n\(text)")
  }

  /// A run of map entries that step alike is one range only while the
  /// entries reach one IOMMU, in the JSON as in the text.
  @Test func explainRangesNeverSpanTwoIOMMUs() throws {
    let source = """
      // build: module=arm_smmu_v3
      /dts-v1/;
      / {
        a: iommu@1000 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
        b: iommu@2000 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
        pcie@3000 {
          device_type = "pci";
          iommu-map = <0x0 &a 0x0 0x80>, <0x80 &b 0x80 0x80>, <0x100 &b 0x100 0x80>;
        };
      };
      """
    let (build, parsed) = FixtureBuild.parse(source)
    var request = parsed
    request.explain = ["/pcie@3000"]
    let report = Report(
      tree: try Fixtures.tree(source: source), inputPath: "t.dtb", build: build, request: request)
    let explanation = try #require(report.explanations.first)
    var output = TextOutput()
    ExplanationJSONRenderer.render(explanation, report, to: &output)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as? [String: Any])
    let consumers = try #require(object["consumers"] as? [[String: Any]])
    let steps = try #require(consumers.first?["steps"] as? [[String: Any]])
    let ranges = try #require(steps.first?["ranges"] as? [[String: Any]])
    #expect(ranges.map { $0["iommu"] as? String } == ["/iommu@1000", "/iommu@2000"])
    #expect(ranges.map { $0["first_entry"] as? Int } == [0, 1])
    #expect(ranges.map { $0["last_entry"] as? Int } == [0, 2])
  }

  /// Each rule `explain` prints cites docs/kernel-rules.md; the sections it
  /// cites exist, and the document's rule table gives the same ones.
  @Test(arguments: Explanation.Rule.allCases)
  func explainCitesTheSectionsOfKernelRules(rule: Explanation.Rule) throws {
    let document = try String(
      contentsOf: Fixtures.root.appendingPathComponent("docs/kernel-rules.md"), encoding: .utf8)
    let cited = ExplanationRenderer.section(rule)
    for section in cited.split(separator: ", ") {
      let number = section.dropFirst()  // "§"
      #expect(
        document.contains("\n### \(number) ") || document.contains("\n## \(number). "),
        "no section \(section) for \(rule.rawValue)")
    }
    let row = document.split(separator: "\n").first { $0.hasPrefix("| `\(rule.rawValue)` |") }
    #expect(row?.hasSuffix("| \(cited) |") == true, "\(rule.rawValue): \(row ?? "no row")")
  }

  // MARK: - Graphviz

  static let dotIsInstalled: Bool =
    (try? Fixtures.run("dot", ["-V"]).status == 0) ?? false

  static let fixtures: [String] = (try? PlanFixture.all()) ?? []

  @Test(.enabled(if: dotIsInstalled, "needs Graphviz's dot"), arguments: fixtures)
  func dotRendersEveryPlanWithGraphviz(fixture: String) throws {
    let output = DOTRenderer.render(try PlanFixture.report(fixture))
    let result = try Fixtures.run("dot", ["-Tsvg"], stdin: Data(output.utf8))
    #expect(result.status == 0, "\(fixture): \(result.stderr)")
    #expect(result.stdout.contains("<svg"))
  }

  @Test func dotColoursConsumersByOutcomeAndNamesEachDriverMode() throws {
    let output = DOTRenderer.render(try PlanFixture.report("plan-streamid-smmuv3.dts"))
    #expect(
      output.contains(
        "\"/sata@50100000\" [label=\"/sata@50100000\\nunprotected\", fillcolor=tomato];"))
    #expect(
      output.contains(
        "\"/usb@50200000\" [label=\"/usb@50200000\\ntranslated\", fillcolor=palegreen];"))
    #expect(
      output.contains(
        "\"/iommu@2b400000\" [shape=hexagon, label=\"smmu\\n/iommu@2b400000\\narm-smmu-v3: builtin\""
      ))
    #expect(
      output.contains("\"/sata@50100000\" -> \"/iommu@2b400000\" [label=\"iommus[0]: 0x10\"];"))
  }

  /// One edge per consumer and IOMMU, whatever the number of entries, with
  /// the IDs summarised; a legend of the colours used; disabled consumers
  /// labelled and dashed.
  @Test func dotDrawsOneEdgePerConsumerAndIOMMUWithALegend() throws {
    let board = try Fixtures.tree(
      source: """
        /dts-v1/;
        / {
          smmu: iommu@1000 { compatible = "arm,mmu-500"; #iommu-cells = <2>; };
          camss@2000 {
            iommus = <&smmu 0x808 0>, <&smmu 0x810 8>, <&smmu 0xc08 0>, <&smmu 0xc10 8>,
                     <&smmu 0xc18 0>, <&smmu 0xc20 0>;
          };
          isp@3000 { status = "disabled"; iommus = <&smmu 0x900 0>; };
        };
        """)
    let output = DOTRenderer.render(Report(tree: board, inputPath: "b.dtb"))
    let edges = output.split(separator: "\n").filter { $0.contains(" -> ") }
    #expect(
      edges == [
        "  \"/camss@2000\" -> \"/iommu@1000\" [label=\"iommus, 6 entries: 0x808 0x0, "
          + "0x810 0x8, 0xc08 0x0, 0xc10 0x8 (+2 more)\"];",
        "  \"/isp@3000\" -> \"/iommu@1000\" [label=\"iommus[0]: 0x900 0x0\", style=dashed];",
      ])
    #expect(
      output.contains("  \"/isp@3000\" [label=\"/isp@3000\\ndisabled\", style=dashed];\n"))
    #expect(
      output.contains(
        "<tr><td bgcolor=\"orange\">deferred</td></tr><tr><td style=\"dashed\">disabled</td></tr>"
      ))
    #expect(!output.contains("translated</td>"))
  }

  /// An IOMMU that is itself a consumer is one node, filled with its outcome.
  @Test func dotDrawsAnIOMMUThatIsAConsumerOnce() throws {
    let output = DOTRenderer.render(
      try Self.report(
        """
        // build: module=arm_smmu_v3
        /dts-v1/;
        / {
          outer: iommu@1000 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
          inner: iommu@2000 {
            compatible = "arm,smmu-v3"; #iommu-cells = <1>; iommus = <&outer 7>;
          };
          dma@3000 { iommus = <&inner 1>; };
        };
        """))
    let lines = output.split(separator: "\n").filter { $0.hasPrefix("  \"/iommu@2000\" ") }
    #expect(
      lines == [
        "  \"/iommu@2000\" [shape=hexagon, label=\"inner\\n/iommu@2000\\narm-smmu-v3: module\\n"
          + "as a device: deferred\", fillcolor=orange];",
        "  \"/iommu@2000\" -> \"/iommu@1000\" [label=\"iommus[0]: 0x7\"];",
      ])
  }

  /// A report of `source`, on the build its `// build:` line describes.
  static func report(_ source: String) throws -> Report {
    let (build, request) = FixtureBuild.parse(source, kernel: .newest)
    return Report(
      tree: try Fixtures.tree(source: source), inputPath: "t.dtb", build: build, request: request)
  }

  // MARK: - Mermaid

  @Test(arguments: ["plan-streamid-smmuv3.dts", "plan-no-iommu-walk-order.dts", "plan-legacy.dts"])
  func mermaidHasOneNodePerConsumerAndIOMMUAndEveryClass(fixture: String) throws {
    let report = try PlanFixture.report(fixture)
    let lines = MermaidRenderer.render(report).split(separator: "\n").map(String.init)
    #expect(lines.first == "flowchart LR")
    let iommuNodes = lines.filter { $0.contains("{{") }
    #expect(iommuNodes.count == report.iommus.count)
    for iommu in report.iommus {
      let path = report.path(of: iommu)
      #expect(iommuNodes.contains { $0.contains("\"\(path)") }, "\(path)")
    }
    let consumerNodes = lines.filter { $0.contains("\"]:::") && !$0.hasSuffix(":::disabled") }
    #expect(consumerNodes.count == report.plan.consumers.count)
    for consumer in report.consumerViews {
      let line =
        "[\"\(consumer.device) \(consumer.outcome.rawValue)\"]:::\(consumer.outcome.rawValue)"
      #expect(consumerNodes.contains { $0.hasSuffix(line) }, "\(line)")
    }
    let pairs = Set(report.links.map { "\($0.consumer) \($0.supplier)" })
    #expect(lines.filter { $0.contains("->|") }.count == pairs.count)
    let classes = lines.filter { $0.hasPrefix("  classDef ") }
      .compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
    #expect(classes.sorted() == (Plan.Outcome.allCases.map(\.rawValue) + ["disabled"]).sorted())
  }

  // MARK: - Text

  @Test func theTextReportGroupsDeferredDevicesByModuleAndStatesTheDeadline() throws {
    let text = TextRenderer.render(try PlanFixture.report("plan-supplier-clock.dts"))
    #expect(
      text.contains(
        "plan: kernel 7.2, modules on, deferred_probe_timeout 10 s, fw_devlink.strict off\n"))
    #expect(text.contains("  defers until arm_smmu, gcc_sdm845 load (1):\n    /usb@a600000\n"))
    #expect(
      text.contains(
        "    deadline: unless arm_smmu, gcc_sdm845 load within 10 s of late_initcall (each driver "
          + "registration re-arms the timer), the device probes without translation and stays "
          + "that way\n"))
    #expect(text.contains("  load order: gcc_sdm845 -> arm_smmu\n"))
    #expect(!text.contains("boot modules"))
  }

  /// Each deferred group gets its own deadline, worded for its counts.
  @Test func theDeadlineFollowsTheCountOfModulesAndDevices() throws {
    let source = """
      // build: module=arm_smmu_v3 module=virtio_iommu
      /dts-v1/;
      / {
        smmu: iommu@1000 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
        viommu: iommu@2000 { compatible = "virtio,pci-iommu"; reg = <0x800 0 0 0 0>; #iommu-cells = <1>; };
        dma@3000 { iommus = <&smmu 1>; };
        dma@4000 { iommus = <&smmu 2>; };
        nic@5000 { iommus = <&viommu 3>; };
      };
      """
    let text = TextRenderer.render(try Self.report(source))
    #expect(
      text.contains(
        """
          defers until arm_smmu_v3 loads (2):
            /dma@3000
            /dma@4000
            deadline: unless arm_smmu_v3 loads within 10 s of late_initcall (each driver \
        registration re-arms the timer), these 2 devices probe without translation and stay that way
          defers until virtio_iommu loads (1):
            /nic@5000
            deadline: unless virtio_iommu loads within 10 s of late_initcall (each driver \
        registration re-arms the timer), the device probes without translation and stays that way

        """), "\(text)")
    let never = TextRenderer.render(
      try Self.report(
        source.replacingOccurrences(of: "virtio_iommu\n", with: "virtio_iommu timeout=-1\n")))
    #expect(never.contains("    deadline: they wait indefinitely (deferred_probe_timeout=-1)\n"))
    #expect(never.contains("    deadline: it waits indefinitely (deferred_probe_timeout=-1)\n"))
  }

  /// The IOMMU block says how this build provides the driver, as the plan
  /// does, and what said so.
  @Test func theIOMMUBlockStatesTheModeThePlanUses() throws {
    let module = TextRenderer.render(
      try PlanFixture.report("plan-deferred-module.dts", build: "module=arm_smmu_v3"))
    #expect(
      module.contains(
        "  driver:     arm-smmu-v3 (CONFIG_ARM_SMMU_V3, tristate): module arm_smmu_v3 (flag)\n"))
    let builtin = TextRenderer.render(
      try PlanFixture.report("plan-deferred-module.dts", build: "builtin=arm_smmu_v3"))
    #expect(
      builtin.contains(
        "  driver:     arm-smmu-v3 (CONFIG_ARM_SMMU_V3, tristate): built in (flag)\n"))
    #expect(builtin.contains("translated from the first probe"))
    let assumed = TextRenderer.render(try PlanFixture.report("plan-deferred-module.dts", build: ""))
    #expect(
      assumed.contains(
        "  driver:     arm-smmu-v3 (CONFIG_ARM_SMMU_V3, tristate): module arm_smmu_v3 (default)\n"))
  }

  @Test func theTextReportListsOtherOutcomesWithTheirReasons() throws {
    let text = TextRenderer.render(try PlanFixture.report("plan-streamid-smmuv3.dts"))
    #expect(
      text.contains("  unprotected (1):\n    /sata@50100000: stream ID 0x10 on /iommu@2b400000"))
    #expect(
      text.contains(
        "  translated from the first probe (2):\n    /dma-controller@50000000\n    /usb@50200000\n")
    )
    #expect(text.contains("  load order: nothing to load\n"))
  }

  @Test func theTextReportNamesTheBootModules() throws {
    let build = PlannerModuleTests.ufsBuild + " boot=/ufshc@1d84000"
    let text = TextRenderer.render(try PlanFixture.report("plan-boot-ufs.dts", build: build))
    #expect(text.contains("  boot modules (initramfs): gcc_sdm845 -> arm_smmu -> ufs_qcom\n"))
    let forever = TextRenderer.render(
      try PlanFixture.report("plan-deferred-module.dts", build: "module=arm_smmu_v3 timeout=-1"))
    #expect(forever.contains("deferred_probe_timeout forever"))
  }

  // MARK: - JSON (json-output.md, PLAN)

  @Test func theJSONPlanHasTheContractsFields() throws {
    let report = try PlanFixture.report("plan-supplier-clock.dts")
    let object = try #require(
      try JSONSerialization.jsonObject(
        with: Data(JSONRenderer.render(report).utf8))
        as? [String: Any])
    let plan = try #require(object["plan"] as? [String: Any])
    let assumptions = try #require(plan["assumptions"] as? [String: Any])
    #expect(assumptions["kernel_version"] as? String == "7.2")
    #expect(assumptions["modules"] as? Bool == true)
    #expect(assumptions["deferred_probe_timeout_s"] as? Int == 10)
    #expect(assumptions["fw_devlink_strict"] as? Bool == false)
    let drivers = try #require(assumptions["drivers"] as? [[String: String]])
    #expect(
      drivers == [
        ["module": "arm_smmu", "mode": "module", "source": "flag"],
        ["module": "gcc_sdm845", "mode": "module", "source": "modules-dir"],
      ])
    let consumers = try #require(plan["consumers"] as? [[String: Any]])
    let usb = try #require(consumers.first)
    #expect(usb["device"] as? String == "/usb@a600000")
    #expect(usb["outcome"] as? String == "deferred")
    #expect((usb["reason"] as? String)?.contains("\n") == false)
    #expect(usb["stream_ids"] as? [Int] == [0x740])
    #expect(
      usb["waits_for"] as? [[String: String]] == [
        ["iommu": "/iommu@15000000", "module": "arm_smmu"],
        ["iommu": "/iommu@15000000", "module": "gcc_sdm845"],
      ])
    let loads = try #require(plan["load_order"] as? [[String: Any]])
    #expect(loads.map { $0["module"] as? String } == ["gcc_sdm845", "arm_smmu"])
    #expect(loads.last?["needs"] as? [String] == ["gcc_sdm845"])
    #expect(loads.last?["provides"] as? [String] == ["/iommu@15000000"])
    #expect(plan["boot_modules"] == nil)
  }

  @Test func theJSONPlanHasBootModulesOnlyWithABootDevice() throws {
    let build = PlannerModuleTests.ufsBuild + " boot=ufs_mem_hc"
    let report = try PlanFixture.report("plan-boot-ufs.dts", build: build)
    let object = try #require(
      try JSONSerialization.jsonObject(
        with: Data(JSONRenderer.render(report).utf8))
        as? [String: Any])
    let plan = try #require(object["plan"] as? [String: Any])
    let boot = try #require(plan["boot_modules"] as? [[String: Any]])
    #expect(boot.map { $0["module"] as? String } == ["gcc_sdm845", "arm_smmu", "ufs_qcom"])
  }
}
