// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `explain --format json`: the same facts as the text, one object.
///
///     { "schema_version": 1, "device": "/soc@0/gpu@5000000", "kernel_version": "6.1",
///       "role": "consumer" | "iommus_under_pci_host" | "disabled" | "not_referenced",
///       "reason": null | "...",                 // why a non-consumer gets no IOMMU
///       "consumers": [ { "property": "iommus", "outcome": "deferred", "reason": "...",
///         "steps": [ { "kind": "entries" | "iommu" | "suppliers" | "outcome",
///                      "rule": "iommus_walk", ... } ] } ] }
///
/// An `entries` step lists `ranges` per IOMMU (`iommu`, `first_entry`,
/// `last_entry`, `entries`, and the links' `specifier` text), `end` (the
/// entry where the walk ends, or null) and `stop`; an `iommu` step has
/// `iommu`, `available`, `driver`, `mode`, `source`; a `suppliers` step has
/// `suppliers` (`property`, `device`, `modules` with `name` and `mode`,
/// `needed_by`, `ambiguous`, `unbound`, `created_device`), and its rule says
/// which list it is.
public enum ExplanationJSONRenderer {
  public static let identifier = "json"

  public static func render(
    _ explanation: Explanation, _ report: Report, to output: inout TextOutput
  ) {
    guard let node = explanation.node else { return }
    let wording = Wording(report: report)
    JSONWriter.write(to: &output) { json in
      json.beginObject()
      json.key("schema_version")
      json.number(JSONRenderer.schemaVersion)
      json.key("device")
      json.string(report.nodes.path(node))
      json.key("kernel_version")
      json.string(report.kernel.description)
      json.key("role")
      json.string(role(explanation.role))
      json.key("reason")
      json.string(
        explanation.role == .consumer
          ? nil : ExplanationRenderer.notConsumer(explanation, report))
      json.key("consumers")
      json.beginArray()
      for walk in explanation.walks {
        guard let consumer = report.plan.consumers(of: node).first(where: { $0.key == walk.key })
        else { continue }
        json.beginObject()
        json.key("property")
        json.string(walk.key.property.rawValue)
        json.key("outcome")
        json.string(consumer.outcome.rawValue)
        json.key("reason")
        json.string(wording.reason(consumer))
        json.key("remedy")
        json.string(ExplanationRenderer.remedy(consumer))
        json.key("steps")
        json.beginArray()
        for (step, rule) in walk.steps { self.step(step, rule, report, &json) }
        json.endArray()
        json.endObject()
      }
      json.endArray()
      json.endObject()
    }
    output.write("\n")
  }

  private static func role(_ role: Explanation.Role) -> String {
    switch role {
    case .consumer: "consumer"
    case .iommusUnderPCIHost: "iommus_under_pci_host"
    case .disabled: "disabled"
    case .notReferenced: "not_referenced"
    }
  }

  private static func step(
    _ step: Explanation.Step, _ rule: Explanation.Rule, _ report: Report,
    _ json: inout JSONWriter
  ) {
    json.beginObject()
    json.key("kind")
    switch step {
    case .entries(_, let links, let end, let stop):
      json.string("entries")
      json.key("rule")
      json.string(rule.rawValue)
      let read = report.links[links].filter { end == nil || $0.index <= end ?? 0 }
      json.key("ranges")
      json.beginArray()
      for range in Ranges.of(Array(read)) {
        json.beginObject()
        json.key("iommu")
        json.string(report.nodes.path(range.first.supplier))
        json.key("first_entry")
        json.number(range.first.index)
        json.key("last_entry")
        json.number(range.last.index)
        json.key("entries")
        json.number(range.count)
        json.key("specifier")
        json.string(range.describe())
        json.endObject()
      }
      json.endArray()
      json.key("end")
      json.number(end.map { UInt32(clamping: $0) })
      json.key("stop")
      json.string(stop.map(ExplanationRenderer.stop))
    case .iommu(let iommu):
      json.string("iommu")
      json.key("rule")
      json.string(rule.rawValue)
      json.key("iommu")
      json.string(report.nodes.path(iommu))
      let state = report.plan.state(of: iommu)
      let entry = report.iommus.first { $0.node == iommu }
      json.key("available")
      json.bool(entry?.isAvailable ?? false)
      json.key("driver")
      json.string(state.map { $0.driver?.name ?? $0.driverName } ?? entry?.driver?.name)
      json.key("mode")
      json.string((state.map(\.mode) ?? entry?.mode)?.rawValue)
      json.key("source")
      json.string((state.map(\.source) ?? entry?.modeSource)?.rawValue)
    case .suppliers(let iommu, let list):
      json.string("suppliers")
      json.key("rule")
      json.string(rule.rawValue)
      json.key("iommu")
      json.string(report.nodes.path(iommu))
      json.key("suppliers")
      json.beginArray()
      for supplier in report.plan.state(of: iommu)?.suppliers(list) ?? [] {
        self.supplier(supplier, report, &json)
      }
      json.endArray()
    case .outcome:
      json.string("outcome")
      json.key("rule")
      json.string(rule.rawValue)
    }
    json.endObject()
  }

  private static func supplier(
    _ supplier: Plan.Supplier, _ report: Report, _ json: inout JSONWriter
  ) {
    json.beginObject()
    json.key("property")
    json.string(supplier.property)
    json.key("device")
    json.string(report.nodes.path(supplier.device))
    json.key("modules")
    json.beginArray()
    for module in supplier.modules {
      json.beginObject()
      json.key("name")
      json.string(module.name)
      json.key("mode")
      json.string(module.mode.rawValue)
      json.endObject()
    }
    json.endArray()
    json.key("needed_by")
    json.string(report.nodes.path(supplier.consumer))
    json.key("ambiguous")
    json.bool(supplier.driver.ambiguous)
    json.strings("unbound", supplier.driver.unbound)
    json.key("created_device")
    if let child = supplier.driver.child {
      json.beginObject()
      json.key("name")
      json.string(child.name)
      json.key("created_by")
      json.string(child.creator)
      json.strings("modules", child.modules)
      json.endObject()
    } else {
      json.null()
    }
    json.endObject()
  }
}
