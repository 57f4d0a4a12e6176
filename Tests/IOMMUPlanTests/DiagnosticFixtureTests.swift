// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

/// One DTS fixture per diagnostic code (`Fixtures/<code>.dts`), each stating on its first lines
/// what the kernel does with it and `// expect: <code> at <path>:<property or ->`; plus
/// `clean-*.dts` fixtures that must produce no finding at all. The focused tests assert the
/// consequence each finding describes, read the way docs/kernel-rules.md says the kernel reads it.
@Suite struct DiagnosticFixtureTests {
  // MARK: - Every code has a fixture that raises it where it says

  @Test(arguments: DiagnosticCode.allCases)
  func fixtureRaisesItsCode(_ code: DiagnosticCode) throws {
    let name = "\(code.rawValue).dts"
    let url = Fixtures.url(name)
    try #require(
      FileManager.default.fileExists(atPath: url.path), "missing fixture Fixtures/\(name)")
    let expected = try #require(try expectation(in: name), "\(name) has no `// expect:` line")
    #expect(expected.code == code.rawValue, "\(name) expects \(expected.code)")
    let report = try makeReport(name)
    let raised = report.diagnostics.filter { $0.code == code }
    #expect(
      raised.contains {
        report.path(of: $0) == expected.path && $0.property == expected.property
          && $0.severity == code.defaultSeverity
      },
      "\(name): wanted \(code.rawValue) at \(location(expected)), got \(describe(report.diagnostics, report))"
    )
  }

  // MARK: - Clean fixtures

  @Test(arguments: cleanFixtures.keys.sorted())
  func cleanFixtureHasNoFindingsOnAnyKernel(_ name: String) throws {
    let wanted = try #require(cleanFixtures[name])
    for kernel in [KernelVersion(6, 1), KernelVersion(6, 12), .newest] {
      let report = try makeReport(name, kernel: kernel)
      #expect(
        report.diagnostics.isEmpty, "\(name) on \(kernel): \(describe(report.diagnostics, report))")
      #expect(summaries(report) == wanted, "\(name) on \(kernel)")
    }
  }

  @Test func everyCleanFixtureIsListed() throws {
    let directory = Fixtures.url("clean-smmuv3-pcie.dts").deletingLastPathComponent()
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasPrefix("clean-") && $0.hasSuffix(".dts") }.sorted()
    #expect(files == cleanFixtures.keys.sorted())
  }

  // MARK: - File-level and phandle findings

  @Test func duplicatePhandleReferencesResolveToTheFirstNodeInPreOrder() throws {
    let report = try makeReport("duplicate_phandle.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .duplicatePhandle)
    #expect(report.path(of: finding) == "/iommu@16000000")
    #expect(finding.message.contains("also carried by /iommu@15000000"))
    // 0x10 was meant for iommu@16000000; the kernel resolves it to iommu@15000000.
    #expect(summaries(report) == ["/usb@a600000 iommus[0] -> /iommu@15000000 [0x740]"])
    #expect(try iommuNode("/iommu@15000000", in: report).binding == .generic)
    #expect(try iommuNode("/iommu@16000000", in: report).binding == .unused)
  }

  @Test func partialCellIsDroppedAndTheWholeEntryStillLinks() throws {
    let report = try makeReport("partial_cell.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .partialCell)
    #expect(finding.message.contains("10 bytes"))
    #expect(finding.message.contains("the last 2 are ignored"))
    #expect(summaries(report) == ["/usb@a600000 iommus[0] -> /iommu@15000000 [0x740]"])
  }

  // MARK: - iommus

  @Test func unknownIommusPhandleKeepsEarlierEntriesAndDropsLaterOnes() throws {
    let report = try makeReport("iommus_unknown_phandle.dts")
    #expect(
      summaries(report) == ["/video-codec@aa00000 iommus[0] -> /iommu@15000000 [0x2100]"])
    let finding = try #require(single(findings(report, .iommusUnknownPhandle)))
    #expect(finding.message.hasPrefix("entry 1: phandle 0xdead matches no node"))
    #expect(finding.message.contains("leaving 4 cells unread"))
  }

  @Test func targetWithoutIOMMUCellsEndsTheWalk() throws {
    let report = try makeReport("iommus_missing_cells.dts")
    #expect(summaries(report) == ["/ethernet@20000 iommus[0] -> /iommu@15000000 [0x120]"])
    let finding = try #require(single(findings(report, .iommusMissingCells)))
    #expect(finding.message.hasPrefix("entry 1: target /tbu@15180000 has no #iommu-cells"))
    // The TBU is no IOMMU: it is neither linked nor inventoried.
    #expect(report.iommus.map(report.path(of:)) == ["/iommu@15000000"])
  }

  @Test func overrunEntryIsNotLinkedButTheOneBeforeIs() throws {
    let report = try makeReport("iommus_entry_overrun.dts")
    #expect(summaries(report) == ["/mmc@8804000 iommus[0] -> /iommu@15000000 [0x160 0x0]"])
    let finding = try #require(single(findings(report, .iommusEntryOverrun)))
    #expect(finding.message.hasPrefix("entry 1: /iommu@15000000 has #iommu-cells = 2"))
    #expect(finding.message.contains(" 1 cell"))
  }

  @Test func moreThanSixteenArgumentsAreClampedAndTheNextEntryStaysAligned() throws {
    let report = try makeReport("iommus_too_many_args.dts")
    let links = report.links.filter { report.consumerPath($0) == "/dma-controller@4000000" }
    #expect(links.map(\.index) == [0, 1])
    #expect(links.map { Array($0.arguments) } == [Array(1...16), Array(101...116)])
    let messages = findings(report, .iommusTooManyArgs).map(\.message)
    #expect(messages.count == 2)
    #expect(messages.contains { $0.hasPrefix("entry 0 has 17 argument cells") })
    #expect(messages.contains { $0.hasPrefix("entry 1 has 17 argument cells") })
  }

  @Test func linksStopAtAnEmptyEntry() throws {
    let report = try makeReport("iommus_entries_after_empty.dts")
    #expect(summaries(report) == ["/ufshc@1d84000 iommus[0] -> /iommu@15000000 [0x100]"])
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .iommusEntriesAfterEmpty)
    #expect(finding.message.hasPrefix("entry 1 is empty (phandle 0)"))
    #expect(finding.message.contains("the 2 cells after it"))
  }

  @Test func iommusBelowAPCIHostIsNeverRead() throws {
    let report = try makeReport("iommus_under_pci_host.dts")
    // Only the root complex's iommu-map links; the endpoint's iommus gives nothing.
    #expect(summaries(report) == ["/pcie@40000000 iommu-map[0] -> /iommu@2b400000 [0x0]"])
    #expect(report.links.first.flatMap(window) == "0x0+0x10000")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .iommusUnderPCIHost)
    // pci_dma_configure uses the host bridge's node, not the root port's.
    #expect(finding.message.contains("below /pcie@40000000:"))
  }

  @Test func disabledIOMMUAtEntryOneDropsEntryZero() throws {
    let report = try makeReport("iommu_disabled.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .iommuDisabled)
    #expect(report.path(of: finding) == "/display-subsystem@ae00000")
    #expect(finding.message.hasPrefix("entry 1 targets /iommu@3da0000 (status \"disabled\")"))
    #expect(finding.message.contains("gets no IOMMU"))
    #expect(finding.message.contains("dropping the 1 entr"))
    // The walk stops at entry 1, but both entries are parsed as links.
    #expect(report.links.map(\.index) == [0, 1])
  }

  @Test func disabledIOMMUAtEntryZeroDropsNothingElse() throws {
    let report = try variantReport(
      "iommu_disabled.dts", replacing: "<&apps_smmu 0x880>, <&gpu_smmu 0x1>",
      with: "<&gpu_smmu 0x1>, <&apps_smmu 0x880>")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.message.hasPrefix("entry 0 targets /iommu@3da0000"))
    #expect(!finding.message.contains("dropping"))
  }

  // MARK: - iommu-map

  @Test func badMapLengthRejectsTheWholeMapBefore72ButOnlyTheBadEntryIn72() throws {
    let old = try makeReport("iommu_map_bad_length.dts", kernel: KernelVersion(6, 12))
    #expect(old.links.isEmpty)
    let oldFinding = try #require(single(findings(old, .iommuMapBadLength)))
    #expect(oldFinding.message.contains("28 bytes"))
    #expect(oldFinding.message.contains("rejects the whole map"))

    let new = try makeReport("iommu_map_bad_length.dts")
    #expect(summaries(new) == ["/pcie@40000000 iommu-map[0] -> /iommu@2b400000 [0x0]"])
    #expect(new.links.first.flatMap(window) == "0x0+0x100")
    let newFinding = try #require(single(findings(new, .iommuMapBadLength)))
    #expect(newFinding.message.contains("entry 1 needs 4 cells"))
    #expect(newFinding.message.contains("lookups that reach the bad entry fail"))
  }

  @Test func unknownMapPhandleLosesOneEntryBefore72AndStopsDecodingIn72() throws {
    let old = try makeReport("iommu_map_unknown_phandle.dts", kernel: KernelVersion(6, 12))
    #expect(
      summaries(old) == [
        "/pcie@40000000 iommu-map[0] -> /iommu@2b400000 [0x0]",
        "/pcie@40000000 iommu-map[2] -> /iommu@2b400000 [0x200]",
      ])
    let oldFinding = try #require(single(findings(old, .iommuMapUnknownPhandle)))
    #expect(oldFinding.message.hasPrefix("entry 1 (rid-base 0x100, length 0x100): phandle 0xdead"))

    let new = try makeReport("iommu_map_unknown_phandle.dts")
    #expect(summaries(new) == ["/pcie@40000000 iommu-map[0] -> /iommu@2b400000 [0x0]"])
    let newFinding = try #require(single(findings(new, .iommuMapUnknownPhandle)))
    #expect(newFinding.message.hasPrefix("entry 1: phandle 0xdead"))
  }

  @Test func maskIgnoringRIDBaseNamesTheOffendingBits() throws {
    let report = try makeReport("iommu_map_mask_ignores_rid_base.dts")
    let finding = try #require(single(findings(report, .iommuMapMaskIgnoresRIDBase)))
    #expect(finding.code == .iommuMapMaskIgnoresRIDBase)
    #expect(finding.message.hasPrefix("entry 1 (rid-base 0x106, length 0x1)"))
    #expect(finding.message.contains("bits 0x6 are outside iommu-map-mask 0xfff8"))
    #expect(report.links.map(\.range?.mask) == [0xfff8, 0xfff8])
  }

  @Test func overlappingEntriesNameBothAndTheFirstWins() throws {
    let report = try makeReport("iommu_map_overlap.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .iommuMapOverlap)
    #expect(finding.message.contains("entries 0 and 1 both cover ID 0x100"))
    #expect(finding.message.contains("entry 0 wins"))
    #expect(report.links.map(\.index) == [0, 1])
  }

  @Test func overlapWinnerIsTheFirstInMapOrderNotTheLowestBase() throws {
    let report = try variantReport(
      "iommu_map_overlap.dts",
      replacing: "<0x000 &smmu 0x0000 0x10000>, <0x100 &smmu 0x8100 0x100>",
      with: "<0x100 &smmu 0x8100 0x100>, <0x000 &smmu 0x0000 0x10000>")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.message.contains("entries 0 and 1 both cover ID 0x100"))
    #expect(finding.message.contains("entry 0 wins"))
    #expect(report.links.map(\.range?.base) == [0x100, 0])
  }

  @Test func zeroLengthEntryIsANoteAndMatchesNothing() throws {
    for kernel in [KernelVersion(6, 12), .newest] {
      let report = try makeReport("iommu_map_zero_length.dts", kernel: kernel)
      let finding = try #require(single(report.diagnostics), "\(kernel)")
      #expect(finding.code == .iommuMapZeroLength)
      #expect(finding.severity == .note)
      #expect(
        finding.message.hasPrefix("entry 0 (rid-base 0x0, length 0x0): length 0 matches no ID"))
      #expect(report.links.map(window) == ["0x0+0x0"])
    }
  }

  @Test func zeroLengthEntryOverlapsNothing() throws {
    // A length-0 entry covers no ID, so it cannot shadow the real entry behind it.
    let report = try variantReport(
      "iommu_map_zero_length.dts", replacing: "<0 &smmu 0 0>",
      with: "<0 &smmu 0 0>, <0 &smmu 0 0x10000>")
    #expect(report.diagnostics.map(\.code) == [.iommuMapZeroLength])
    #expect(report.links.map(window) == ["0x0+0x0", "0x0+0x10000"])
  }

  @Test func fiveCellMapIsRejectedBefore72AndReadAsTwoCellSpecifiersIn72() throws {
    let old = try makeReport("iommu_map_layout_differs.dts", kernel: KernelVersion(6, 12))
    #expect(old.links.isEmpty)
    #expect(
      Set(old.diagnostics.map(\.code)) == [.iommuMapLayoutDiffers, .iommuMapBadLength],
      "\(describe(old.diagnostics, old))")

    let new = try makeReport("iommu_map_layout_differs.dts")
    #expect(
      summaries(new) == [
        "/pcie@1c00000 iommu-map[0] -> /iommu@15000000 [0x1c00 0x0]",
        "/pcie@1c00000 iommu-map[1] -> /iommu@15000000 [0x1c01 0x0]",
      ])
    #expect(new.links.map(window) == ["0x0+0x1", "0x100+0x1"])
    let finding = try #require(single(new.diagnostics))
    #expect(finding.code == .iommuMapLayoutDiffers)
    #expect(finding.message.contains("7.2 reads 2 entries of 5 cells"))
    #expect(finding.message.contains("this report follows 7.2"))
  }

  @Test func legacyQuirkReadsOneCellExactlyAsBefore72() throws {
    let old = try makeReport("iommu_map_legacy_quirk.dts", kernel: KernelVersion(6, 12))
    let new = try makeReport("iommu_map_legacy_quirk.dts")
    #expect(
      summaries(new) == [
        "/pcie@1c00000 iommu-map[0] -> /iommu@15000000 [0x1c00]",
        "/pcie@1c00000 iommu-map[1] -> /iommu@15000000 [0x1c01]",
      ])
    #expect(new.links == old.links)
    #expect(old.diagnostics.isEmpty, "\(describe(old.diagnostics, old))")
    // Both generations agree, so the only finding is the note.
    #expect(new.diagnostics.map(\.code) == [.iommuMapLegacyQuirk])
    #expect(new.worstSeverity == .note)
  }

  @Test func multiIDRangeHasNoLinkIn72ButOneBefore() throws {
    let new = try makeReport("iommu_map_multi_id_range.dts")
    #expect(
      summaries(new) == [
        "/pcie@1c00000 iommu-map[1] -> /iommu@15000000 [0x1c08 0x0]",
        "/pcie@1c00000 iommu-map[2] -> /iommu@15000000 [0x1c09 0x0]",
        "/pcie@1c00000 iommu-map[3] -> /iommu@15000000 [0x1c0a 0x0]",
      ])
    let finding = try #require(single(findings(new, .iommuMapMultiIDRange)))
    #expect(finding.message.hasPrefix("entry 0 (rid-base 0x0, length 0x8): maps 8 IDs"))
    #expect(finding.message.contains("2-cell specifier 0x1c00 0x7"))

    // Before 7.2 the first 4 cells are a fixed tuple: RIDs 0-6 -> stream ID 0x1c00.
    let old = try makeReport("iommu_map_multi_id_range.dts", kernel: KernelVersion(6, 12))
    let first = try #require(old.links.first { $0.index == 0 })
    #expect(summary(first, old) == "/pcie@1c00000 iommu-map[0] -> /iommu@15000000 [0x1c00]")
    #expect(window(first) == "0x0+0x7")
    #expect(findings(old, .iommuMapMultiIDRange).isEmpty)
  }

  @Test func tooManyTargetCellsStopsThe72MapButNotTheOldOne() throws {
    let new = try makeReport("iommu_map_too_many_cells.dts")
    #expect(new.links.isEmpty)
    let finding = try #require(single(findings(new, .iommuMapTooManyCells)))
    #expect(finding.message.hasPrefix("entry 0: /iommu@5000000 has #iommu-cells = 17"))

    let old = try makeReport("iommu_map_too_many_cells.dts", kernel: KernelVersion(6, 12))
    #expect(summaries(old) == ["/pcie@40000000 iommu-map[0] -> /iommu@5000000 [0x0]"])
    #expect(findings(old, .iommuMapTooManyCells).isEmpty)
  }

  @Test func shortMaskIsIgnoredSoLinksCarryNoMask() throws {
    for kernel in [KernelVersion(6, 12), .newest] {
      let report = try makeReport("iommu_map_bad_mask.dts", kernel: kernel)
      let finding = try #require(single(report.diagnostics))
      #expect(finding.code == .iommuMapBadMask)
      #expect(finding.message.hasPrefix("2 bytes instead of 4"))
      #expect(report.links.map(window) == ["0x0+0x10000"])
    }
  }

  // MARK: - IOMMU nodes

  @Test func twoCellSMMUv3IsAnErrorButTheOFCoreStillPassesBothCells() throws {
    let report = try makeReport("iommu_cells_unexpected.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .iommuCellsUnexpected)
    #expect(finding.severity == .error)
    #expect(finding.message == "#iommu-cells = 2, but arm-smmu-v3 accepts 1")
    #expect(
      summaries(report) == [
        "/dma-controller@2a100000 iommus[0] -> /iommu@2b400000 [0x50 0x0]"
      ]
    )
  }

  @Test func smmuV3WithoutIOMMUCellsIsAnError() throws {
    let report = try variantReport(
      "iommu_cells_unexpected.dts", replacing: "#iommu-cells = <2>;", with: "")
    let finding = try #require(single(findings(report, .iommuCellsUnexpected)))
    #expect(finding.message.hasPrefix("no #iommu-cells: arm-smmu-v3 refuses to probe"))
  }

  @Test func unknownDriverIsOnlyANote() throws {
    let report = try makeReport("iommu_unknown_driver.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .iommuUnknownDriver)
    #expect(finding.severity == .note)
    #expect(finding.message.contains("\"acme,xmmu-v1\""))
    #expect(report.worstSeverity == .note)
    let iommu = try iommuNode("/iommu@4100000", in: report)
    #expect(iommu.driver == nil)
    #expect(iommu.binding == .generic)
    #expect(
      summaries(report) == ["/dma-controller@4200000 iommus[0] -> /iommu@4100000 [0x7]"])
  }

  // MARK: - Legacy mmu-masters

  @Test func unknownMasterPhandleHidesEveryLaterMaster() throws {
    let report = try makeReport("mmu_masters_unknown_phandle.dts")
    #expect(
      summaries(report) == ["/ethernet@e0700000 mmu-masters[0] -> /iommu@e0a00000 [0x100]"])
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .mmuMastersUnknownPhandle)
    #expect(finding.message.hasPrefix("entry 1: phandle 0xdead matches no node"))
  }

  @Test func masterWithoutStreamIDCellsHidesItselfAndLaterMasters() throws {
    let report = try makeReport("mmu_masters_missing_stream_id_cells.dts")
    #expect(
      summaries(report) == ["/ethernet@e0700000 mmu-masters[0] -> /iommu@e0a00000 [0x100]"])
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .mmuMastersMissingStreamIDCells)
    #expect(finding.message.hasPrefix("entry 1: master /ethernet@e0900000 has no #stream-id-cells"))
  }

  @Test func overrunMasterEntryIsNotLinked() throws {
    let report = try makeReport("mmu_masters_entry_overrun.dts")
    #expect(
      summaries(report) == [
        "/ethernet@e0700000 mmu-masters[0] -> /iommu@e0a00000 [0x100 0x101]"
      ])
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .mmuMastersEntryOverrun)
    #expect(finding.message.hasPrefix("entry 1: /ethernet@e0900000 has #stream-id-cells = 2"))
    #expect(finding.message.contains(" 1 cell"))
  }

  @Test func legacySMMUWithGenericConsumerIsMixed() throws {
    let report = try makeReport("mmu_masters_with_generic_consumers.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .mmuMastersWithGenericConsumers)
    #expect(finding.message.contains("also referenced by /crypto@e0100000"))
    #expect(try iommuNode("/iommu@e0a00000", in: report).binding == .mixed)
    #expect(
      summaries(report) == [
        "/crypto@e0100000 iommus[0] -> /iommu@e0a00000 [0x400]",
        "/ethernet@e0700000 mmu-masters[0] -> /iommu@e0a00000 [0x100]",
      ])
  }

  @Test func legacyAndGenericArmSMMUsAreMixed() throws {
    let report = try makeReport("mixed_smmu_bindings.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .mixedSMMUBindings)
    #expect(
      finding.message.hasPrefix("legacy arm-smmu /iommu@e0a00000 and generic /iommu@e0b00000"))
    #expect(try iommuNode("/iommu@e0a00000", in: report).binding == .legacy)
    #expect(try iommuNode("/iommu@e0b00000", in: report).binding == .generic)
  }

  @Test func disabledGenericSMMUDoesNotMixBindings() throws {
    // A disabled arm-smmu never probes, so it cannot make the driver pick a mode.
    let report = try variantReport(
      "mixed_smmu_bindings.dts", replacing: "#iommu-cells = <1>;",
      with: "#iommu-cells = <1>;\n\t\tstatus = \"disabled\";")
    #expect(findings(report, .mixedSMMUBindings).isEmpty, "\(describe(report.diagnostics, report))")
  }

  @Test func masterInTwoSMMUsKeepsBothLinks() throws {
    let report = try makeReport("master_in_two_smmus.dts")
    #expect(
      summaries(report) == [
        "/sata@e0300000 mmu-masters[0] -> /iommu@e0200000 [0x0]",
        "/sata@e0300000 mmu-masters[0] -> /iommu@e0c00000 [0x10]",
      ])
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .masterInTwoSMMUs)
    #expect(finding.property == nil)
    #expect(
      finding.message.hasPrefix("listed in the mmu-masters of /iommu@e0200000 and /iommu@e0c00000"))
  }

  // MARK: - Graph

  @Test func cycleMessageShowsTheClosedWalk() throws {
    let report = try makeReport("dependency_cycle.dts")
    let finding = try #require(single(report.diagnostics))
    #expect(finding.code == .dependencyCycle)
    #expect(report.path(of: finding) == "/iommu@3da0000")
    #expect(
      finding.message.hasPrefix("/iommu@3da0000 -> /iommu@15000000 -> /iommu@3da0000:"),
      "\(finding.message)")
  }

  @Test func threeNodeCycleIsWalkedInSupplierOrder() throws {
    let report = try variantReport(
      "dependency_cycle.dts", replacing: "iommus = <&gpu_smmu 0x0>;\n\t};",
      with: """
        iommus = <&mdss_smmu 0x0>;
        \t};
        \tmdss_smmu: iommu@ae00000 {
        \t\tcompatible = "arm,mmu-500";
        \t\treg = <0x0ae00000 0x10000>;
        \t\t#iommu-cells = <1>;
        \t\tiommus = <&gpu_smmu 0x1>;
        \t};
        """)
    let finding = try #require(single(report.diagnostics))
    #expect(
      finding.message.hasPrefix(
        "/iommu@3da0000 -> /iommu@15000000 -> /iommu@ae00000 -> /iommu@3da0000:"),
      "\(finding.message)")
  }

  // MARK: - Suspected bugs: the kernel's behaviour, asserted as known issues

  @Test func cycleThroughADisabledIOMMUIsNoProbeCycle() throws {
    // kernel-rules.md §2.4 and §2.6: an unavailable IOMMU means "no IOMMU, no
    // deferral", and a disabled node never probes, so apps_smmu probes untranslated.
    let report = try variantReport(
      "dependency_cycle.dts", replacing: "iommus = <&apps_smmu 0x20>;",
      with: "iommus = <&apps_smmu 0x20>;\n\t\tstatus = \"disabled\";")
    #expect(findings(report, .iommuDisabled).map(report.path(of:)) == ["/iommu@15000000"])
    #expect(findings(report, .dependencyCycle).isEmpty, "\(describe(report.diagnostics, report))")
  }

  @Test func legacyMasterEdgeIsNoProbeDependency() throws {
    // kernel-rules.md §4.5: legacy masters never defer on their SMMU, so the
    // SMMUv3 probes first and the MMU-401 (which defers on it through iommus) follows.
    let source = """
      /dts-v1/;
      / {
        #address-cells = <1>;
        #size-cells = <1>;
        smmu_a: iommu@e0a00000 {
          compatible = "arm,mmu-401";
          reg = <0xe0a00000 0x10000>;
          mmu-masters = <&smmu_b 0x100>;
          iommus = <&smmu_b 0x5>;
        };
        smmu_b: iommu@e0b00000 {
          compatible = "arm,smmu-v3";
          reg = <0xe0b00000 0x10000>;
          #iommu-cells = <1>;
          #stream-id-cells = <1>;
        };
      };
      """
    let report = Report(tree: try Fixtures.tree(source: source), inputPath: "x.dtb")
    #expect(report.links.count == 2)
    #expect(findings(report, .dependencyCycle).isEmpty, "\(describe(report.diagnostics, report))")
  }

  @Test func partialCellMapIsRejectedWholeBy72() throws {
    // kernel-rules.md §3.3 step 2: 7.2 checks for whole cells before walking any entry.
    let report = try variantReport(
      "iommu_map_bad_length.dts", replacing: "<0x100 &smmu 0x100>", with: "[00 01]")
    #expect(report.links.isEmpty)
    let finding = try #require(single(findings(report, .iommuMapBadLength)))
    #expect(finding.message.hasPrefix("18 bytes is not whole cells"))
    #expect(finding.message.contains("whole map"), "\(finding.message)")
  }

  @Test func mapRejectedWholeByBothGenerationsDoesNotDiffer() throws {
    // kernel-rules.md §3.2 step 2 and §3.3 step 2: 6.12 (not 16-byte tuples) and 7.2 (not
    // whole cells) both reject this map outright, so every ID gets no IOMMU on both.
    for kernel in [KernelVersion(6, 12), .newest] {
      let report = try variantReport(
        "iommu_map_bad_length.dts", replacing: "<0x100 &smmu 0x100>", with: "[00 01]",
        kernel: kernel)
      #expect(report.links.isEmpty)
      #expect(findings(report, .iommuMapLayoutDiffers).isEmpty, "\(kernel)")
    }
  }
}

