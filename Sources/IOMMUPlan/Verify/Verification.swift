// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The plan for the tree a kernel booted with, set against what that
/// kernel did: one verdict per device the plan or the kernel connects to an
/// IOMMU.
///
/// A device is matched to its node through its `of_node` link; a PCI
/// function through its host bridge's node and its requester ID. What the
/// kernel did is read from the device's links: `iommu_group` (translated),
/// `driver` (bound), and `devices_deferred` (still waiting).
public struct Verification: Sendable {
  public enum Kind: String, Sendable {
    case asPredicted = "as_predicted"
    case stillDeferred = "still_deferred"
    case mismatch
  }

  /// What the plan says the device gets.
  public enum Prediction: String, Sendable {
    /// An IOMMU group from its first probe.
    case translated
    /// An IOMMU group once modules load; bound without one if they load
    /// after the deferred-probe deadline, or never.
    case deferred
    /// Bound without an IOMMU group.
    case noIOMMU = "no_iommu"
    /// The IOMMU matches no known driver: nothing to predict.
    case unknown
  }

  public struct Verdict: Sendable {
    public let device: Capture.Device
    /// The node it is matched to (its own, or for a PCI function its bus).
    public let node: NodeID?
    public let prediction: Prediction
    /// Modules the prediction waits for.
    public let modules: [String]
    public let kind: Kind
    /// One line: what was predicted and seen, and for a mismatch its most
    /// likely cause.
    public let detail: String
  }

  public let verdicts: [Verdict]
  /// Devices with no IOMMU in the plan and none in the kernel: counted, not
  /// listed.
  public let quietDevices: Int
  /// What the capture lacked, so what could not be checked.
  public let unchecked: [String]

  public var exitCode: Int32 { verdicts.contains { $0.kind == .mismatch } ? 1 : 0 }

  public init(report: Report, capture: Capture) {
    var verdicts: [Verdict] = []
    var quiet = 0
    let judge = Judge(report: report, capture: capture)
    for device in capture.devices {
      if let verdict = judge.verdict(device) {
        verdicts.append(verdict)
      } else {
        quiet += 1
      }
    }
    self.verdicts = verdicts
    quietDevices = quiet
    var unchecked = capture.missing
    if capture.deferred == nil {
      unchecked.append(
        "sys/kernel/debug/devices_deferred: a device not bound cannot be told "
          + "deferred from driverless")
    }
    self.unchecked = unchecked
  }

  private struct Judge {
    let report: Report
    let capture: Capture
    /// Consumers through `iommus`, by node path.
    let consumers: [String: Plan.Consumer]
    let buses: [String: NodeID]
    /// PCI functions found that the map sends to one stream ID of an IOMMU
    /// that refuses a second device on it: whichever probes first keeps it.
    let sharers: [ClaimKey: [Capture.Device]]

    struct ClaimKey: Hashable {
      let iommu: NodeID
      let streamID: UInt32
    }

    init(report: Report, capture: Capture) {
      self.report = report
      self.capture = capture
      var consumers: [String: Plan.Consumer] = [:]
      for consumer in report.plan.consumers where consumer.property == .iommus {
        consumers[report.nodes.path(consumer.node)] = consumer
      }
      self.consumers = consumers
      buses = Dictionary(
        report.plan.coverage.map { (report.nodes.path($0.bus), $0.bus) },
        uniquingKeysWith: { first, _ in first })
      var sharers: [ClaimKey: [Capture.Device]] = [:]
      for device in capture.devices where device.bus == .pci {
        guard let rid = device.rid, let host = device.host, let bus = buses[host],
          let answer = RIDAnswer(report, bus: bus, rid: rid), answer.sharing?.exclusive == true,
          let iommu = answer.iommu, let streamID = answer.specifier?.first
        else { continue }
        sharers[ClaimKey(iommu: iommu, streamID: streamID), default: []].append(device)
      }
      self.sharers = sharers.filter { $0.value.count > 1 }
    }

    func verdict(_ device: Capture.Device) -> Verdict? {
      switch device.bus {
      case .pci: return pciVerdict(device)
      case .platform: return platformVerdict(device)
      }
    }

