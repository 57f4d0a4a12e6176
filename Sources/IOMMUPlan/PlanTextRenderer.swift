import DeviceTree

/// The plan part of the text report: devices grouped by the modules they
/// defer for, then unprotected and other devices, then the load order.
enum PlanTextRenderer {
  static func render(_ plan: Plan) -> String {
    let a = plan.assumptions
    let timeout = a.deferredProbeTimeout < 0 ? "forever" : "\(a.deferredProbeTimeout) s"
    var out = "plan: kernel \(a.kernelVersion), modules \(a.modules ? "on" : "off"), "
    out +=
      "deferred_probe_timeout \(timeout), fw_devlink.strict \(a.fwDevlinkStrict ? "on" : "off")\n"
    if !a.drivers.isEmpty {
      let drivers = a.drivers.map {
        "\(printable($0.module)) \($0.mode.rawValue) (\($0.source.rawValue))"
      }
      out += "  drivers: \(drivers.joined(separator: ", "))\n"
    }
    for note in a.notes { out += "  assumed: \(printable(note))\n" }
    let groups = Dictionary(grouping: plan.consumers.filter { $0.outcome == .deferred }) {
      Array(Set($0.waitsFor.compactMap(\.module))).sorted().joined(separator: ", ")
    }
    for (modules, consumers) in groups.sorted(by: { $0.key < $1.key }) {
      let name = modules.isEmpty ? "their IOMMU" : modules
      out += "  defers until \(name) load\(modules.contains(",") ? "" : "s") "
      out += "(\(consumers.count)):\n"
      out += rows(consumers, reasons: false)
    }
    if let deadline = plan.consumers.first(where: { $0.outcome == .deferred })?.reason
      .split(separator: ";", maxSplits: 1).last
    {
      out += "    deadline:\(printable(String(deadline)))\n"
    }
    let sections: [(Plan.Outcome, String, Bool)] = [
      (.unprotected, "unprotected", true), (.unknown, "unknown IOMMU driver", true),
      (.noIOMMU, "no IOMMU", true), (.legacy, "legacy mmu-masters", true),
      (.translated, "translated from the first probe", false),
    ]
    for (outcome, title, reasons) in sections {
      let consumers = plan.consumers.filter { $0.outcome == outcome }
      guard !consumers.isEmpty else { continue }
      out += "  \(title) (\(consumers.count)):\n" + rows(consumers, reasons: reasons)
    }
    out += "  load order: "
    out +=
      plan.loadOrder.isEmpty
      ? "nothing to load\n"
      : printable(plan.loadOrder.map(\.module).joined(separator: " -> ")) + "\n"
    if let boot = plan.bootModules {
      out += "  boot modules (initramfs): "
      out += boot.isEmpty ? "none\n" : boot.map(\.module).joined(separator: " -> ") + "\n"
    }
    return out
  }

  private static func rows(_ consumers: [Plan.Consumer], reasons: Bool) -> String {
    consumers.map { consumer in
      let property = consumer.property == .iommus ? "" : " (\(consumer.property.rawValue))"
      return "    \(printable(consumer.device))\(property)"
        + (reasons ? ": \(printable(consumer.reason))" : "") + "\n"
    }.joined()
  }
}
