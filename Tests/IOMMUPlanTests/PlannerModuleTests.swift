// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan
import Renderers
import Testing

/// The module load order (fw_devlink suppliers, modules.dep), the modules a boot device needs
/// from the initramfs, and the check of an existing modules.load (kernel-rules.md §6.3, §7.6).
@Suite struct PlannerModuleTests {
  // MARK: - Load order

  @Test func suppliersLoadBeforeTheIOMMUDriverModule() throws {
    let report = try PlanFixture.report("plan-supplier-clock.dts")
    let loads = report.plan.loadOrder
    #expect(PlanFixture.modules(loads) == ["gcc_sdm845", "arm_smmu"])
    #expect(loads.map(\.needs) == [[], ["gcc_sdm845"]])
    #expect(loads.map(report.provides) == [[], ["/iommu@15000000"]])
    #expect(loads.map(\.path) == ["kernel/fixture/gcc_sdm845.ko", nil])
  }

  @Test func modulesDepIsFollowedTransitively() throws {
    let report = try PlanFixture.report("plan-load-order.dts")
    let loads = report.plan.loadOrder
    #expect(PlanFixture.modules(loads) == ["gcc_sdm845", "qcom_tzmem", "qcom_scm", "arm_smmu"])
    #expect(PlanFixture.needsComeFirst(loads))
    let needs = Dictionary(uniqueKeysWithValues: loads.map { ($0.module, $0.needs) })
    #expect(needs["arm_smmu"] == ["gcc_sdm845", "qcom_scm"])
    #expect(needs["qcom_scm"] == ["qcom_tzmem"])
    #expect(needs["qcom_tzmem"] == [])
    #expect(loads.last.map(report.provides) == ["/iommu@15000000"])
    #expect(loads.allSatisfy { $0.path == "kernel/fixture/\($0.module).ko" })
  }

  @Test func aBuiltInDependencyIsNotLoaded() throws {
    let build =
      "module=arm_smmu alias=qcom,gcc-sdm845:gcc_sdm845 dep=arm_smmu:qcom_scm "
      + "dep=qcom_scm:qcom_tzmem builtin-module=qcom_tzmem"
    let report = try PlanFixture.report("plan-load-order.dts", build: build)
    #expect(PlanFixture.modules(report.plan.loadOrder) == ["gcc_sdm845", "qcom_scm", "arm_smmu"])
    #expect(report.plan.loadOrder.first { $0.module == "qcom_scm" }?.needs == [])
  }