    private func platformVerdict(_ device: Capture.Device) -> Verdict? {
      guard let path = device.ofNode, let consumer = consumers[path] else {
        guard let group = device.group else { return nil }
        let node = device.ofNode.map { "\($0) has no iommus" } ?? "no device-tree node"
        return Verdict(
          device: device, node: nil, prediction: .noIOMMU, modules: [], kind: .mismatch,
          detail: "predicted no IOMMU (\(node)), but it is in IOMMU group \(group): an IOMMU the "
            + "booted tree gives it some other way (ACPI IORT, or a node added at runtime)")
      }
      let waits = consumer.waits.compactMap(\.module)
      switch consumer.outcome {
      case .translated: return judge(device, consumer.node, .translated, [], why: nil)
      case .deferred: return judge(device, consumer.node, .deferred, waits, why: nil)
      case .unprotected, .noIOMMU, .legacy:
        return judge(device, consumer.node, .noIOMMU, [], why: consumer.outcome.rawValue)
      case .unknown: return judge(device, consumer.node, .unknown, [], why: nil)
      }
    }

    private func pciVerdict(_ device: Capture.Device) -> Verdict? {
      guard let rid = device.rid, let host = device.host, let bus = buses[host],
        let answer = RIDAnswer(report, bus: bus, rid: rid)
      else {
        guard let group = device.group else { return nil }
        return Verdict(
          device: device, node: nil, prediction: .noIOMMU, modules: [], kind: .mismatch,
          detail: "predicted no IOMMU (its host bridge \(device.host ?? "(not found)") has no "
            + "iommu-map), but it is in IOMMU group \(group)")
      }
      let bdf = "requester ID \(hex(rid))"
      if let iommu = answer.iommu, let streamID = answer.specifier?.first,
        let members = sharers[ClaimKey(iommu: iommu, streamID: streamID)]
      {
        if let verdict = shared(device, bus, streamID: streamID, members: members) {
          return verdict
        }
      }
      switch answer.outcome {
      case .translated: return judge(device, bus, .translated, [], why: nil)
      case .deferred: return judge(device, bus, .deferred, answer.modules, why: nil)
      case .unprotected, .noIOMMU, .error:
        let reason: String
        switch answer.answer {
        case .hole: reason = "\(bdf) is in a hole of the iommu-map"
        case .failed(_, let error): reason = "the iommu-map lookup of \(bdf) fails (\(error.errno))"
        case .translated:
          reason = answer.outcome == .noIOMMU ? "its IOMMU is disabled" : "no driver"
        }
        return judge(device, bus, .noIOMMU, [], why: reason)
      case .unknown: return judge(device, bus, .unknown, [], why: nil)
      }
    }

    /// A function among several on one stream ID that the IOMMU gives to
    /// one device only: the probe order, not the tree, says which, so the
    /// prediction is that at most one of them has an IOMMU group. Nil when
    /// none of them has one (the usual prediction then applies).
    private func shared(
      _ device: Capture.Device, _ bus: NodeID, streamID: UInt32, members: [Capture.Device]
    ) -> Verdict? {
      let holders = members.filter { $0.group != nil }
      guard !holders.isEmpty else { return nil }
      let names = members.map(\.name).joined(separator: ", ")
      func verdict(_ kind: Kind, _ prediction: Prediction, _ detail: String) -> Verdict {
        Verdict(
          device: device, node: bus, prediction: prediction, modules: [], kind: kind,
          detail: detail)
      }
      if holders.count > 1 {
        return verdict(
          .mismatch, .translated,
          "\(names) share stream ID \(hex(streamID)) on an IOMMU that gives it to one device, "
            + "yet \(holders.map(\.name).joined(separator: " and ")) both have IOMMU groups: the "
            + "map the kernel used differs from this tree's (an overlay or firmware fix-up?)")
      }
      if let group = device.group {
        return verdict(
          .asPredicted, .translated,
          "translated, in IOMMU group \(group)\(groupType(group)): it probed first of \(names), "
            + "which share stream ID \(hex(streamID)); the IOMMU refuses the others")
      }
      return verdict(
        .asPredicted, .noIOMMU,
        "no IOMMU: stream ID \(hex(streamID)) went to \(holders[0].name), the first to probe of "
          + "\(names); the IOMMU refuses a second device on it")
    }

