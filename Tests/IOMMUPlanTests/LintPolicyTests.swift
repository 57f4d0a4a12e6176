// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan
import Testing

/// `--disable`, `--enable`, `--strict` and `--fail-on`.
@Suite struct LintPolicyTests {
  static let warning = Diagnostic(.iommuDisabled, node: NodeID(1), property: "iommus", "w")
  static let note = Diagnostic(.iommuUnknownDriver, node: NodeID(2), property: "compatible", "n")
  static let error = Diagnostic(.dependencyCycle, node: NodeID(3), property: nil, "e")

  @Test func everyCodeIsOnByDefaultAndSeveritiesAreKept() {
    let policy = LintPolicy()
    #expect(DiagnosticCode.allCases.allSatisfy(policy.isEnabled))
    #expect(policy.apply([Self.warning, Self.note]) == [Self.warning, Self.note])
  }

  @Test func disableRemovesAndEnableWinsWhateverTheOrder() throws {
    let some = LintPolicy(disable: [.code(.iommuDisabled)])
    #expect(some.apply([Self.warning, Self.note, Self.error]) == [Self.note, Self.error])
    let one = LintPolicy(disable: [.all], enable: [.code(.dependencyCycle)])
    #expect(one.apply([Self.warning, Self.note, Self.error]) == [Self.error])
    #expect(one.disabled.count == DiagnosticCode.allCases.count - 1)
  }

  @Test func selectionsParseCodesAndAllOnly() {
    #expect(CodeSelection("all") == .all)
    #expect(CodeSelection("iommu_disabled") == .code(.iommuDisabled))
    #expect(CodeSelection("iommu-disabled") == nil)
    #expect(CodeSelection("") == nil)
  }

  @Test func strictReportsWarningsAsErrorsAndLeavesNotes() throws {
    let policy = LintPolicy(strict: true)
    let applied = policy.apply([Self.warning, Self.note])
    #expect(applied.map(\.severity) == [.error, .note])
    #expect(applied[0].message == Self.warning.message && applied[0].code == .iommuDisabled)
    #expect(policy.fails(applied[0].severity))
  }

  @Test func failOnIsAThreshold() {
    #expect(!LintPolicy(failOn: .error).fails(.warning))
    #expect(LintPolicy(failOn: .warning).fails(.warning))
    #expect(LintPolicy(failOn: .warning).fails(.error))
    #expect(!LintPolicy(failOn: .warning).fails(.note))
    #expect(LintPolicy(failOn: .note).fails(.note))
  }
}
