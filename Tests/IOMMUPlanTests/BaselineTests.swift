// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import IOMMUPlan
import Renderers
import Testing

/// The baseline file: its key, its format and what a run makes of it.
@Suite struct BaselineTests {
  static let keyA = BaselineKey(file: "a.dtb", path: "/soc/usb", code: .iommuDisabled)
  static let keyB = BaselineKey(file: "a.dtb", path: nil, code: .duplicatePhandle)
  static let keyC = BaselineKey(file: "b.dtb", path: "/pci", code: .iommuMapOverlap)

  @Test func serializedIsSortedVersionedOneLinePerFindingAndParsesBack() throws {
    let baseline = Baseline(counts: [Self.keyC: 2, Self.keyA: 1, Self.keyB: 1])
    let text = BaselineRenderer.render(baseline)
    #expect(
      text == """
        {
          "schema_version": 1,
          "tool": "iommu-plan",
          "findings": [
            {"file": "a.dtb", "path": null, "code": "duplicate_phandle", "count": 1},
            {"file": "a.dtb", "path": "/soc/usb", "code": "iommu_disabled", "count": 1},
            {"file": "b.dtb", "path": "/pci", "code": "iommu_map_overlap", "count": 2}
          ]
        }

        """)
    #expect(try Baseline(parsing: Array(text.utf8)) == baseline)
    #expect(BaselineRenderer.render(Baseline()).contains("\"findings\": []"))
    #expect(try Baseline(parsing: Array(BaselineRenderer.render(Baseline()).utf8)) == Baseline())
  }

  @Test func badFilesAreRejectedWithAReason() {
    func reason(_ text: String) -> String? {
      do {
        _ = try Baseline(parsing: Array(text.utf8))
        return nil
      } catch {
        return error.reason
      }
    }
    #expect(reason("nope") == "not JSON")
    #expect(reason("{}") == "not an iommu-plan baseline (no schema_version)")
    #expect(reason(#"{"schema_version": 2, "findings": []}"#)?.contains("version 2") == true)
    #expect(reason(#"{"schema_version": 1}"#) == "no findings array")
    #expect(reason(#"{"schema_version": 1, "findings": [{"file": "a"}]}"#) != nil)
    #expect(reason(#"{"schema_version": 1, "findings": []}"#) == nil)
  }

  @Test func keysAreRelativeToTheWorkingDirectoryAndWithoutDotSlash() {
    #expect(
      LintResult.key(for: "/work/tree/qcom/a.dtb", workingDirectory: "/work/tree") == "qcom/a.dtb")
    #expect(
      LintResult.key(for: "/work/tree/qcom/a.dtb", workingDirectory: "/work/tree/") == "qcom/a.dtb")
    #expect(
      LintResult.key(for: "/work/treetop/a.dtb", workingDirectory: "/work/tree")
        == "/work/treetop/a.dtb")
    #expect(LintResult.key(for: "./qcom//./a.dtb", workingDirectory: "/x") == "qcom/a.dtb")
    #expect(LintResult.key(for: "/a.dtb", workingDirectory: "/") == "/a.dtb")
    #expect(LintResult.key(for: "-", workingDirectory: "/x") == "-")
  }
}
