// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// The versioned JSON that docs/json-output.md documents: one object per
/// report, an array of them for several inputs, written as it is made.
public enum JSONRenderer: Renderer {
  // One report; several are written by render(_:to:) over [FileReport].
  public typealias Subject = Report
  public static let identifier = "json"
  /// Bumped only when a field is renamed, removed or changes meaning.
  public static let schemaVersion = 1

  /// One document.
  public static func render(_ report: Report, to output: inout TextOutput) {
    JSONWriter.write(to: &output) { json in document(report, &json) }
    output.write("\n")
  }

  /// An array in argument order. A file that could not be read is an object
  /// of the report's shape with empty lists and an `error` string, so that
  /// `.[].links[]` still works and `.[] | select(.error)` finds it.
  public static func render(_ files: [FileReport], to output: inout TextOutput) {
    JSONWriter.write(to: &output) { json in
      json.beginArray()
      for file in files {
        switch file.outcome {
        case .report(let report): document(report, &json)
        case .unreadable(let reason):
          unreadable(path: file.path, reason: reason, kernel: file.kernel, &json, members: { _ in })
        }
      }
      json.endArray()
    }
    output.write("\n")
  }

  public static func render(_ files: [FileReport]) -> String {
    var output = TextOutput()
    render(files, to: &output)
    return output.text
  }

  static func document(
    _ report: Report, _ json: inout JSONWriter,
    diagnostics: ((inout JSONWriter) -> Void)? = nil, members: (inout JSONWriter) -> Void = { _ in }
  ) {
    json.beginObject()
    json.key("schema_version")
    json.number(schemaVersion)
    input(report.input, &json)
    json.key("kernel_version")
    json.string(report.kernel.description)
    json.key("iommus")
    json.beginArray()
    for iommu in report.iommus { self.iommu(iommu, report.nodes, &json) }
    json.endArray()
    json.key("links")
    json.beginArray()
    for link in report.links { self.link(link, report.nodes, &json, sources: report.sources) }
    json.endArray()
    json.key("plan")
    plan(report, &json)
    json.key("diagnostics")
    if let diagnostics {
      diagnostics(&json)
    } else {
      json.beginArray()
      for diagnostic in report.diagnostics {
        json.beginObject()
        self.diagnostic(diagnostic, report.nodes, &json, sources: report.sources)
        json.endObject()
      }
      json.endArray()
    }
    members(&json)
    json.endObject()
  }

  /// The object of an input that gave no report: the report's shape, empty.
  static func unreadable(
    path: String, reason: String, kernel: KernelVersion, _ json: inout JSONWriter,
    members: (inout JSONWriter) -> Void
  ) {
    json.beginObject()
    json.key("schema_version")
    json.number(schemaVersion)
    json.key("input")
    json.beginObject()
    json.key("path")
    json.string(path)
    json.key("model")
    json.null()
    json.strings("compatible", [])
    json.endObject()
    json.key("kernel_version")
    json.string(kernel.description)
    for name: StaticString in ["iommus", "links"] {
      json.key(name)
      json.beginArray()
      json.endArray()
    }
    json.key("plan")
    json.null()
    json.key("diagnostics")
    json.beginArray()
    json.endArray()
    json.key("error")
    json.string(reason)
    members(&json)
    json.endObject()
  }

  static func input(_ input: Report.Input, _ json: inout JSONWriter) {
    json.key("input")
    json.beginObject()
    json.key("path")
    json.string(input.path)
    json.key("model")
    json.string(input.model)
    json.strings("compatible", input.compatible)
    if let entry = input.entry {
      json.key("entry")
      json.beginObject()
      json.key("index")
      json.number(entry.index)
      json.key("id")
      json.number(entry.id)
      json.key("rev")
      json.number(entry.revision)
      json.numbers("custom", entry.custom)
      json.endObject()
    }
    if !input.overlays.isEmpty { json.strings("overlays", input.overlays) }
    if let fixups = input.overlayFixups {
      json.key("overlay_fixups")
      json.beginArray()
      for fixup in fixups {
        json.beginObject()
        json.key("label")
        json.string(fixup.label)
        json.key("path")
        json.string(fixup.path)
        json.key("property")
        json.string(fixup.property)
        json.key("offset")
        json.number(fixup.offset)
        json.endObject()
      }
      json.endArray()
    }
    json.endObject()
  }

