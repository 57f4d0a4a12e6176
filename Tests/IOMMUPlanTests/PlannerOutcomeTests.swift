// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan
import Renderers
import Testing

/// One fixture per outcome and per way of reaching it, read the way docs/kernel-rules.md says the
/// kernel reads it (§2.3–2.6 for the walk, §4 for legacy masters, §6.2–6.4 for the deadline,
/// §6.5 for the rules).
@Suite struct PlannerOutcomeTests {
  // MARK: - translated (§6.5)

  @Test func builtInSMMUWithABuiltInClockIsTranslatedFromTheFirstProbe() throws {
    let report = try PlanFixture.report("plan-translated.dts")
    let ufs = try PlanFixture.consumer(report, "/ufshc@1d84000")
    #expect(ufs.outcome == .translated)
    #expect(ufs.waitsFor.isEmpty)
    #expect(ufs.streamIDs == [0x100])
    #expect(ufs.reason.contains("built in"))
    #expect(ufs.reason.contains("translated from the first probe"))
    #expect(report.plan.loadOrder.isEmpty)
  }

  // MARK: - deferred (§6.5, §6.2–6.3)

  @Test func modularSMMUDefersUntilItsModuleLoadsBeforeTheDeadline() throws {
    let report = try PlanFixture.report("plan-deferred-module.dts")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(nic.outcome == .deferred)
    #expect(PlanFixture.waits(nic) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(nic.streamIDs == [0x20])
    #expect(nic.reason.hasPrefix("defers until arm_smmu_v3 loads"))
    #expect(nic.reason.contains("within 10 s of late_initcall"))
    #expect(nic.reason.contains("re-arms the timer"))
    #expect(nic.reason.contains("probes without translation and stays that way"))
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["arm_smmu_v3"])
  }

  @Test func theSameBoardWithTheDriverBuiltInIsTranslated() throws {
    let report = try PlanFixture.report("plan-deferred-module.dts", build: "builtin=arm_smmu_v3")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(nic.outcome == .translated)
    #expect(nic.waitsFor.isEmpty)
    #expect(report.plan.loadOrder.isEmpty)
  }

  // MARK: - unprotected (§6.5, §6.4, §5.2)

  @Test(arguments: [("absent=ARM_SMMU", "flag"), ("config=ARM_SMMU=n", "config")])
  func anAbsentDriverLeavesTheDeviceUnprotectedAtTheTimeout(build: String, source: String)
    throws
  {
    let report = try PlanFixture.report("plan-unprotected-absent.dts", build: build)
    let mdss = try PlanFixture.consumer(report, "/display-subsystem@ae00000")
    #expect(mdss.outcome == .unprotected)
    #expect(mdss.waitsFor.isEmpty)
    #expect(mdss.reason.contains("arm_smmu is not in this build"))
    #expect(mdss.reason.contains("nothing registers /iommu@15000000"))
    #expect(mdss.reason.contains("once the deferred-probe timeout (10 s) fires"))
    #expect(report.plan.loadOrder.isEmpty)
    #expect(report.plan.assumptions.drivers.map(\.source.rawValue) == [source])
  }

  /// With a negative timeout the timer never fires, so
  /// driver_deferred_probe_check_state keeps deferring: the device never
  /// probes, with or without translation.
  @Test func anAbsentDriverWithTimeoutMinusOneIsWaitedForForever() throws {
    let report = try PlanFixture.report(
      "plan-unprotected-absent.dts", build: "absent=ARM_SMMU timeout=-1")
    let mdss = try PlanFixture.consumer(report, "/display-subsystem@ae00000")
    #expect(mdss.outcome == .deferred)
    #expect(mdss.waitsFor.isEmpty)
    #expect(
      mdss.reason
        == "arm_smmu is not in this build, so nothing registers /iommu@15000000; with "
        + "deferred_probe_timeout=-1 it stays deferred and never probes")
    let text = TextRenderer.render(report)
    #expect(text.contains("  deferred for good (1):\n    /display-subsystem@ae00000: arm_smmu"))
    #expect(!text.contains("defers until"))
  }

  /// of_iommu_xlate looks only at the IOMMU's own status, so its masters
  /// defer for it; but of_platform_populate creates no device below a
  /// disabled bus, so it never registers and they give up at the deadline.
  @Test func anIOMMUBelowADisabledBusNeverRegisters() throws {
    let report = try PlannerOutputTests.report(
      """
      // build: module=arm_smmu_v3
      /dts-v1/;
      / {
        bus@0 {
          compatible = "simple-bus";
          status = "disabled";
          smmu: iommu@1000 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
        };
        dma@3000 { iommus = <&smmu 1>; };
      };
      """)
    let dma = try PlanFixture.consumer(report, "/dma@3000")
    #expect(dma.outcome == .unprotected)
    #expect(
      dma.reason
        == "a node above /bus@0/iommu@1000 is disabled, so no device is created for it and "
        + "nothing registers it; it probes without translation once the deferred-probe "
        + "timeout (10 s) fires")
    #expect(report.plan.loadOrder.isEmpty)
    #expect(
      TextRenderer.render(report).contains(
        "  status:     okay below a disabled node (no device is created), #iommu-cells = <1>"))
  }

  @Test func withoutModulesAnAbsentDriverIsGivenUpRightAfterLateInitcall() throws {
    let report = try PlanFixture.report("plan-unprotected-no-modules.dts")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(nic.outcome == .unprotected)
    #expect(nic.waitsFor.isEmpty)
    #expect(nic.reason.contains("arm_smmu_v3 is not in this build"))
    #expect(nic.reason.contains("right after late_initcall"))
    #expect(!nic.reason.contains("deferred-probe timeout"))
  }

  @Test func omapIOMMUHasNoOFXlateSoTheDSPIsUnprotected() throws {
    let report = try PlanFixture.report("plan-unprotected-omap.dts")
    let dsp = try PlanFixture.consumer(report, "/dsp")
    #expect(dsp.outcome == .unprotected)
    #expect(dsp.waitsFor.isEmpty)
    #expect(dsp.reason.contains("omap-iommu has no of_xlate"))
    #expect(report.plan.loadOrder.isEmpty)
  }

  /// kernel-rules.md §2.4 (a driver registered without of_xlate: -ENODEV) and §5.1 (omap:
  /// consumers defer only while it is unregistered; it registers at subsys_initcall): a built-in
  /// omap-iommu is registered long before the DSP probes, which then goes on without an IOMMU
  /// at once. It never waits for the deferred-probe timeout.
  @Test func omapIOMMUGivesNoIOMMUAtOnceNotAtTheTimeout() throws {
    let report = try PlanFixture.report("plan-unprotected-omap.dts")
    let dsp = try PlanFixture.consumer(report, "/dsp")
    #expect(!dsp.reason.contains("timeout"))
  }

  @Test func driversThatRejectATwoCellSpecifierLeaveTheirMastersUnprotected() throws {
    let report = try PlanFixture.report("plan-unprotected-xlate-cells.dts")
    let expected: [(String, String, [String])] = [
      ("/mdss@1a00000", "qcom-iommu's of_xlate rejects a 2-cell specifier", []),
      ("/vdec@16000000", "mtk-iommu's of_xlate rejects a 2-cell specifier", []),
      (
        "/usb@82280000", "waits for apple_dart, then apple-dart's of_xlate rejects a 2-cell",
        ["/iommu@82f00000 apple_dart"]
      ),
    ]
    for (device, words, waits) in expected {
      let consumer = try PlanFixture.consumer(report, device)
      #expect(consumer.outcome == .unprotected, "\(device)")
      #expect(consumer.reason.contains(words), "\(device): \(consumer.reason)")
      #expect(PlanFixture.waits(consumer) == waits, "\(device)")
    }
  }

  @Test func smmuV3WithTwoIOMMUCellsNeverProbesSoItsMastersGoOnAtTheTimeout() throws {
    let report = try PlanFixture.report("plan-unprotected-smmuv3-cells.dts")
    let nic = try PlanFixture.consumer(report, "/ethernet@1c0000")
    #expect(nic.outcome == .unprotected)
    #expect(nic.waitsFor.isEmpty)
    #expect(nic.reason.contains("arm-smmu-v3 refuses to probe /iommu@2b400000"))
    #expect(nic.reason.contains("missing/invalid #iommu-cells"))
    #expect(nic.reason.contains("deferred-probe timeout (10 s)"))
  }

  /// kernel-rules.md §2.5 (an entry for a second driver's IOMMU: -EINVAL), §2.3 (the walk
  /// returns the first non-zero result) and §2.1 (every error but -EPROBE_DEFER means "no
  /// IOMMU"): a master whose iommus names an SMMUv3 and then an MMU-500 gets no translation.
  @Test func aMasterUnderTwoIOMMUDriversGetsNoTranslation() throws {
    let report = try PlanFixture.report("plan-iommus-two-drivers.dts")
    let display = try PlanFixture.consumer(report, "/display-controller@2c000000")
    #expect([.unprotected, .noIOMMU].contains(display.outcome), "\(display.outcome)")
  }

  // MARK: - no_iommu (§2.3, §2.6, §3.5)

  @Test func aDisabledFirstIOMMUGivesNoIOMMUAndNoWait() throws {
    let report = try PlanFixture.report("plan-no-iommu-disabled.dts")
    let venus = try PlanFixture.consumer(report, "/video-codec@aa00000")
    #expect(venus.outcome == .noIOMMU)
    #expect(venus.waitsFor.isEmpty)
    #expect(venus.reason.contains("iommus[0] reaches /iommu@15000000, which is disabled"))
    // A disabled SMMU needs no module, modular driver or not.
    #expect(report.plan.loadOrder.isEmpty)
  }

  @Test func anEmptyFirstEntryEndsTheWalkBeforeTheModularSMMU() throws {
    let report = try PlanFixture.report("plan-no-iommu-empty-entry.dts")
    let venus = try PlanFixture.consumer(report, "/video-codec@aa00000")
    #expect(venus.outcome == .noIOMMU)
    #expect(venus.waitsFor.isEmpty)
    #expect(venus.reason.contains("entry 0 is empty (phandle 0)"))
    #expect(report.plan.loadOrder.isEmpty)
  }

  @Test func aWalkThatDefersAndThenReachesADisabledIOMMUWaitsForNothing() throws {
    let report = try PlanFixture.report("plan-no-iommu-walk-order.dts")
    let gpu = try PlanFixture.consumer(report, "/gpu@2d000000")
    #expect(gpu.outcome == .noIOMMU)
    #expect(PlanFixture.waits(gpu) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(gpu.reason.hasPrefix("waits for arm_smmu_v3, then iommus[1] reaches /iommu@2b500000"))
    #expect(gpu.reason.contains("which is disabled"))
  }

  @Test func aWalkThatReachesTheDisabledIOMMUFirstNeverWaits() throws {
    let report = try PlanFixture.report("plan-no-iommu-walk-order.dts")
    let dpu = try PlanFixture.consumer(report, "/dpu@2e000000")
    #expect(dpu.outcome == .noIOMMU)
    #expect(dpu.waitsFor.isEmpty)
    #expect(dpu.reason.hasPrefix("iommus[0] reaches /iommu@2b500000, which is disabled"))
  }

  @Test func anIommuMapWhoseOnlyTargetIsDisabledGivesTheBusNoIOMMU() throws {
    let report = try PlanFixture.report("plan-no-iommu-map-disabled.dts")
    let bus = try PlanFixture.consumer(report, "/pcie@40000000", .iommuMap)
    #expect(bus.outcome == .noIOMMU)
    #expect(bus.waitsFor.isEmpty)
    #expect(bus.reason.contains("iommu-map[0] reaches /iommu@2b400000, which is disabled"))
    #expect(report.plan.loadOrder.isEmpty)
  }

  // MARK: - iommu-map routes (§3.1, §3.2)

  /// of_map_id checks each entry's rid-base against the mask before it
  /// compares IDs: an entry the mask cuts fails every lookup that reaches
  /// it (-EFAULT), so it and the entries after it route nowhere.
  @Test func anEntryWhoseRIDBaseTheMaskCutsEndsEveryLookupThatReachesIt() throws {
    let source = try PlanFixture.source("iommu_map_mask_ignores_rid_base.dts")
    let laterEntry = try PlannerOutputTests.report(source)
    let bus = try PlanFixture.consumer(laterEntry, "/pcie@40000000", .iommuMap)
    #expect(bus.outcome == .deferred)  // entry 0 still routes to the SMMU
    let first = source.replacingOccurrences(
      of: "<0x000 &smmu 0x000 0x100>, <0x106 &smmu 0x1060 0x1>",
      with: "<0x106 &smmu 0x1060 0x1>, <0x000 &smmu 0x000 0x100>")
    #expect(first != source)
    let firstEntry = try PlanFixture.consumer(
      try PlannerOutputTests.report(first), "/pcie@40000000", .iommuMap)
    #expect(firstEntry.outcome == .noIOMMU)
    #expect(
      firstEntry.reason
        == "entries 0, 1: iommu-map-mask clears bits of entry 0's rid-base, so of_map_id fails "
        + "(-EFAULT) for every ID that reaches it: no IOMMU")
  }

  @Test func aBusWaitsOnlyForTheModularSMMUOfItsTwoRoutes() throws {
    let report = try PlanFixture.report("plan-map-two-smmus.dts")
    let bus = try PlanFixture.consumer(report, "/pcie@40000000", .iommuMap)
    #expect(bus.outcome == .deferred)
    #expect(PlanFixture.waits(bus) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(bus.streamIDs == [0x0, 0x100])
    #expect(bus.reason.hasPrefix("defers until arm_smmu_v3 loads"))
    #expect(!report.plan.consumers.contains { $0.property == .iommus })
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["arm_smmu_v3"])
  }

  @Test func aBusWithBothSMMUDriversModularWaitsForBoth() throws {
    let report = try PlanFixture.report(
      "plan-map-two-smmus.dts", build: "module=arm_smmu_v3 module=arm_smmu")
    let bus = try PlanFixture.consumer(report, "/pcie@40000000", .iommuMap)
    #expect(bus.outcome == .deferred)
    #expect(
      PlanFixture.waits(bus) == ["/iommu@2b400000 arm_smmu_v3", "/iommu@2b500000 arm_smmu"])
  }

  @Test func aDisabledRouteNeitherWaitsNorSpoilsTheWorkingOne() throws {
    let report = try PlanFixture.report("plan-map-disabled-and-working.dts")
    let bus = try PlanFixture.consumer(report, "/pcie@40000000", .iommuMap)
    #expect(bus.outcome == .translated)
    #expect(bus.waitsFor.isEmpty)
    #expect(bus.streamIDs == [0x0, 0x100])
    #expect(PlanFixture.findings(report, .iommuDisabled) == ["/pcie@40000000:iommu-map"])

    let modular = try PlanFixture.report(
      "plan-map-disabled-and-working.dts", build: "module=arm_smmu_v3")
    let waiting = try PlanFixture.consumer(modular, "/pcie@40000000", .iommuMap)
    #expect(waiting.outcome == .deferred)
    #expect(PlanFixture.waits(waiting) == ["/iommu@2b500000 arm_smmu_v3"])
    #expect(modular.plan.loadOrder.map(modular.provides) == [["/iommu@2b500000"]])
  }

  // MARK: - legacy (§4)

  @Test func aLegacyMasterOfABuiltInSMMUWithLegacyBindingsGetsAnIdentityDomain() throws {
    let report = try PlanFixture.report("plan-legacy.dts")
    let xgmac = try PlanFixture.consumer(report, "/ethernet@e0700000", .mmuMasters)
    #expect(xgmac.outcome == .legacy)
    #expect(xgmac.waitsFor.isEmpty)
    #expect(xgmac.streamIDs == [0x100, 0x101])
    #expect(xgmac.reason.contains("identity"))
    #expect(xgmac.reason.contains("never deferred"))
    #expect(report.plan.assumptions.legacyBindings)
    #expect(PlanFixture.findings(report, .legacyBindingRequiresBuiltinSMMU).isEmpty)
    #expect(report.plan.loadOrder.isEmpty)
  }

  @Test(arguments: ["module=arm_smmu", "config=ARM_SMMU=m", "absent=arm_smmu"])
  func aLegacyMasterOfAModularOrAbsentSMMUIsAnError(build: String) throws {
    let report = try PlanFixture.report("plan-legacy.dts", build: build)
    let xgmac = try PlanFixture.consumer(report, "/ethernet@e0700000", .mmuMasters)
    #expect(xgmac.outcome == .legacy)
    #expect(xgmac.waitsFor.isEmpty)
    #expect(xgmac.reason.contains("gets no SMMU at all"))
    #expect(!xgmac.reason.contains("identity"))
    let errors = report.diagnostics.filter { $0.code == .legacyBindingRequiresBuiltinSMMU }
    #expect(
      errors.map { "\(report.path(of: $0) ?? "-"):\($0.property ?? "-")" } == [
        "/iommu@e0a00000:mmu-masters"
      ])
    #expect(errors.allSatisfy { $0.severity == .error })
    // A legacy master never makes anything load.
    #expect(report.plan.loadOrder.isEmpty)
  }

  @Test func theDefaultBuildOnlyAssumesAModularSMMUAndSaysSo() throws {
    let report = try PlanFixture.report("plan-legacy.dts", build: "")
    let xgmac = try PlanFixture.consumer(report, "/ethernet@e0700000", .mmuMasters)
    #expect(xgmac.outcome == .legacy)
    #expect(xgmac.reason.contains("assumed"))
    #expect(PlanFixture.findings(report, .legacyBindingRequiresBuiltinSMMU).isEmpty)
  }

  @Test func aBuiltInSMMUWithoutLegacyBindingsGivesTheMasterNoSMMU() throws {
    let report = try PlanFixture.report("plan-legacy.dts", build: "builtin=arm_smmu")
    let xgmac = try PlanFixture.consumer(report, "/ethernet@e0700000", .mmuMasters)
    #expect(xgmac.outcome == .legacy)
    #expect(xgmac.reason.contains("CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS is not set"))
    #expect(xgmac.reason.contains("SMMU support unavailable"))
    #expect(PlanFixture.findings(report, .legacyBindingRequiresBuiltinSMMU).isEmpty)
  }

  /// kernel-rules.md §4.3 and §4.6: arm-smmu takes legacy or generic mode from the
  /// first instance to probe and refuses the other kind with -ENODEV, so either the legacy
  /// master gets no identity domain or the generic master's SMMU never registers (it then runs
  /// untranslated after the timeout). They cannot both succeed.
  @Test func mixingLegacyAndGenericArmSMMUsCannotSatisfyBoth() throws {
    let report = try PlanFixture.report("plan-legacy-mixed.dts")
    #expect(PlanFixture.findings(report, .mixedSMMUBindings) == ["/iommu@e0a00000:mmu-masters"])
    let legacy = try PlanFixture.consumer(report, "/ethernet@e0700000", .mmuMasters)
    let generic = try PlanFixture.consumer(report, "/sata@e0200000")
    #expect(legacy.outcome == .legacy)
    #expect(!(generic.outcome == .translated && legacy.reason.contains("attached")))
  }

  // MARK: - unknown

  @Test func anIOMMUNoDriverMatchesIsUnknown() throws {
    let report = try PlanFixture.report("plan-unknown-iommu.dts")
    let jpeg = try PlanFixture.consumer(report, "/jpeg@11f50000")
    #expect(jpeg.outcome == .unknown)
    #expect(jpeg.waitsFor.isEmpty)
    #expect(jpeg.reason.contains("/iommu@13e80000 (vendor,soc-sysmmu)"))
    #expect(jpeg.reason.contains("matches no IOMMU driver iommu-plan knows and no module alias"))
    #expect(report.plan.loadOrder.isEmpty)
  }

  @Test func aModuleAliasMakesTheUnknownIOMMUAModuleToWaitFor() throws {
    let report = try PlanFixture.report(
      "plan-unknown-iommu.dts", build: "alias=vendor,soc-sysmmu:soc_sysmmu")
    let jpeg = try PlanFixture.consumer(report, "/jpeg@11f50000")
    #expect(jpeg.outcome == .deferred)
    #expect(PlanFixture.waits(jpeg) == ["/iommu@13e80000 soc_sysmmu"])
    #expect(jpeg.reason.hasPrefix("defers until soc_sysmmu loads"))
    let load = try #require(report.plan.loadOrder.first)
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["soc_sysmmu"])
    #expect(report.provides(load) == ["/iommu@13e80000"])
    #expect(load.path == "kernel/fixture/soc_sysmmu.ko")
  }

  // MARK: - Every outcome is reached

  @Test func theFixturesReachEveryOutcome() throws {
    var reached = Set<Plan.Outcome>()
    for name in try PlanFixture.all() {
      reached.formUnion(try PlanFixture.report(name).plan.consumers.map(\.outcome))
    }
    #expect(reached == Set(Plan.Outcome.allCases))
  }
}
