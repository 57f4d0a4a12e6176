// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// `iommu-plan diff --format json`: one object; IOMMU, LINK and DIAGNOSTIC
/// objects have the shapes of the report's JSON.
///
///     { "schema_version": 1,
///       "old": { "path", "model", "compatible" }, "new": { ... },
///       "kernel_version": "7.2",
///       "identical": false,
///       "iommus":  [ { "change": "added" | "removed" | "changed", "path",
///                      "details": ["status \"okay\" -> \"disabled\""],
///                      "old": IOMMU | null, "new": IOMMU | null } ],
///       "devices": [ { "path", "old_enabled": false, "new_enabled": true } ],
///       "links":   [ { "change", "old": LINK | null, "new": LINK | null } ],
///       "diagnostics": [ { "change": "added" | "removed", DIAGNOSTIC... } ] }
public enum DiffJSONRenderer: Renderer {
  public static let identifier = "json"

  public static func render(_ diff: TopologyDiff, to output: inout TextOutput) {
    JSONWriter.write(to: &output) { json in
      json.beginObject()
      json.key("schema_version")
      json.number(JSONRenderer.schemaVersion)
      json.key("old")
      input(diff.old.input, &json)
      json.key("new")
      input(diff.new.input, &json)
      json.key("kernel_version")
      json.string(diff.new.kernel.description)
      json.key("identical")
      json.bool(diff.isEmpty)
      json.key("iommus")
      json.beginArray()
      for change in diff.iommus { iommu(change, diff, &json) }
      json.endArray()
      json.key("devices")
      json.beginArray()
      for device in diff.devices {
        json.beginObject()
        json.key("path")
        json.string(device.path)
        json.key("old_enabled")
        json.bool(device.wasEnabled)
        json.key("new_enabled")
        json.bool(!device.wasEnabled)
        json.endObject()
      }
      json.endArray()
      json.key("links")
      json.beginArray()
      for change in diff.links {
        json.beginObject()
        json.key("change")
        json.string(change.change.rawValue)
        json.key("old")
        optional(change.old, &json) { JSONRenderer.link($0, diff.old.nodes, &$1) }
        json.key("new")
        optional(change.new, &json) { JSONRenderer.link($0, diff.new.nodes, &$1) }
        json.endObject()
      }
      json.endArray()
      json.key("diagnostics")
      json.beginArray()
      for finding in diff.findings {
        json.beginObject()
        json.key("change")
        json.string(finding.change.rawValue)
        let report = finding.change == .added ? diff.new : diff.old
        JSONRenderer.diagnostic(finding.diagnostic, report.nodes, &json)
        json.endObject()
      }
      json.endArray()
      json.endObject()
    }
    output.write("\n")
  }

  private static func iommu(
    _ change: TopologyDiff.IOMMUChange, _ diff: TopologyDiff, _ json: inout JSONWriter
  ) {
    json.beginObject()
    json.key("change")
    json.string(change.change.rawValue)
    json.key("path")
    json.string(change.path)
    json.strings("details", change.differences.map(DiffTextRenderer.describe))
    json.key("old")
    optional(change.old, &json) { JSONRenderer.iommu($0, diff.old.nodes, &$1) }
    json.key("new")
    optional(change.new, &json) { JSONRenderer.iommu($0, diff.new.nodes, &$1) }
    json.endObject()
  }

  private static func input(_ input: Report.Input, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("path")
    json.string(input.path)
    json.key("model")
    json.string(input.model)
    json.strings("compatible", input.compatible)
    json.endObject()
  }

  private static func optional<Value>(
    _ value: Value?, _ json: inout JSONWriter, _ body: (Value, inout JSONWriter) -> Void
  ) {
    if let value { body(value, &json) } else { json.null() }
  }
}
