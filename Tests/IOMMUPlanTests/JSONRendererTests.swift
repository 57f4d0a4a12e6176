// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import IOMMUPlan
import TestSupport
import Testing

@testable import Renderers

@Suite struct JSONRendererTests {
  @Test func nullableFieldsArePresentAsNull() throws {
    let tree = try Fixtures.tree(
      source: """
        /dts-v1/;
        / {
          iommu { compatible = "example,iommu"; #iommu-cells = <1>; phandle = <1>; };
          pcie { iommu-map = <0 1 0 0x100>; };
        };
        """)
    let json = JSONRenderer.render(Report(tree: tree, inputPath: "x.dtb"))
    let object = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let input = try #require(object["input"] as? [String: Any])
    #expect(input["model"] is NSNull)
    let iommu = try #require((object["iommus"] as? [[String: Any]])?.first)
    #expect(iommu["label"] is NSNull)
    #expect(iommu["driver"] is NSNull)
    let link = try #require((object["links"] as? [[String: Any]])?.first)
    #expect(link["mask"] is NSNull)
    #expect(link["rid_base"] as? Int == 0)
    #expect(link["length"] as? Int == 256)
  }

  @Test func severalReportsMakeAnArrayAndSlashesAreNotEscaped() throws {
    let tree = try Fixtures.tree(source: "/dts-v1/;\n/ { model = \"a \\\"quoted\\\" model\"; };\n")
    let reports = [
      Report(tree: tree, inputPath: "a/b.dtb"), Report(tree: tree, inputPath: "c.dtb"),
    ]
    let json = JSONRenderer.render(reports.map(FileReport.init))
    #expect(json.contains("\"path\": \"a/b.dtb\""))
    #expect(json.contains("\"model\": \"a \\\"quoted\\\" model\""))
    let array = try #require(
      JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    #expect(array.count == 2)
  }

  @Test func escapesControlCharacters() {
    var output = TextOutput()
    JSONWriter.write(to: &output) { $0.string("tab\there\u{1}") }
    #expect(output.text == "\"tab\\there\\u0001\"")
  }
}
