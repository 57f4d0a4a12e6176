// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan
import Testing

/// What the IOMMU itself waits for: the supplier bindings fw_devlink parses, followed
/// transitively, mapped to modules through modules.alias, with fw_devlink's optional bindings
/// and cycle handling (docs/kernel-rules.md §7.2–7.6, §6.5).
@Suite struct PlannerSupplierTests {
  @Test func aModularSMMUWithAModularClockWaitsForBothModules() throws {
    let report = try PlanFixture.report("plan-supplier-clock.dts")
    let usb = try PlanFixture.consumer(report, "/usb@a600000")
    #expect(usb.outcome == .deferred)
    #expect(
      PlanFixture.waits(usb) == ["/iommu@15000000 arm_smmu", "/iommu@15000000 gcc_sdm845"])
    #expect(usb.reason.hasPrefix("defers until arm_smmu, gcc_sdm845 load;"))
    #expect(usb.reason.contains("unless they load within 10 s"))
  }

  @Test func aBuiltInSMMUWithAModularClockWaitsForTheClockModuleOnly() throws {
    let report = try PlanFixture.report(
      "plan-supplier-clock.dts", build: "builtin=arm_smmu alias=qcom,gcc-sdm845:gcc_sdm845")
    let usb = try PlanFixture.consumer(report, "/usb@a600000")
    #expect(usb.outcome == .deferred)
    #expect(PlanFixture.waits(usb) == ["/iommu@15000000 gcc_sdm845"])
    #expect(usb.reason.hasPrefix("defers until gcc_sdm845 loads;"))
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["gcc_sdm845"])
  }

  @Test func aSupplierWhoseDriverIsNotInTheBuildLeavesTheSMMUUnregistered() throws {
    let report = try PlanFixture.report(
      "plan-supplier-clock.dts",
      build: "builtin=arm_smmu alias=qcom,gcc-sdm845:gcc_sdm845 absent=gcc_sdm845")
    let usb = try PlanFixture.consumer(report, "/usb@a600000")
    #expect(usb.outcome == .unprotected)
    #expect(usb.reason.contains("its supplier /clock-controller@100000 (clocks) needs gcc_sdm845"))
    #expect(usb.reason.contains("not in this build"))
  }

  @Test(arguments: [
    ("plan-supplier-power-domain.dts", "/gpu@3d00000", "/iommu@3da0000 gpucc_sm8250"),
    ("plan-supplier-interconnect.dts", "/camss@ac6a000", "/iommu@15000000 qnoc_sm8250"),
    (
      "plan-supplier-regulator.dts", "/display-subsystem@ae00000",
      "/iommu@15000000 qcom_rpmh_regulator"
    ),
  ])
  func aBuiltInSMMUWaitsForItsModularSupplier(fixture: String, device: String, wait: String)
    throws
  {
    let report = try PlanFixture.report(fixture)
    let consumer = try PlanFixture.consumer(report, device)
    #expect(consumer.outcome == .deferred)
    #expect(PlanFixture.waits(consumer) == [wait])
    let module = String(wait.split(separator: " ")[1])
    #expect(consumer.reason.hasPrefix("defers until \(module) loads;"))
    #expect(PlanFixture.modules(report.plan.loadOrder) == [module])
  }

  @Test(arguments: [
    "plan-supplier-power-domain.dts", "plan-supplier-interconnect.dts",
    "plan-supplier-regulator.dts",
  ])
  func theSameSupplierBuiltInWaitsForNothing(fixture: String) throws {
    let tokens = try PlanFixture.buildLine(fixture)
    let module = try #require(tokens.split(separator: ":").last.map(String.init))
    let report = try PlanFixture.report(fixture, build: tokens + " builtin-module=\(module)")
    #expect(report.plan.consumers.map(\.outcome) == [.translated], "\(fixture)")
    #expect(report.plan.loadOrder.isEmpty)
  }

  @Test func aRegulatorWithoutCompatibleIsServedByThePMICAboveIt() throws {
    let text = try #require(
      try PlanFixture.explain("plan-supplier-regulator.dts", "/display-subsystem@ae00000"))
    #expect(
      text.contains(
        "/iommu@15000000 needs /pm8150-regulators through vdd-supply (qcom_rpmh_regulator: module)")
    )
  }

  @Test func aSupplierOfASupplierIsFollowed() throws {
    let report = try PlanFixture.report("plan-supplier-chain.dts")
    let sdhci = try PlanFixture.consumer(report, "/sdhci@8804000")
    #expect(sdhci.outcome == .deferred)
    #expect(
      PlanFixture.waits(sdhci) == [
        "/iommu@15000000 gcc_sm8250", "/iommu@15000000 qcom_rpmhpd",
      ])
    #expect(sdhci.reason.hasPrefix("defers until gcc_sm8250, qcom_rpmhpd load;"))
  }

  /// kernel-rules.md §7.3, §7.5: the clock controller's power-domains link to rpmhpd is a
  /// mandatory fw_devlink link outside any cycle, so gcc_sm8250's device cannot probe before
  /// qcom_rpmhpd's has bound; the load order (ModuleOrder: "every module's suppliers ... load
  /// before it") must put qcom_rpmhpd first and list it in gcc_sm8250's needs.
  @Test func aSupplierOfASupplierLoadsFirst() throws {
    let report = try PlanFixture.report("plan-supplier-chain.dts")
    let gcc = try #require(report.plan.loadOrder.first { $0.module == "gcc_sm8250" })
    #expect(gcc.needs == ["qcom_rpmhpd"])
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["qcom_rpmhpd", "gcc_sm8250"])
  }

  @Test func aSupplierCycleIsRelaxedAndIsNoWait() throws {
    let report = try PlanFixture.report("plan-supplier-cycle.dts")
    let sdhci = try PlanFixture.consumer(report, "/sdhci@8804000")
    // The SMMU's own clock link is outside the cycle and still holds it back.
    #expect(sdhci.outcome == .deferred)
    #expect(PlanFixture.waits(sdhci) == ["/iommu@15000000 gcc_sm8250"])
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["gcc_sm8250"])
    let cycle = report.diagnostics.filter { $0.code == .supplierCycle }
    #expect(cycle.count == 1)
    #expect(cycle.first?.severity == .note)
    #expect(cycle.first?.message.contains("/clock-controller@100000") == true)
    #expect(cycle.first?.message.contains("/power-controller@200000") == true)
  }

  // MARK: - Optional suppliers (fw_devlink.strict)

  @Test func dmasOnTheSMMUOnlyOrdersItWithStrict() throws {
    let relaxed = try PlanFixture.report("plan-optional-dmas.dts")
    let crypto = try PlanFixture.consumer(relaxed, "/crypto@1dfa000")
    #expect(crypto.outcome == .translated)
    #expect(crypto.waitsFor.isEmpty)
    #expect(relaxed.plan.loadOrder.isEmpty)

    let strict = try PlanFixture.report(
      "plan-optional-dmas.dts", build: "builtin=arm_smmu alias=qcom,bam-v1.7.0:bam_dma strict")
    let held = try PlanFixture.consumer(strict, "/crypto@1dfa000")
    #expect(held.outcome == .deferred)
    #expect(PlanFixture.waits(held) == ["/iommu@15000000 bam_dma"])
    #expect(held.reason.contains("fw_devlink.strict: also held by a device link"))
  }

  @Test func iommusOnTheSMMUMakesTheSMMUItselfAConsumer() throws {
    let report = try PlanFixture.report("plan-optional-iommus.dts")
    let smmu = try PlanFixture.consumer(report, "/iommu@2b400000")
    #expect(smmu.outcome == .deferred)
    #expect(PlanFixture.waits(smmu) == ["/iommu@30000000 s2_iommu"])
  }

  @Test func iommusOnTheSMMUWithStrictHoldsItsMasters() throws {
    let report = try PlanFixture.report(
      "plan-optional-iommus.dts",
      build: "builtin=arm_smmu_v3 alias=example,s2-iommu:s2_iommu strict")
    let sata = try PlanFixture.consumer(report, "/sata@1e0000")
    #expect(sata.outcome == .deferred)
    #expect(PlanFixture.waits(sata) == ["/iommu@2b400000 s2_iommu"])
    #expect(sata.reason.contains("device link"))
  }

  /// kernel-rules.md §2.1 and §6.5 applied to the SMMU itself: the SMMU is a platform
  /// device, so really_probe runs platform_dma_configure -> of_iommu_configure on its own
  /// `iommus` before arm-smmu-v3's probe, and that returns -EPROBE_DEFER until s2_iommu has
  /// registered. fw_devlink.strict only adds a device link on top (§7.2); without it the SMMU
  /// still cannot register before s2_iommu loads, so the SATA controller waits for it too.
  @Test func iommusOnTheSMMUHoldsItsMastersEvenWithoutStrict() throws {
    let report = try PlanFixture.report("plan-optional-iommus.dts")
    let sata = try PlanFixture.consumer(report, "/sata@1e0000")
    #expect(sata.outcome == .deferred)
    #expect(PlanFixture.waits(sata) == ["/iommu@2b400000 s2_iommu"])
  }
}