  @Test func theLoadOrderIsDeterministic() throws {
    let first = try PlanFixture.report("plan-load-order.dts")
    for _ in 0..<3 {
      let again = try PlanFixture.report("plan-load-order.dts")
      #expect(
        PlanFixture.modules(again.plan.loadOrder) == PlanFixture.modules(first.plan.loadOrder))
      #expect(again.plan.loadOrder.map(\.needs) == first.plan.loadOrder.map(\.needs))
    }
  }

  @Test func modulesLoadListsPathsInLoadOrder() throws {
    let report = try PlanFixture.report("plan-load-order.dts")
    #expect(
      ModulesLoadRenderer.render(report) == """
        kernel/fixture/gcc_sdm845.ko
        kernel/fixture/qcom_tzmem.ko
        kernel/fixture/qcom_scm.ko
        kernel/fixture/arm_smmu.ko

        """)
  }

  @Test func modulesLoadFallsBackToNamesWithoutAModulesDirectory() throws {
    let report = try PlanFixture.report("plan-deferred-module.dts")
    #expect(ModulesLoadRenderer.render(report) == "arm_smmu_v3\n")
    #expect(ModulesLoadRenderer.render(try PlanFixture.report("plan-translated.dts")) == "")
  }

  // MARK: - Boot devices

  /// The boot board without the GPU clock controller's alias, so the UFS chain is the whole
  /// story.
  static let ufsBuild =
    "module=arm_smmu alias=qcom,gcc-sdm845:gcc_sdm845 alias=qcom,sdm845-ufshc:ufs_qcom"

  @Test(arguments: ["/ufshc@1d84000", "ufs_mem_hc", "&ufs_mem_hc"])
  func aBootDeviceNeedsItsDriverAndItsIOMMUChainInOrder(name: String) throws {
    let report = try PlanFixture.report("plan-boot-ufs.dts", build: Self.ufsBuild + " boot=\(name)")
    let boot = try #require(report.plan.bootModules)
    #expect(PlanFixture.modules(boot) == ["gcc_sdm845", "arm_smmu", "ufs_qcom"])
    #expect(PlanFixture.needsComeFirst(boot))
    #expect(boot.first { $0.module == "ufs_qcom" }?.needs == ["gcc_sdm845"])
    #expect(boot.first { $0.module == "arm_smmu" }?.needs == ["gcc_sdm845"])
    #expect(report.diagnostics.isEmpty)
    #expect(
      ModulesLoadRenderer.render(report)
        == "kernel/fixture/gcc_sdm845.ko\narm_smmu\nkernel/fixture/ufs_qcom.ko\n")
  }

  /// kernel-rules.md §7.4 (fw_devlink links one device to its own suppliers) and §6.5
  /// (a device waits for its own IOMMU instance): the UFS's SMMU instance needs gcc_sdm845 only;
  /// gpucc_sdm845 holds back the GPU's instance, which the UFS never waits for.
  @Test func anotherInstanceOfTheSameDriverAddsNothingToTheBootList() throws {
    let report = try PlanFixture.report("plan-boot-ufs.dts")
    let boot = try #require(report.plan.bootModules)
    #expect(PlanFixture.modules(boot) == ["gcc_sdm845", "arm_smmu", "ufs_qcom"])
    #expect(boot.first { $0.module == "arm_smmu" }?.needs == ["gcc_sdm845"])
    #expect(
      PlanFixture.waits(try PlanFixture.consumer(report, "/gpu@5000000")) == [
        "/iommu@5040000 arm_smmu", "/iommu@5040000 gpucc_sdm845",
      ])
    // The whole board still needs gpucc_sdm845 before arm_smmu.
    #expect(
      PlanFixture.modules(report.plan.loadOrder) == ["gcc_sdm845", "gpucc_sdm845", "arm_smmu"])
    #expect(
      report.plan.loadOrder.first { $0.module == "arm_smmu" }?.needs == [
        "gcc_sdm845", "gpucc_sdm845",
      ])
  }

  @Test func aCorrectListIsNotFaultedForAnotherInstancesSupplier() throws {
    let build = try PlanFixture.buildLine("plan-boot-ufs.dts")
    let report = try PlanFixture.report(
      "plan-boot-ufs.dts", build: build + " modules-load=gcc_sdm845,arm_smmu,ufs_qcom")
    #expect(PlanFixture.findings(report, .bootModuleMissing).isEmpty)
    #expect(PlanFixture.findings(report, .bootModuleOrder).isEmpty)
  }

  @Test func aBootDeviceDoesNotChangeTheLoadOrder() throws {
    let withBoot = try PlanFixture.report("plan-boot-ufs.dts")
    let build = try PlanFixture.buildLine("plan-boot-ufs.dts")
      .replacingOccurrences(of: " boot=/ufshc@1d84000", with: "")
    let without = try PlanFixture.report("plan-boot-ufs.dts", build: build)
    #expect(without.plan.bootModules == nil)
    #expect(
      PlanFixture.modules(withBoot.plan.loadOrder) == PlanFixture.modules(without.plan.loadOrder))
    #expect(withBoot.plan.loadOrder.map(\.needs) == without.plan.loadOrder.map(\.needs))
  }

  @Test(arguments: ["gcc_sdm845,arm_smmu,ufs_qcom", "gcc-sdm845,arm-smmu,ufs-qcom"])
  func aCorrectModulesLoadGivesNoFinding(list: String) throws {
    let report = try PlanFixture.report(
      "plan-boot-ufs.dts", build: Self.ufsBuild + " boot=/ufshc@1d84000 modules-load=\(list)")
    #expect(PlanFixture.findings(report, .bootModuleMissing).isEmpty)
    #expect(PlanFixture.findings(report, .bootModuleOrder).isEmpty)
  }

  @Test func aModulesLoadWithoutTheSMMUModuleIsAnError() throws {
    let report = try PlanFixture.report(
      "plan-boot-ufs.dts",
      build: Self.ufsBuild + " boot=/ufshc@1d84000 modules-load=gcc_sdm845,ufs_qcom")
    #expect(PlanFixture.findings(report, .bootModuleMissing) == ["-:-"])
    let message = try #require(PlanFixture.messages(report, .bootModuleMissing).first)
    #expect(message.contains("modules.load lacks arm_smmu"))
    #expect(message.contains("/iommu@15000000"))
    #expect(report.diagnostics.allSatisfy { $0.severity == .error })
    #expect(PlanFixture.findings(report, .bootModuleOrder).isEmpty)
  }

  @Test func aModulesLoadThatLoadsTheSMMUBeforeItsClockIsAnError() throws {
    let report = try PlanFixture.report(
      "plan-boot-ufs.dts",
      build: Self.ufsBuild + " boot=/ufshc@1d84000 modules-load=arm_smmu,gcc_sdm845,ufs_qcom")
    #expect(
      PlanFixture.messages(report, .bootModuleOrder) == [
        "modules.load loads arm_smmu (line 1) before gcc_sdm845 (line 2), which it needs"
      ])
    #expect(PlanFixture.findings(report, .bootModuleMissing).isEmpty)
  }

  @Test func anUnknownBootDeviceIsAnErrorAndGivesNoBootList() throws {
    let report = try PlanFixture.report(
      "plan-boot-ufs.dts", build: Self.ufsBuild + " boot=/soc@0/ufshc@1d84000")
    #expect(PlanFixture.findings(report, .bootDeviceUnknown) == ["-:-"])
    #expect(
      PlanFixture.messages(report, .bootDeviceUnknown).first?.contains("/soc@0/ufshc@1d84000")
        == true)
    #expect(report.plan.bootModules == nil)
  }

  @Test func aDisabledBootDeviceIsAnErrorNamingIt() throws {
    let report = try PlanFixture.report("boot_device_disabled.dts")
    #expect(PlanFixture.findings(report, .bootDeviceDisabled) == ["/ufshc@1d84000:status"])
    #expect(
      PlanFixture.messages(report, .bootDeviceDisabled).first?.contains("never probes") == true)
    #expect(report.plan.bootDevices.map { report.nodes.path($0) } == ["/ufshc@1d84000"])
    #expect(report.plan.unknownBootDevices.isEmpty)
  }

  @Test func withoutABootDeviceThereIsNoBootList() throws {
    let report = try PlanFixture.report("plan-boot-ufs.dts", build: Self.ufsBuild)
    #expect(report.plan.bootModules == nil)
    #expect(ModulesLoadRenderer.render(report) == "kernel/fixture/gcc_sdm845.ko\narm_smmu\n")
  }

  @Test func aModulesLoadFileIsReadLikeModprobeReadsIt() {
    let text = """
      # initramfs modules
      kernel/drivers/clk/qcom/gcc-sdm845.ko.xz
      arm-smmu   # the SMMU

      ufs_qcom
      """
    #expect(PlanRequest.moduleList(text) == ["gcc_sdm845", "arm_smmu", "ufs_qcom"])
  }
}