// MARK: - Helpers

/// What each clean fixture links, on every kernel: consumer, property[index] -> supplier, args.
private let cleanFixtures: [String: [String]] = [
  "clean-smmuv3-pcie.dts": [
    "/dma-controller@2a100000 iommus[0] -> /iommu@2b400000 [0x10000]",
    "/pcie@40000000 iommu-map[0] -> /iommu@2b400000 [0x0] rids 0x0+0x10000 & 0xffff",
  ],
  "clean-mmu500-masters.dts": [
    "/ufshc@1d84000 iommus[0] -> /iommu@15000000 [0x100 0xf]",
    "/usb@a600000 iommus[0] -> /iommu@15000000 [0x740 0x0]",
    "/video-codec@aa00000 iommus[0] -> /iommu@15000000 [0x10a0 0x8]",
    "/video-codec@aa00000 iommus[1] -> /iommu@15000000 [0x10b0 0x0]",
  ],
  "clean-rockchip-iommu.dts": [
    "/vop@ff900000 iommus[0] -> /iommu@ff903f00 []"
  ],
  "clean-legacy-mmu-masters.dts": [
    "/ethernet@e0700000 mmu-masters[0] -> /iommu@e0a00000 [0x100 0x101]",
    "/ethernet@e0900000 mmu-masters[1] -> /iommu@e0a00000 [0x200 0x201]",
  ],
  "clean-disabled-consumer.dts": [
    "/gpu@5000000 iommus[0] -> /iommu@3da0000 [0x0]"
  ],
]

