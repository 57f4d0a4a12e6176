// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// The plan part of the text report: devices grouped by the modules they
/// defer for, then unprotected and other devices, then the load order.
enum PlanTextRenderer {
  static func render(_ report: Report, to output: inout TextOutput) {
    let plan = report.plan
    let a = plan.assumptions
    let timeout = Wording.timeout(a.deferredProbeTimeout)
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
    let wording = Wording(report: report)
    for note in a.notes { output.write("  assumed: \(printable(wording.note(note)))\n") }
    var reasons = Reasons(report)
    deferred(report, &output)
    // Deferred without a module to wait for: an IOMMU that never registers,
    // with no deadline to give up at.
    let forever = plan.consumers.indices.filter {
      plan.consumers[$0].outcome == .deferred && plan.consumers[$0].modules.isEmpty
    }
    if !forever.isEmpty {
      output.write("  deferred for good (\(forever.count)):\n")
      for index in forever {
        row(plan.consumers[index], report, reason: reasons.reason(plan.consumers[index]), &output)
      }
    }
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

  /// Deferred devices, grouped by the modules they wait for, each group
  /// with its deadline.
  private static func deferred(_ report: Report, _ output: inout TextOutput) {
    let deferred = report.plan.consumers.filter { $0.outcome == .deferred && !$0.modules.isEmpty }
    guard !deferred.isEmpty else { return }
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
    let wording = Wording(report: report)
    for (_, members) in groups.sorted(by: { $0.key < $1.key }) {
      let first = deferred[members[0]]
      let waitsFor = Wording.Awaited(modules: first.modules)
      output.write("  defers until ")
      output.write(printable: waitsFor.subject)
      output.write(" (\(members.count)):\n")
      for index in members { row(deferred[index], report, reason: nil, &output) }
      output.write("    deadline: ")
      output.write(
        printable: wording.until(first.deadline, awaiting: waitsFor, devices: members.count))
      output.write("\n")
    }
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
