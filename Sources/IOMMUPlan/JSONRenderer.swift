/// The versioned JSON of shared/spec/json-output.md: one object per report,
/// an array of them for several inputs.
public enum JSONRenderer {
  public static let identifier = "json"
  /// Bumped only when a field is renamed, removed or changes meaning.
  public static let schemaVersion = 1

  public static func render(_ reports: [Report], asArray: Bool) -> String {
    var output = ""
    render(reports, asArray: asArray, to: &output)
    return output
  }

  /// The same text, written to `output` as it is made: the links, plan
  /// consumers and findings one at a time, so that a big tree's JSON is
  /// never all in memory.
  public static func render(
    _ reports: [Report], asArray: Bool, to output: inout some TextOutputStream
  ) {
    let value: JSONValue =
      asArray
      ? .lazyArray(count: reports.count) { document(reports[$0], lazily: true) }
      : document(reports[0], lazily: true)
    value.write(to: &output)
    output.write("\n")
  }

  /// One report as a JSON value, built whole.
  public static func document(_ report: Report) -> JSONValue { document(report, lazily: false) }

  /// With `lazily`, the long lists are `lazyArray`s: the same text, made
  /// as it is written.
  static func document(_ report: Report, lazily: Bool) -> JSONValue {
    func list<Item: Sendable>(
      _ items: [Item], _ element: @escaping @Sendable (Item) -> JSONValue
    ) -> JSONValue {
      lazily ? .lazyArray(count: items.count) { element(items[$0]) } : .array(items.map(element))
    }
    return .object([
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
      ("iommus", .array(report.iommus.map { iommu($0, report.plan) })),
      ("links", list(report.links) { link($0) }),
      ("plan", plan(report.plan, lazily: lazily)),
      ("diagnostics", list(report.diagnostics) { diagnostic($0) }),
    ])
  }

  private static func iommu(_ iommu: IOMMU, _ plan: Plan) -> JSONValue {
    let name = iommu.driver.map { $0.module.map(moduleKey) ?? "CONFIG_\($0.kconfig)" }
    let mode = plan.assumptions.drivers.first { $0.module == name }?.mode.rawValue ?? "unknown"
    return .object([
      ("path", .string(iommu.path)),
      ("label", .optional(iommu.label)),
      ("compatible", .array(iommu.compatible.map(JSONValue.string))),
      ("available", .bool(iommu.isAvailable)),
      ("iommu_cells", iommu.iommuCells.map(JSONValue.number) ?? .null),
      ("binding", .string(iommu.binding.rawValue)),
      ("driver", iommu.driver.map { driver($0, mode: mode) } ?? .null),
    ])
  }

  private static func driver(_ driver: IOMMUDriver, mode: String) -> JSONValue {
    .object([
      ("name", .string(driver.name)),
      ("kconfig", .string(driver.kconfig)),
      ("module", .optional(driver.module)),
      ("tristate", .bool(driver.isTristate)),
      ("mode", .string(mode)),
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

  static func plan(_ plan: Plan, lazily: Bool = false) -> JSONValue {
    let assumptions = plan.assumptions
    var members: [(String, JSONValue)] = [
      (
        "assumptions",
        .object([
          ("kernel_version", .string(assumptions.kernelVersion.description)),
          ("modules", .bool(assumptions.modules)),
          ("deferred_probe_timeout_s", .number(assumptions.deferredProbeTimeout)),
          ("fw_devlink_strict", .bool(assumptions.fwDevlinkStrict)),
          ("legacy_dt_bindings", .bool(assumptions.legacyBindings)),
          (
            "drivers",
            .array(
              assumptions.drivers.map {
                .object([
                  ("module", .string($0.module)), ("mode", .string($0.mode.rawValue)),
                  ("source", .string($0.source.rawValue)),
                ])
              })
          ),
          ("notes", .array(assumptions.notes.map(JSONValue.string))),
        ])
      ),
      (
        "consumers",
        lazily
          ? .lazyArray(count: plan.consumers.count) { consumer(plan.consumers[$0]) }
          : .array(plan.consumers.map(consumer))
      ),
      ("load_order", .array(plan.loadOrder.map(load))),
    ]
    if let boot = plan.bootModules { members.append(("boot_modules", .array(boot.map(load)))) }
    return .object(members)
  }

  private static func consumer(_ consumer: Plan.Consumer) -> JSONValue {
    .object([
      ("device", .string(consumer.device)),
      ("property", .string(consumer.property.rawValue)),
      ("outcome", .string(consumer.outcome.rawValue)),
      ("reason", .string(consumer.reason)),
      (
        "waits_for",
        .array(
          consumer.waitsFor.map {
            .object([("iommu", .string($0.iommu)), ("module", .optional($0.module))])
          })
      ),
      ("stream_ids", .array(consumer.streamIDs.map(JSONValue.number))),
    ])
  }

  private static func load(_ load: Plan.ModuleLoad) -> JSONValue {
    .object([
      ("module", .string(load.module)),
      ("path", .optional(load.path)),
      ("provides", .array(load.provides.map(JSONValue.string))),
      ("needs", .array(load.needs.map(JSONValue.string))),
    ])
  }
}