/// A fixture's `// expect: <code> at <path>:<property or ->` line, from its first three lines.
private struct Expectation {
  let code: String
  let path: String?
  let property: String?
}

private func expectation(in name: String) throws -> Expectation? {
  let marker = "// expect: "
  let lines = try fixtureSource(name).split(separator: "\n").prefix(3)
  guard let line = lines.first(where: { $0.hasPrefix(marker) }) else { return nil }
  let body = line.dropFirst(marker.count)
  guard let at = body.range(of: " at ") else { return nil }
  let location = body[at.upperBound...]
  guard let colon = location.lastIndex(of: ":") else { return nil }
  let path = String(location[..<colon])
  let property = String(location[location.index(after: colon)...])
  return Expectation(
    code: String(body[..<at.lowerBound]), path: path == "-" ? nil : path,
    property: property == "-" ? nil : property)
}

private func fixtureSource(_ name: String) throws -> String {
  try String(contentsOf: Fixtures.url(name), encoding: .utf8)
}

private func makeReport(_ name: String, kernel: KernelVersion = .newest) throws -> Report {
  try FixtureBuild.report(name, kernel: kernel)
}

/// A report on a fixture with one piece of text (which must occur exactly once) replaced.
private func variantReport(
  _ name: String, replacing old: String, with new: String, kernel: KernelVersion = .newest
) throws -> Report {
  let source = try fixtureSource(name)
  try #require(source.components(separatedBy: old).count == 2, "\(name) lacks \(old)")
  let tree = try Fixtures.tree(source: source.replacingOccurrences(of: old, with: new))
  return Report(tree: tree, inputPath: name, kernel: kernel)
}

