// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan
import TestSupport
import Testing

/// `of_map_id()` per requester ID, through the coverage a report keeps.
@Suite struct RIDAnswerTests {
  /// A root complex as qrb5165-rb5 has it: one-RID entries for the root
  /// port (RID 0) and the function below it (RID 0x100), and a wifi node
  /// whose `reg` names bus 1.
  static func board(map: String, mask: String = "", smmu: String = "arm,mmu-500", cells: Int = 1)
    -> String
  {
    """
    /dts-v1/;
    / {
    \t#address-cells = <1>;
    \t#size-cells = <1>;
    \tsmmu: iommu@15000000 {
    \t\tcompatible = "\(smmu)";
    \t\treg = <0x15000000 0x100000>;
    \t\t#iommu-cells = <\(cells)>;
    \t\t#global-interrupts = <1>;
    \t};
    \tpcie@1c00000 {
    \t\tcompatible = "pci-host-ecam-generic";
    \t\tdevice_type = "pci";
    \t\treg = <0x1c00000 0x1000>;
    \t\t#address-cells = <3>;
    \t\t#size-cells = <2>;
    \t\tiommu-map = <\(map)>;
    \t\t\(mask)
    \t\tpcie@0 {
    \t\t\tdevice_type = "pci";
    \t\t\treg = <0x0 0x0 0x0 0x0 0x0>;
    \t\t\t#address-cells = <3>;
    \t\t\t#size-cells = <2>;
    \t\t\twifi@0 {
    \t\t\t\treg = <0x10000 0x0 0x0 0x0 0x0>;
    \t\t\t};
    \t\t};
    \t};
    };
    """
  }

  static let rb5Map = "0x0 &smmu 0x1c00 0x1>, <0x100 &smmu 0x1c01 0x1"

  static func report(_ source: String, explain: [String] = [], kernel: KernelVersion = .newest)
    throws -> Report
  {
    let tree = try Fixtures.tree(source: source)
    return Report(
      tree: tree, inputPath: "board.dts", build: KernelBuild(version: kernel),
      request: PlanRequest(explain: explain))
  }

  static func answer(_ report: Report, rid: UInt32) throws -> RIDAnswer {
    let bus = try #require(report.plan.coverage.first?.bus)
    return try #require(RIDAnswer(report, bus: bus, rid: rid))
  }

  @Test func aPCIFunctionInTheTreeIsAnsweredThroughItsBusWithTheRIDItsRegGives() throws {
    let report = try Self.report(
      Self.board(map: Self.rb5Map), explain: ["/pcie@1c00000/pcie@0/wifi@0"],
      kernel: KernelVersion(6, 12))
    let explanation = try #require(report.explanations.first)
    let function = try #require(explanation.pciFunction)
    #expect(function.rid == 0x100)
    let answer = try #require(RIDAnswer(report, bus: function.bus, rid: function.rid))
    #expect(answer.entry == 1)
    #expect(answer.specifier.map(Array.init) == [0x1c01])
    #expect(answer.outcome == .deferred)
    #expect(answer.modules == ["arm_smmu"])
    #expect(answer.sharing == nil)
  }

  @Test func anIDNoEntryCoversIsAHoleAndGetsNoIOMMU() throws {
    let answer = try Self.answer(try Self.report(Self.board(map: Self.rb5Map)), rid: 0x200)
    #expect(answer.outcome == .noIOMMU)
    if case .hole = answer.answer {} else { Issue.record("not a hole: \(answer.answer)") }
    #expect(answer.specifier == nil)
  }

  @Test func theMaskIsAppliedFirstAndFoldedIDsShareTheStreamID() throws {
    let report = try Self.report(
      Self.board(
        map: "0x0 &smmu 0x0 0x10000", mask: "iommu-map-mask = <0xfff8>;", smmu: "arm,smmu-v3"))
    let answer = try Self.answer(report, rid: 0x103)
    #expect(answer.masked == 0x100)
    #expect(answer.specifier.map(Array.init) == [0x100])
    let sharing = try #require(answer.sharing)
    #expect(sharing.count == 8)
    #expect(sharing.ranges == [0x100...0x107])
    #expect(sharing.exclusive)
  }

  @Test func aMaskOfZeroSendsEveryFunctionToOneStreamID() throws {
    let report = try Self.report(
      Self.board(map: "0x0 &smmu 0x40 0x1", mask: "iommu-map-mask = <0x0>;", smmu: "arm,smmu-v3"))
    let answer = try Self.answer(report, rid: 0x0812)
    #expect(answer.specifier.map(Array.init) == [0x40])
    #expect(answer.sharing?.count == 0x10000)
  }

  @Test func theFirstMatchingEntryWinsAndALengthZeroEntryMatchesNothing() throws {
    let report = try Self.report(
      Self.board(map: "0x100 &smmu 0x9 0x0>, <0x100 &smmu 0x50 0x10>, <0x100 &smmu 0x70 0x10"))
    let answer = try Self.answer(report, rid: 0x105)
    #expect(answer.entry == 1)
    #expect(answer.specifier.map(Array.init) == [0x55])
  }

  @Test func anEntryWithBitsOutsideTheMaskFailsEveryLookupThatReachesIt() throws {
    let report = try Self.report(
      Self.board(
        map: "0x0 &smmu 0x0 0x1>, <0x100 &smmu 0x10 0x1", mask: "iommu-map-mask = <0xff>;"))
    #expect(try Self.answer(report, rid: 0x0).outcome == .deferred)
    let failed = try Self.answer(report, rid: 0x1)
    #expect(failed.outcome == .error)
    if case .failed(let entry, let error) = failed.answer {
      #expect(entry == 1)
      #expect(error == .maskIgnoresRIDBase)
      #expect(error.errno == "-EFAULT")
    } else {
      Issue.record("not a failure: \(failed.answer)")
    }
  }

  @Test func entriesThatContinueOneAnotherAreOneRangeAndStillNameTheirEntry() throws {
    let entries = (0..<1000).map {
      "0x\(String($0, radix: 16)) &smmu 0x\(String($0 + 0x10, radix: 16)) 0x1"
    }
    let report = try Self.report(Self.board(map: entries.joined(separator: ">, <")))
    let coverage = try #require(report.plan.coverage.first)
    #expect(coverage.ranges.count == 2)
    #expect(coverage.ranges[0].first == 0 && coverage.ranges[0].last == 999)
    #expect(coverage.ranges[0].lastEntry == 999)
    let answer = try Self.answer(report, rid: 0x3e7)
    #expect(answer.entry == 999)
    #expect(answer.specifier.map(Array.init) == [0x3f7])
  }

  @Test func aDisabledIOMMUGivesNoIOMMU() throws {
    let source = Self.board(map: Self.rb5Map).replacingOccurrences(
      of: "#global-interrupts = <1>;", with: "#global-interrupts = <1>;\n\t\tstatus = \"disabled\";"
    )
    let answer = try Self.answer(try Self.report(source), rid: 0x100)
    #expect(answer.outcome == .noIOMMU)
    #expect(answer.iommu != nil)
  }
}
