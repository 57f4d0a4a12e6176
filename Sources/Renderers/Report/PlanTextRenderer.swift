import DeviceTree
import IOMMUPlan

/// The plan part of the text report: devices grouped by the modules they
/// defer for, then unprotected and other devices, then the load order.
enum PlanTextRenderer {
  static func render(_ report: Report, to output: inout TextOutput) {
    let plan = report.plan
    let a = plan.assumptions
    let timeout = a.deferredProbeTimeout < 0 ? "forever" : "\(a.deferredProbeTimeout) s"
    output.write(
      "plan: kernel \(a.kernelVersion), modules \(a.modules ? "on" : "off"), "
        + "deferred_probe_timeout \(timeout), fw_devlink.strict "
        + "\(a.fwDevlinkStrict ? "on" : "off")\n")
    if !a.drivers.isEmpty {
      let drivers = a.drivers.map {
        "\(printable($0.module)) \($0.mode.rawValue) (\($0.source.rawValue))"
      }
      output.write("  drivers: \(drivers.joined(separator: ", "))\n")
    }
    for note in a.notes { output.write("  assumed: \(printable(Wording.note(note)))\n") }
    var reasons = Reasons(report)
    deferred(report, &output)
    let sections: [(Plan.Outcome, String, Bool)] = [
      (.unprotected, "unprotected", true), (.unknown, "unknown IOMMU driver", true),
      (.noIOMMU, "no IOMMU", true), (.legacy, "legacy mmu-masters", true),
      (.translated, "translated from the first probe", false),
    ]
    for (outcome, title, withReasons) in sections {
      let count = plan.consumers.count { $0.outcome == outcome }
      guard count > 0 else { continue }
      output.write("  \(title) (\(count)):\n")
      for index in plan.consumers.indices where plan.consumers[index].outcome == outcome {
        let reason = withReasons ? reasons.reason(plan.consumers[index]) : nil
        row(plan.consumers[index], report, reason: reason, &output)
      }
    }
    output.write("  load order: ")
    output.write(
      plan.loadOrder.isEmpty
        ? "nothing to load\n"
        : printable(plan.loadOrder.map(\.module).joined(separator: " -> ")) + "\n")
    if let boot = plan.bootModules {
      output.write("  boot modules (initramfs): ")
      output.write(boot.isEmpty ? "none\n" : boot.map(\.module).joined(separator: " -> ") + "\n")
    }
  }

  /// Deferred devices, grouped by the modules they wait for, then the
  /// deadline they share.
  private static func deferred(_ report: Report, _ output: inout TextOutput) {
    let deferred = report.plan.consumers.filter { $0.outcome == .deferred }
    guard let first = deferred.first else { return }
    // Devices that wait for the same things share one waits array; its
    // modules are worked out once.
    // Devices that wait for the same things share one waits array: its
    // modules are named once, whichever consumers share it.
    var names: [UnsafeRawPointer?: String] = [:]
    var groups: [String: [Int]] = [:]
    for (index, consumer) in deferred.enumerated() {
      let storage = consumer.waits.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
      let name: String
      if let known = names[storage] {
        name = known
      } else {
        name = consumer.modules.joined(separator: ", ")
        names[storage] = name
      }
      groups[name, default: []].append(index)
    }
    for (modules, members) in groups.sorted(by: { $0.key < $1.key }) {
      let name = modules.isEmpty ? "their IOMMU" : modules
      output.write("  defers until \(name) load\(modules.contains(",") ? "" : "s") ")
      output.write("(\(members.count)):\n")
      for index in members { row(deferred[index], report, reason: nil, &output) }
    }
    let wording = Wording(report: report)
    output.write("    deadline: ")
    output.write(printable: wording.until(first.deadline, modules: first.modules.count))
    output.write("\n")
  }

  private static func row(
    _ consumer: Plan.Consumer, _ report: Report, reason: String?, _ output: inout TextOutput
  ) {
    output.write("    ")
    output.write(path: consumer.node, report.nodes)
    if consumer.property != .iommus { output.write(" (\(consumer.property.rawValue))") }
    if let reason {
      output.write(": ")
      output.write(printable: reason)
    }
    output.write("\n")
  }
}
