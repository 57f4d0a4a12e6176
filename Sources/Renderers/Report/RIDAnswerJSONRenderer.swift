// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `explain --rid N --format json` (or a PCI function's node):
///
///     { "schema_version": 1, "kernel_version": "6.12", "bus": "/soc@0/pcie@1c00000",
///       "device": "/soc@0/pcie@1c00000/pcie@0/wifi@0" | null, "rid": 256, "bdf": "01:00.0",
///       "mask": null | 65528, "masked_rid": 256, "entry": 1 | null,
///       "outcome": "translated" | "deferred" | "unprotected" | "no_iommu" | "error" | "unknown",
///       "iommu": "/soc@0/iommu@15000000" | null, "stream_id": 7169 | null,
///       "specifier": [7169], "error": null | "mask_ignores_rid_base" | ..., "errno": null | "-EFAULT",
///       "waits_for": ["arm_smmu"],
///       "shared": null | { "count": 8, "rids": [[256, 263]], "exclusive": true } }
public enum RIDAnswerJSONRenderer {
  public static let identifier = "json"

  public static func render(_ answer: RIDAnswer, _ report: Report, to output: inout TextOutput) {
    JSONWriter.write(to: &output) { json in
      json.beginObject()
      json.key("schema_version")
      json.number(JSONRenderer.schemaVersion)
      json.key("kernel_version")
      json.string(report.kernel.description)
      json.key("bus")
      json.path(answer.bus, report.nodes)
      json.key("device")
      if let node = answer.node { json.path(node, report.nodes) } else { json.null() }
      json.key("rid")
      json.number(answer.rid)
      json.key("bdf")
      json.string(RIDAnswerRenderer.bdf(answer.rid))
      json.key("mask")
      json.number(answer.mask == 0xffff_ffff ? nil : answer.mask)
      json.key("masked_rid")
      json.number(answer.masked)
      json.key("entry")
      if let entry = answer.entry { json.number(entry) } else { json.null() }
      json.key("outcome")
      json.string(answer.outcome.rawValue)
      json.key("iommu")
      if let iommu = answer.iommu { json.path(iommu, report.nodes) } else { json.null() }
      json.key("stream_id")
      json.number(answer.specifier?.first)
      json.numbers("specifier", answer.specifier ?? Specifier([]))
      var error: RIDCoverage.LookupError?
      if case .failed(_, let failure) = answer.answer { error = failure }
      json.key("error")
      json.string(error?.rawValue)
      json.key("errno")
      json.string(error?.errno)
      json.strings("waits_for", answer.modules)
      json.key("shared")
      if let sharing = answer.sharing {
        json.beginObject()
        json.key("count")
        json.number(sharing.count)
        json.key("rids")
        json.beginArray()
        for range in sharing.ranges {
          json.beginArray()
          json.number(range.lowerBound)
          json.number(range.upperBound)
          json.endArray()
        }
        json.endArray()
        json.key("exclusive")
        json.bool(sharing.exclusive)
        json.endObject()
      } else {
        json.null()
      }
      json.endObject()
    }
  }
}