  /// `"source": {file, line, column}` for a tree compiled from source
  /// (null where the position is unknown); nothing for a blob.
  static func source(
    _ position: SourcePosition?, in sources: SourceTable?, _ json: inout JSONWriter
  ) {
    guard sources != nil else { return }
    json.key("source")
    guard let position else { return json.null() }
    json.beginObject()
    json.key("file")
    json.string(position.file)
    json.key("line")
    json.number(position.line)
    json.key("column")
    json.number(position.column)
    json.endObject()
  }

  static func iommu(_ iommu: IOMMU, _ nodes: NodeTable, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("path")
    json.path(iommu.node, nodes)
    json.key("label")
    json.string(iommu.label)
    json.strings("compatible", iommu.compatible)
    json.key("available")
    json.bool(iommu.isAvailable)
    json.key("iommu_cells")
    json.number(iommu.iommuCells)
    json.key("binding")
    json.string(iommu.binding.rawValue)
    json.key("driver")
    if let driver = iommu.driver {
      json.beginObject()
      json.key("name")
      json.string(driver.name)
      json.key("kconfig")
      json.string(driver.kconfig)
      json.key("module")
      json.string(driver.module)
      json.key("tristate")
      json.bool(driver.isTristate)
      json.key("mode")
      json.string((iommu.mode ?? .unknown).rawValue)
      json.endObject()
    } else {
      json.null()
    }
    json.endObject()
  }

  static func link(
    _ link: Link, _ nodes: NodeTable, _ json: inout JSONWriter, sources: SourceTable? = nil
  ) {
    json.beginObject()
    json.key("consumer")
    json.path(link.consumer, nodes)
    json.key("supplier")
    json.path(link.supplier, nodes)
    json.key("property")
    json.string(link.property.rawValue)
    json.key("index")
    json.number(link.index)
    json.numbers("args", link.arguments)
    if let range = link.range {
      json.key("rid_base")
      json.number(range.base)
      json.key("length")
      json.number(range.length)
      json.key("mask")
      json.number(range.mask)
    }
    source(sources?.position(of: link), in: sources, &json)
    json.endObject()
  }

  /// The members of a diagnostic object (its caller opens and closes it, so
  /// that lint can add its own).
  static func diagnostic(
    _ diagnostic: Diagnostic, _ nodes: NodeTable, _ json: inout JSONWriter,
    sources: SourceTable? = nil
  ) {
    json.key("severity")
    json.string(diagnostic.severity.rawValue)
    json.key("code")
    json.string(diagnostic.code.rawValue)
    json.key("path")
    if let node = diagnostic.node { json.path(node, nodes) } else { json.null() }
    json.key("property")
    json.string(diagnostic.property)
    json.key("message")
    json.string(diagnostic.message)
    source(sources?.position(of: diagnostic), in: sources, &json)
  }