private func findings(_ report: Report, _ code: DiagnosticCode) -> [Diagnostic] {
  report.diagnostics.filter { $0.code == code }
}

private func iommuNode(_ path: String, in report: Report) throws -> IOMMU {
  try #require(report.iommus.first { report.path(of: $0) == path })
}

private func single<T>(_ items: [T]) -> T? {
  items.count == 1 ? items[0] : nil
}

private func hex(_ cells: [UInt32]) -> String {
  cells.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
}

/// An `iommu-map` link's ID window, e.g. `0x0+0x100` or `0x0+0x10000 & 0xfff8` with a mask.
private func window(_ link: Link) -> String? {
  guard let range = link.range else { return nil }
  let text = "\(hex([range.base]))+\(hex([range.length]))"
  return range.mask.map { text + " & \(hex([$0]))" } ?? text
}

/// One line per link, e.g. `/usb@a600000 iommus[0] -> /iommu@15000000 [0x740]`, with the ID
/// window when it has a mask.
private func summary(_ link: Link, _ report: Report) -> String {
  let text =
    "\(report.consumerPath(link)) \(link.property.rawValue)[\(link.index)] -> "
    + "\(report.supplierPath(link)) [\(hex(Array(link.arguments)))]"
  guard let window = window(link), link.range?.mask != nil else { return text }
  return text + " rids " + window
}

/// Every link of the report, as `summary` gives it.
private func summaries(_ report: Report) -> [String] {
  report.links.map { summary($0, report) }
}

private func location(_ expectation: Expectation) -> String {
  "\(expectation.path ?? "<file>"):\(expectation.property ?? "-")"
}

private func describe(_ diagnostics: [Diagnostic], _ report: Report) -> String {
  diagnostics.isEmpty
    ? "no findings"
    : diagnostics.map {
      "\($0.code.rawValue) at \(report.path(of: $0) ?? "<file>"):\($0.property ?? "-")"
    }
    .joined(separator: "; ")
}
