/// `iommu-plan diff --format json`: one object; IOMMU, LINK and DIAGNOSTIC
/// objects have the shapes of json-output.md.
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
public enum DiffJSONRenderer {
  public static let identifier = "json"

  public static func render(_ diff: TopologyDiff) -> String {
    let oldShapes = Shapes(diff.old)
    let newShapes = Shapes(diff.new)
    let document: JSONValue = .object([
      ("schema_version", .number(JSONRenderer.schemaVersion)),
      ("old", input(diff.old)),
      ("new", input(diff.new)),
      ("kernel_version", .string(diff.new.kernel.description)),
      ("identical", .bool(diff.isEmpty)),
      (
        "iommus",
        .array(
          diff.iommus.map { change in
            .object([
              ("change", .string(change.change.rawValue)),
              ("path", .string(change.path)),
              ("details", .array(change.details.map(JSONValue.string))),
              ("old", change.old.map(oldShapes.iommu) ?? .null),
              ("new", change.new.map(newShapes.iommu) ?? .null),
            ])
          })
      ),
      (
        "devices",
        .array(
          diff.devices.map { device in
            .object([
              ("path", .string(device.path)),
              ("old_enabled", .bool(device.wasEnabled)),
              ("new_enabled", .bool(!device.wasEnabled)),
            ])
          })
      ),
      (
        "links",
        .array(
          diff.links.map { change in
            .object([
              ("change", .string(change.change.rawValue)),
              ("old", change.old.map(oldShapes.link) ?? .null),
              ("new", change.new.map(newShapes.link) ?? .null),
            ])
          })
      ),
      (
        "diagnostics",
        .array(
          diff.findings.map { finding in
            let diagnostic = finding.diagnostic
            return .object([
              ("change", .string(finding.change.rawValue)),
              ("severity", .string(diagnostic.severity.rawValue)),
              ("code", .string(diagnostic.code.rawValue)),
              ("path", .optional(diagnostic.path)),
              ("property", .optional(diagnostic.property)),
              ("message", .string(diagnostic.message)),
            ])
          })
      ),
    ])
    return document.serialized() + "\n"
  }

  private static func input(_ report: Report) -> JSONValue {
    .object([
      ("path", .string(report.input.path)),
      ("model", .optional(report.input.model)),
      ("compatible", .array(report.input.compatible.map(JSONValue.string))),
    ])
  }

  /// The contract's IOMMU and LINK objects, taken from the report's own
  /// document so that they can never drift from `report --format json`.
  private struct Shapes {
    let iommus: [IOMMU: JSONValue]
    let links: [Link: JSONValue]

    init(_ report: Report) {
      var iommus: [IOMMU: JSONValue] = [:]
      var links: [Link: JSONValue] = [:]
      if case .object(let members) = JSONRenderer.document(report) {
        for (key, value) in members {
          guard case .array(let items) = value else { continue }
          if key == "iommus" {
            for (iommu, item) in zip(report.iommus, items) { iommus[iommu] = item }
          } else if key == "links" {
            for (link, item) in zip(report.links, items) { links[link] = item }
          }
        }
      }
      self.iommus = iommus
      self.links = links
    }

    func iommu(_ iommu: IOMMU) -> JSONValue { iommus[iommu] ?? .null }
    func link(_ link: Link) -> JSONValue { links[link] ?? .null }
  }
}
