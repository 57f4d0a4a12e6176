/// The versioned JSON of shared/spec/json-output.md: one object per report,
/// an array of them for several inputs.
public enum JSONRenderer {
  public static let identifier = "json"
  /// Bumped only when a field is renamed, removed or changes meaning.
  public static let schemaVersion = 1

  public static func render(_ reports: [Report], asArray: Bool) -> String {
    let value: JSONValue = asArray ? .array(reports.map(document)) : document(reports[0])
    return value.serialized() + "\n"
  }

  static func document(_ report: Report) -> JSONValue {
    .object([
      ("schema_version", .number(schemaVersion)),
      (
        "input",
        .object([
          ("path", .string(report.input.path)),
          ("model", .optional(report.input.model)),
          ("compatible", .array(report.input.compatible.map(JSONValue.string))),
        ])
      ),
      ("kernel_version", .string(report.kernel.description)),
      ("iommus", .array(report.iommus.map(iommu))),
      ("links", .array(report.links.map(link))),
      ("plan", .null),
      ("diagnostics", .array(report.diagnostics.map(diagnostic))),
    ])
  }

  private static func iommu(_ iommu: IOMMU) -> JSONValue {
    .object([
      ("path", .string(iommu.path)),
      ("label", .optional(iommu.label)),
      ("compatible", .array(iommu.compatible.map(JSONValue.string))),
      ("available", .bool(iommu.isAvailable)),
      ("iommu_cells", iommu.iommuCells.map(JSONValue.number) ?? .null),
      ("binding", .string(iommu.binding.rawValue)),
      ("driver", iommu.driver.map(driver) ?? .null),
    ])
  }

  private static func driver(_ driver: IOMMUDriver) -> JSONValue {
    .object([
      ("name", .string(driver.name)),
      ("kconfig", .string(driver.kconfig)),
      ("module", .optional(driver.module)),
      ("tristate", .bool(driver.isTristate)),
      // The planner (a later schema addition) fills this from a kernel build.
      ("mode", .string("unknown")),
    ])
  }

  private static func link(_ link: Link) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("consumer", .string(link.consumerPath)),
      ("supplier", .string(link.supplierPath)),
      ("property", .string(link.property.rawValue)),
      ("index", .number(link.index)),
      ("args", .array(link.arguments.map(JSONValue.number))),
    ]
    if let range = link.range {
      members += [
        ("rid_base", .number(range.base)),
        ("length", .number(range.length)),
        ("mask", range.mask.map(JSONValue.number) ?? .null),
      ]
    }
    return .object(members)
  }

  private static func diagnostic(_ diagnostic: Diagnostic) -> JSONValue {
    .object([
      ("severity", .string(diagnostic.severity.rawValue)),
      ("code", .string(diagnostic.code.rawValue)),
      ("path", .optional(diagnostic.path)),
      ("property", .optional(diagnostic.property)),
      ("message", .string(diagnostic.message)),
    ])
  }
}