    private func judge(
      _ device: Capture.Device, _ node: NodeID, _ prediction: Prediction, _ modules: [String],
      why: String?
    ) -> Verdict {
      func verdict(_ kind: Kind, _ detail: String) -> Verdict {
        Verdict(
          device: device, node: node, prediction: prediction, modules: modules, kind: kind,
          detail: detail)
      }
      let group = device.group.map { "IOMMU group \($0)\(groupType($0))" }
      let pending = capture.deferred?[device.name]
      // The kernel sets a device's IOMMU up when a driver probes it
      // (really_probe -> dma_configure): one no driver took has no group,
      // whatever the plan.
      if device.driver == nil, device.group == nil, pending == nil,
        prediction == .translated || prediction == .deferred
      {
        let would = prediction == .translated ? "translated" : "deferred"
        return verdict(
          .asPredicted,
          "no driver has probed it, so its IOMMU is not set up yet (it would be \(would))")
      }
      switch prediction {
      case .translated:
        if let group { return verdict(.asPredicted, "translated, in \(group)") }
        if device.driver == nil, let pending {
          return verdict(
            .stillDeferred, "still deferred: \(pending.isEmpty ? "no reason" : pending)")
        }
        return verdict(
          .mismatch,
          "predicted translated from its first probe, but it is \(state(device)) without an "
            + "IOMMU group: \(cause(device, node))")
      case .deferred:
        let loaded = modules.filter { capture.isLoaded($0) ?? false }
        let waiting = modules.isEmpty ? "its IOMMU" : modules.joined(separator: ", ")
        if let group {
          return verdict(.asPredicted, "deferred until \(waiting), then translated, in \(group)")
        }
        if device.driver == nil {
          if let pending {
            return verdict(
              .stillDeferred,
              "still deferred, waiting for \(waiting)\(pending.isEmpty ? "" : ": \(pending)")")
          }
          return verdict(.asPredicted, "deferred until \(waiting); not bound to a driver yet")
        }
        let late =
          loaded.count == modules.count && !modules.isEmpty
          ? "\(waiting) loaded after the deferred-probe timeout"
          : "\(waiting) never loaded before the deferred-probe timeout"
        return verdict(
          .asPredicted, "unprotected, as predicted when \(late): bound without an IOMMU group")
      case .noIOMMU:
        let reason = why.map { " (\($0))" } ?? ""
        if let group {
          return verdict(
            .mismatch, "predicted no IOMMU\(reason), but it is in \(group): \(cause(device, node))")
        }
        return verdict(.asPredicted, "no IOMMU\(reason)")
      case .unknown:
        return verdict(
          .asPredicted,
          "its IOMMU matches no driver iommu-plan knows; it is \(group ?? "without an IOMMU group")"
        )
      }
    }

    private func groupType(_ group: Int) -> String {
      guard let type = capture.groupTypes[group], !type.isEmpty else { return "" }
      return " (\(type))"
    }

    private func state(_ device: Capture.Device) -> String {
      device.driver.map { "bound to \($0)" } ?? "not bound"
    }

    /// The likeliest reason the kernel did otherwise than planned: an
    /// IOMMU driver planned as built in that the capture shows loaded as a
    /// module, else an IOMMU that did not probe.
    private func cause(_ device: Capture.Device, _ node: NodeID) -> String {
      let reached = Set(
        report.links.filter { $0.consumer == node }.map(\.supplier))
      for iommu in report.iommus where reached.contains(iommu.node) {
        guard let module = iommu.driver?.module, iommu.mode == .builtin,
          capture.isLoaded(module) == true
        else { continue }
        return "\(module) is a module here (it is in proc/modules), not built in as planned: it "
          + "registered after the device probed (past the deferred-probe timeout, or with none "
          + "to wait for), so the device runs without translation"
      }
      return "its IOMMU did not register in time (check that the IOMMU's driver is bound and "
        + "that nothing it needs is missing)"
    }
  }
}
