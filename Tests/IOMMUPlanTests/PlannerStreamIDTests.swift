// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan
import Testing

/// Two consumers whose stream IDs meet on one IOMMU instance: SMMUv3 refuses the second master,
/// arm-smmu v1/v2 groups them; SMR masks, `stream-match-mask` and `iommu-map-mask` widen what
/// meets (docs/kernel-rules.md §5.2, §8.2 arm-smmu of_xlate; §3.1, §8.3 iommu-map-mask; §9
/// observed boots).
@Suite struct PlannerStreamIDTests {
  @Test func smmuV3RefusesTheSecondMasterInTreeOrder() throws {
    let report = try PlanFixture.report("plan-streamid-smmuv3.dts")
    let first = try PlanFixture.consumer(report, "/dma-controller@50000000")
    let second = try PlanFixture.consumer(report, "/sata@50100000")
    let other = try PlanFixture.consumer(report, "/usb@50200000")
    #expect(first.outcome == .translated)
    #expect(second.outcome == .unprotected)
    #expect(other.outcome == .translated)
    #expect(
      second.reason.contains(
        "stream ID 0x10 on /iommu@2b400000 is also used by /dma-controller@50000000"))
    #expect(second.reason.contains("refuses this second master"))
    #expect(PlanFixture.findings(report, .streamIDConflict) == ["/sata@50100000:iommus"])
    #expect(
      report.diagnostics.filter { $0.code == .streamIDConflict }.map(\.severity) == [.warning])
    #expect(PlanFixture.findings(report, .streamIDShared).isEmpty)
  }

  @Test func withAModularSMMUV3TheFirstMasterStillDefersAndTheSecondKeepsItsWaits() throws {
    let report = try PlanFixture.report("plan-streamid-smmuv3.dts", build: "module=arm_smmu_v3")
    let first = try PlanFixture.consumer(report, "/dma-controller@50000000")
    let second = try PlanFixture.consumer(report, "/sata@50100000")
    #expect(first.outcome == .deferred)
    #expect(PlanFixture.waits(first) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(second.outcome == .unprotected)
    #expect(PlanFixture.waits(second) == ["/iommu@2b400000 arm_smmu_v3"])
    #expect(try PlanFixture.consumer(report, "/usb@50200000").outcome == .deferred)
  }

  @Test func armSMMUMastersWithOneStreamIDShareAGroupAndKeepTranslation() throws {
    let report = try PlanFixture.report("plan-streamid-arm-smmu.dts")
    #expect(report.plan.consumers.map(\.outcome) == [.translated, .translated])
    #expect(PlanFixture.findings(report, .streamIDShared) == ["/i2c@884000:iommus"])
    let note = try #require(report.diagnostics.first { $0.code == .streamIDShared })
    #expect(note.severity == .note)
    #expect(note.message.contains("stream ID 0x400 on /iommu@15000000 is also used by /spi@880000"))
    #expect(note.message.contains("one IOMMU group"))
    #expect(PlanFixture.findings(report, .streamIDConflict).isEmpty)
  }

  @Test func anSMRMaskCellWidensAStreamIDToWhatItMasks() throws {
    let report = try PlanFixture.report("plan-streamid-smr-mask.dts")
    #expect(report.plan.consumers.allSatisfy { $0.outcome == .translated })
    #expect(PlanFixture.findings(report, .streamIDShared) == ["/dma-controller@1dc4000:iommus"])
    #expect(
      PlanFixture.messages(report, .streamIDShared).first?.contains("also used by /crypto@1dfa000")
        == true)
    #expect(PlanFixture.findings(report, .streamIDConflict).isEmpty)
  }

  /// arm_smmu_find_sme reuses an SMR only for an entry that lies inside
  /// it; an entry that overlaps it otherwise gets -EINVAL, and that master
  /// (the later one in tree order) runs without translation.
  @Test func anSMRThatPartlyOverlapsAnEarlierOneIsRefused() throws {
    let report = try PlannerOutputTests.report(
      """
      // build: builtin=arm_smmu
      /dts-v1/;
      / {
        smmu: iommu@1000 { compatible = "arm,mmu-500"; #iommu-cells = <2>; };
        a@2000 { iommus = <&smmu 0x105 0x0>; };
        b@3000 { iommus = <&smmu 0x100 0xf>; };
        c@4000 { iommus = <&smmu 0x200 0xf>; };
        d@5000 { iommus = <&smmu 0x203 0x0>; };
      };
      """)
    #expect(try PlanFixture.consumer(report, "/a@2000").outcome == .translated)
    let wider = try PlanFixture.consumer(report, "/b@3000")
    #expect(wider.outcome == .unprotected)
    #expect(wider.reason.contains("refuses this second master"))
    #expect(PlanFixture.findings(report, .streamIDConflict) == ["/b@3000:iommus"])
    #expect(
      PlanFixture.messages(report, .streamIDConflict).first?.contains(
        "arm-smmu refuses an SMR that overlaps another without lying inside it") == true)
    // 0x203 lies inside 0x200/0xf: the two share a group.
    #expect(try PlanFixture.consumer(report, "/d@5000").outcome == .translated)
    #expect(PlanFixture.findings(report, .streamIDShared) == ["/d@5000:iommus"])
  }

  @Test func streamMatchMaskIsTheSMRMaskForOneCellSpecifiers() throws {
    let report = try PlanFixture.report("plan-streamid-match-mask.dts")
    #expect(report.plan.consumers.allSatisfy { $0.outcome == .translated })
    #expect(PlanFixture.findings(report, .streamIDShared) == ["/mmc@d1100000:iommus"])
    #expect(
      PlanFixture.messages(report, .streamIDShared).first?.contains("also used by /mmc@d1000000")
        == true)
  }

  @Test func anIommuMapMaskThatFoldsFunctionsWarnsOnSMMUV3AndNotesOnArmSMMU() throws {
    let report = try PlanFixture.report("plan-map-mask-fold.dts")
    #expect(PlanFixture.findings(report, .streamIDConflict) == ["/pcie@40000000:iommu-map-mask"])
    #expect(PlanFixture.findings(report, .streamIDShared) == ["/pcie@50000000:iommu-map-mask"])
    let warning = try #require(report.diagnostics.first { $0.code == .streamIDConflict })
    #expect(warning.severity == .warning)
    #expect(
      warning.message.contains("iommu-map-mask 0xfff8 folds RIDs that differ only in bits 0x7"))
    let note = try #require(report.diagnostics.first { $0.code == .streamIDShared })
    #expect(note.severity == .note)
    #expect(note.message.contains("share one IOMMU group"))
    // Folding concerns devices on the bus; the bus nodes' own outcomes are unchanged.
    #expect(report.plan.consumers.map(\.outcome) == [.translated, .translated])
  }

  @Test func aMaskOfZeroFoldsEveryRID() throws {
    let report = try PlanFixture.report("plan-map-mask-zero.dts")
    #expect(PlanFixture.findings(report, .streamIDConflict) == ["/pcie@40000000:iommu-map-mask"])
    let message = try #require(PlanFixture.messages(report, .streamIDConflict).first)
    #expect(message.contains("iommu-map-mask 0x0 folds RIDs that differ only in bits 0xffff"))
    #expect(message.contains("only the first device to probe"))
  }

  @Test func theSameMapWithoutAMaskFoldsNothing() throws {
    for name in ["plan-map-two-smmus.dts", "plan-map-disabled-and-working.dts"] {
      let report = try PlanFixture.report(name)
      #expect(PlanFixture.findings(report, .streamIDConflict).isEmpty, "\(name)")
      #expect(PlanFixture.findings(report, .streamIDShared).isEmpty, "\(name)")
    }
  }
}