  static func plan(_ report: Report, _ json: inout JSONWriter) {
    let plan = report.plan
    let assumptions = plan.assumptions
    json.beginObject()
    json.key("assumptions")
    json.beginObject()
    json.key("kernel_version")
    json.string(assumptions.kernelVersion.description)
    json.key("modules")
    json.bool(assumptions.modules)
    json.key("deferred_probe_timeout_s")
    json.number(assumptions.deferredProbeTimeout)
    json.key("fw_devlink_strict")
    json.bool(assumptions.fwDevlinkStrict)
    json.key("legacy_dt_bindings")
    json.bool(assumptions.legacyBindings)
    json.key("drivers")
    json.beginArray()
    for driver in assumptions.drivers {
      json.beginObject()
      json.key("module")
      json.string(driver.module)
      json.key("mode")
      json.string(driver.mode.rawValue)
      json.key("source")
      json.string(driver.source.rawValue)
      json.endObject()
    }
    json.endArray()
    let wording = Wording(report: report)
    json.strings("notes", assumptions.notes.map(wording.note))
    json.endObject()
    json.key("consumers")
    json.beginArray()
    var reasons = Reasons(report)
    for consumer in plan.consumers { self.consumer(consumer, report, &reasons, &json) }
    json.endArray()
    json.key("load_order")
    loads(plan.loadOrder, report.nodes, &json)
    if let boot = plan.bootModules {
      json.key("boot_modules")
      loads(boot, report.nodes, &json)
    }
    json.key("shared_stream_ids")
    json.beginArray()
    for group in plan.sharedStreamIDs {
      json.beginObject()
      json.key("iommu")
      json.path(group.iommu, report.nodes)
      json.key("kind")
      json.string(group.kind.rawValue)
      json.key("devices")
      json.beginArray()
      for device in group.devices { json.path(device, report.nodes) }
      json.endArray()
      json.numbers("stream_ids", group.streamIDs)
      json.endObject()
    }
    json.endArray()
    json.key("rid_coverage")
    json.beginArray()
    for coverage in plan.coverage { self.coverage(coverage, report.nodes, &json) }
    json.endArray()
    json.endObject()
  }

  /// What each requester ID of one bus gets from its map, as ranges.
  static func coverage(_ coverage: RIDCoverage, _ nodes: NodeTable, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("bus")
    json.path(coverage.bus, nodes)
    json.key("mask")
    json.number(coverage.mask == 0xffff_ffff ? nil : coverage.mask)
    json.key("ranges")
    json.beginArray()
    for range in coverage.ranges {
      json.beginObject()
      json.key("first")
      json.number(range.first)
      json.key("last")
      json.number(range.last)
      var entry: Int?
      var iommu: NodeID?
      var error: RIDCoverage.LookupError?
      switch range.answer {
      case .translated(let index, let target, _, _): (entry, iommu) = (index, target)
      case .failed(let index, let failure): (entry, error) = (index, failure)
      case .hole: break
      }
      json.key("answer")
      json.string(iommu != nil ? "iommu" : error != nil ? "error" : "hole")
      json.key("entry")
      if let entry { json.number(entry) } else { json.null() }
      json.key("entry_last")
      if let entry { json.number(range.lastEntry ?? entry) } else { json.null() }
      json.key("iommu")
      if let iommu { json.path(iommu, nodes) } else { json.null() }
      json.key("stream_id_first")
      json.number(coverage.specifier(masked: range.first, in: range.answer)?.first)
      json.key("stream_id_last")
      json.number(coverage.specifier(masked: range.last, in: range.answer)?.first)
      json.key("error")
      json.string(error?.rawValue)
      json.endObject()
    }
    json.endArray()
    json.endObject()
  }

  private static func consumer(
    _ consumer: Plan.Consumer, _ report: Report, _ reasons: inout Reasons,
    _ json: inout JSONWriter
  ) {
    json.beginObject()
    json.key("device")
    json.path(consumer.node, report.nodes)
    json.key("property")
    json.string(consumer.property.rawValue)
    json.key("outcome")
    json.string(consumer.outcome.rawValue)
    json.key("reason")
    json.string(reasons.reason(consumer))
    json.key("waits_for")
    json.beginArray()
    for wait in consumer.waits {
      json.beginObject()
      json.key("iommu")
      json.path(wait.iommu, report.nodes)
      json.key("module")
      json.string(wait.module)
      json.endObject()
    }
    json.endArray()
    json.numbers("stream_ids", report.streamIDs(of: consumer))
    json.endObject()
  }

  private static func loads(
    _ loads: [Plan.ModuleLoad], _ nodes: NodeTable, _ json: inout JSONWriter
  ) {
    json.beginArray()
    for load in loads {
      json.beginObject()
      json.key("module")
      json.string(load.module)
      json.key("path")
      json.string(load.path)
      json.strings("provides", load.provides.map { nodes.path($0) })
      json.strings("needs", load.needs)
      json.endObject()
    }
    json.endArray()
  }
}
