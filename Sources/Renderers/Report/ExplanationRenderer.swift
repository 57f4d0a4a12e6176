// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `iommu-plan explain FILE NODE`: one device's chain, step by step, with
/// the kernel rule behind each step and what would change the outcome. Each
/// IOMMU appears once with its driver, mode and suppliers; a walk's entries
/// are summarised per IOMMU as ID ranges, up to where the kernel's walk ends.
public enum ExplanationRenderer {
  public static let identifier = "text"

  /// Ranges listed per IOMMU before the rest are counted: one screen.
  static let rangesShown = 8

  public static func render(_ explanation: Explanation, _ report: Report) -> String {
    var output = TextOutput()
    render(explanation, report, to: &output)
    return output.text
  }

  public static func render(
    _ explanation: Explanation, _ report: Report, to output: inout TextOutput
  ) {
    guard let node = explanation.node else { return }
    let a = report.plan.assumptions
    output.write(path: node, report.nodes)
    output.write(
      " on kernel \(a.kernelVersion) (modules \(a.modules ? "on" : "off"), "
        + "deferred_probe_timeout \(Wording.timeout(a.deferredProbeTimeout)))\n")
    guard explanation.role == .consumer else {
      output.write("  not a consumer: \(notConsumer(explanation, report)); it probes without an ")
      output.write("IOMMU.\n")
      return
    }
    let wording = Wording(report: report)
    var number = 0
    for walk in explanation.walks {
      for (step, rule) in walk.steps {
        number += 1
        output.write("  \(number). ")
        let indent = String(repeating: " ", count: 4 + String(number).count)
        for (index, line) in lines(step, report, wording).enumerated() {
          if index > 0 { output.write(indent) }
          output.write(printable: line)
          output.write("\n")
        }
        output.write(indent + "rule: \(self.rule(rule)) (kernel-rules.md \(section(rule)))\n")
      }
      if let consumer = report.plan.consumers(of: node).first(where: { $0.key == walk.key }) {
        output.write("  to change it: \(remedy(consumer))\n")
      }
    }
  }

  /// Why a node that is not a consumer gets no IOMMU.
  static func notConsumer(_ explanation: Explanation, _ report: Report) -> String {
    switch explanation.role {
    case .iommusUnderPCIHost(let host):
      "its iommus is never read: it is a PCI device below \(report.nodes.path(host)), which "
        + "configures it through the root complex's iommu-map"
    case .disabled:
      "it is disabled (or below a disabled node), so no device is created for it"
    case .notReferenced, .consumer:
      "it has no iommus, no iommu-map and is no mmu-masters master"
    }
  }

  /// What a step says, first line first.
  static func lines(_ step: Explanation.Step, _ report: Report, _ wording: Wording) -> [String] {
    switch step {
    case .entries(let key, let links, let end, let stop):
      return entries(key, report.links[links], end: end, stop: stop, report, wording)
    case .iommu(let iommu):
      return self.iommu(iommu, report, wording)
    case .suppliers(let iommu, let list):
      let suppliers = report.plan.state(of: iommu)?.suppliers(list) ?? []
      guard list != .created else { return suppliers.map { created($0, report) } }
      return suppliers.map { supplier in
        "\(report.nodes.path(iommu)) needs \(report.nodes.path(supplier.device)) through "
          + "\(supplier.property) (\(modules(supplier)))"
      }
    case .outcome(let key):
      guard let consumer = report.plan.consumers(of: key.node).first(where: { $0.key == key })
      else { return [] }
      return ["outcome: \(consumer.outcome.rawValue): \(wording.reason(consumer))"]
    }
  }

  /// A supplier's modules and their modes, or why there are none, or that
  /// they are a guess.
  private static func modules(_ supplier: Plan.Supplier) -> String {
    let modes = supplier.modules.map { "\($0.name): \($0.mode.rawValue)" }
    guard !modes.isEmpty else { return "no module alias: assumed built in" }
    guard supplier.driver.ambiguous else { return modes.joined(separator: ", ") }
    return "ambiguous: modules.alias names \(modes.joined(separator: ", ")) and iommu-plan "
      + "cannot tell which binds it, so it waits for each in the build"
  }

  /// A supplier that a child device of its driver serves: who binds it,
  /// what it creates, and who provides the property.
  private static func created(_ supplier: Plan.Supplier, _ report: Report) -> String {
    guard let child = supplier.driver.child else { return "" }
    func mode(_ module: String) -> String {
      let mode = supplier.modules.first { $0.name == module }?.mode ?? .unknown
      return "\(module) (\(mode.rawValue))"
    }
    let provider =
      child.modules.isEmpty
      ? "whose driver no platform: alias names (assumed built in)"
      : "whose driver \(child.modules.map(mode).joined(separator: ", "))"
    var line =
      "\(report.nodes.path(supplier.device)) (\(supplier.property) of "
      + "\(report.nodes.path(supplier.consumer))): \(mode(child.creator)) binds it and creates "
      + "platform device \(child.name), \(provider) provides the \(supplier.property)"
    if !supplier.driver.unbound.isEmpty {
      let unbound = supplier.driver.unbound
      line +=
        "; \(unbound.joined(separator: ", ")) \(unbound.count == 1 ? "shares" : "share") its "
        + "alias but never \(unbound.count == 1 ? "binds" : "bind") it"
    }
    return line
  }

  /// The walk's entries, summarised per IOMMU as ID ranges.
  private static func entries(
    _ key: ConsumerKey, _ links: ArraySlice<Link>, end: Int?, stop: ParseStop?,
    _ report: Report, _ wording: Wording
  ) -> [String] {
    let property = key.property.rawValue
    let read = links.filter { end == nil || $0.index <= end ?? 0 }
    var lines = ["\(property): \(counted(read.count, "entry")) read"]
    if let mask = links.first?.range?.mask { lines[0] += ", iommu-map-mask \(hex(mask))" }
    var order: [NodeID] = []
    var bySupplier: [NodeID: [Link]] = [:]
    for link in read {
      if bySupplier[link.supplier] == nil { order.append(link.supplier) }
      bySupplier[link.supplier, default: []].append(link)
    }
    for supplier in order {
      let ranges = Ranges.of(bySupplier[supplier] ?? [])
      let shown = ranges.prefix(rangesShown).map { $0.describe() }
      var line = "-> \(report.nodes.path(supplier)): " + shown.joined(separator: "; ")
      if ranges.count > shown.count {
        line += "; and \(counted(ranges.count - shown.count, "more range"))"
      }
      lines.append(line)
    }
    if let end, let last = links.last, last.index > end {
      lines.append(
        "the walk ends at \(property)[\(end)]; \(counted(links.count - read.count, "entry")) "
          + "after it \(links.count - read.count == 1 ? "is" : "are") never read")
    }
    if let stop { lines.append(Self.stop(stop)) }
    return lines
  }

  static func stop(_ stop: ParseStop) -> String {
    let property = stop.property.rawValue
    switch stop.reason {
    case .emptyEntry:
      return "\(property)[\(stop.entry)] is empty (phandle 0): the kernel's walk stops there"
    case .malformed(let code):
      let effect =
        stop.property == .iommus
        ? "the kernel's walk stops there and reads nothing after it"
        : "lookups that reach it fail"
      return "\(property)[\(stop.entry)] cannot be read (\(code.rawValue), see the findings): "
        + effect
    case .wholeMap(let code):
      return "the kernel rejects the whole \(property) (\(code.rawValue), see the findings): no "
        + "ID translates"
    }
  }

  private static func iommu(_ iommu: NodeID, _ report: Report, _ wording: Wording) -> [String] {
    let path = report.nodes.path(iommu)
    let label = report.iommus.first { $0.node == iommu }?.label.map { " (\($0))" } ?? ""
    guard let entry = report.iommus.first(where: { $0.node == iommu }), entry.isAvailable else {
      let status = report.iommus.first { $0.node == iommu }?.status ?? ""
      return ["\(path)\(label) is disabled (status \"\(shortened(status))\")"]
    }
    guard let state = report.plan.state(of: iommu) else {
      // Only legacy masters name it: the inventory knows its driver.
      guard let driver = entry.driver, let mode = entry.mode, let source = entry.modeSource else {
        return ["\(path)\(label): no known driver"]
      }
      return [
        "\(path)\(label): driver \(driver.name), CONFIG_\(driver.kconfig) \(mode.rawValue) "
          + "(\(source.rawValue))"
      ]
    }
    var line = "\(path)\(label): "
    if let driver = state.driver {
      line += "driver \(driver.name), CONFIG_\(driver.kconfig)"
    } else if let name = state.driverName {
      line += "driver module \(name)"
    } else {
      line += "no known driver"
    }
    if let mode = state.mode, let source = state.source {
      line += " \(mode.rawValue) (\(source.rawValue))"
    }
    switch state.readiness {
    case .never(let reason): line += "; \(wording.never(reason))"
    case .noXlate: line += "; it has no of_xlate"
    case .unknown, .ready, .afterModules: break
    }
    return [line]
  }

  /// Where docs/kernel-rules.md sets out the rule.
  static func section(_ rule: Explanation.Rule) -> String {
    switch rule {
    case .iommusWalk: "§2.3"
    case .mapLookup: "§3.2, §3.3"
    case .legacyMasters: "§4.4, §4.5"
    case .disabledIOMMU: "§1.4, §2.4"
    case .builtinDriver: "§6.5"
    case .modularDriver: "§6.2"
    case .neverRegisters: "§6.4, §6.5"
    case .noXlate: "§2.4, §5.2"
    case .unknownDriver: "§5.3"
    case .supplierLinks: "§7.4, §7.6"
    case .driverSuppliers: "§7.7"
    case .createdDevice: "§7.8"
    case .deferredProbe: "§6.2, §6.3"
    case .translated: "§6.1, §6.5"
    case .withoutTranslation: "§2.1, §2.6"
    case .noIOMMU: "§2.3, §3.5"
    case .legacyDomain: "§4.5"
    }
  }

  static func rule(_ rule: Explanation.Rule) -> String {
    switch rule {
    case .iommusWalk:
      "of_iommu_configure_dev walks iommus in order with the strict #iommu-cells parser; an "
        + "entry that defers pauses the walk, and the first that fails ends it"
    case .mapLookup:
      "a PCI/fsl-mc device's ID is masked with iommu-map-mask and looked up in its bus node's "
        + "iommu-map (of_map_id); the first matching entry wins"
    case .legacyMasters:
      "legacy arm-smmu finds masters in mmu-masters when an SMMU registers; they never defer"
    case .disabledIOMMU:
      "of_iommu_xlate refuses an unavailable IOMMU; the walk ends with no IOMMU"
    case .builtinDriver: "a built-in IOMMU registers before late_initcall"
    case .modularDriver:
      "a modular IOMMU registers only when its module loads; until then of_iommu returns "
        + "-EPROBE_DEFER (driver_deferred_probe_check_state)"
    case .neverRegisters:
      "no driver ever registers it: the device waits until the deferred-probe deadline, then "
        + "probes without it (with deferred_probe_timeout=-1 it waits for good)"
    case .noXlate: "without of_xlate, of_iommu gives no IOMMU once the driver has registered"
    case .unknownDriver: "iommu-plan cannot tell which driver would take this IOMMU"
    case .supplierLinks:
      "fw_devlink makes each of these a mandatory supplier link: the IOMMU cannot probe before "
        + "those devices"
    case .driverSuppliers:
      "the IOMMU driver's probe looks each of these devices up itself and returns "
        + "-EPROBE_DEFER until it is bound; fw_devlink does not parse the property (their own "
        + "suppliers, such as a larb's clocks and SMI common, are followed as well)"
    case .createdDevice:
      "the supplier's driver creates a platform device with no node of its own, whose driver "
        + "(found by its platform: alias) provides the property on the supplier's node: both "
        + "modules must load"
    case .deferredProbe:
      "the device stays on the deferred list until the IOMMU registers or the deferred-probe "
        + "timer fires (driver_deferred_probe_check_state)"
    case .translated: "the IOMMU is registered before the device's driver probes"
    case .withoutTranslation:
      "of_dma_configure swallows every IOMMU error except -EPROBE_DEFER: the device probes "
        + "with plain DMA"
    case .noIOMMU: "the device tree gives the device no usable IOMMU"
    case .legacyDomain: "legacy masters get an identity domain at best"
    }
  }

  static func remedy(_ consumer: Plan.Consumer) -> String {
    let modules = consumer.modules
    switch consumer.outcome {
    case .deferred where modules.isEmpty:
      return "enable the IOMMU's driver (and its suppliers' drivers): nothing it waits for is "
        + "in this build"
    case .deferred:
      let pronoun = modules.count == 1 ? "it loads" : "they load"
      return "put \(modules.joined(separator: ", ")) in the initramfs so \(pronoun) before the "
        + "deadline (see --boot-device), build \(modules.count == 1 ? "it" : "them") in "
        + "(--builtin NAME to check), or raise deferred_probe_timeout"
    case .translated:
      return "nothing needed; making its IOMMU driver a module (--module NAME) would make it defer"
    case .unprotected:
      return "enable the IOMMU's driver (and its suppliers' drivers), or fix the specifier"
    case .noIOMMU:
      return "enable the IOMMU node (status = \"okay\") or fix the property (see the findings)"
    case .legacy:
      return "move to the generic binding (iommus = <&smmu SID>) so it works with a modular "
        + "arm-smmu"
    case .unknown:
      return
        "check the IOMMU's compatible; a module alias (--modules-dir) would identify its driver"
    }
  }
}

/// Runs of `iommu-map` entries that step alike: the same window length and
/// mask, and IDs and outputs that each advance by a constant step. A map of
/// one RID per entry (3,000 entries, or a root complex's 16 buses) is one
/// range.
struct Ranges {
  let first: Link
  var last: Link
  var count = 1
  /// The ID and output steps between entries; nil for one entry.
  var steps: (id: UInt64, output: UInt64)?

  static func of(_ links: [Link]) -> [Ranges] {
    var result: [Ranges] = []
    for link in links {
      if var current = result.last, let steps = current.steps(to: link),
        current.steps.map({ $0 == steps }) ?? true
      {
        current.last = link
        current.count += 1
        current.steps = steps
        result[result.count - 1] = current
      } else {
        result.append(Ranges(first: link, last: link))
      }
    }
    return result
  }

  /// The steps from the last entry to `link`, when `link` is the next entry,
  /// to the same IOMMU, of the same shape with higher IDs and outputs.
  private func steps(to link: Link) -> (id: UInt64, output: UInt64)? {
    guard link.index == last.index + 1, link.property == .iommuMap,
      link.supplier == last.supplier,
      let previous = last.range, let next = link.range, previous.mask == next.mask,
      previous.length == next.length, next.length > 0, last.arguments.count == 1,
      link.arguments.count == 1, next.base > previous.base,
      link.arguments[0] > last.arguments[0]
    else { return nil }
    return (UInt64(next.base - previous.base), UInt64(link.arguments[0] - last.arguments[0]))
  }

  func describe() -> String {
    let entries = count == 1 ? "entry \(first.index)" : "entries \(first.index)-\(last.index)"
    guard count > 1, let start = first.range, let end = last.range, let steps else {
      if first.property == .iommuMap {
        return "\(TextRenderer.specifier(first)) (\(entries))"
      }
      return "\(first.property.rawValue)[\(first.index)] \(TextRenderer.specifier(first))"
    }
    let length = UInt64(end.length)
    let mask = end.mask.map { " (mask \(hex($0)))" } ?? ""
    if steps.id == length && steps.output == length {
      // One contiguous window.
      let lastID = UInt64(end.base) + length - 1
      let lastOut = (UInt64(last.arguments[0]) + length - 1) & 0xffff_ffff
      return "RIDs \(hex(start.base))-0x\(String(lastID, radix: 16))\(mask) -> "
        + "\(hexList(first.arguments))-0x\(String(lastOut, radix: 16)) (\(entries))"
    }
    let each = length == 1 ? "" : " (0x\(String(length, radix: 16)) each)"
    return "RIDs \(hex(start.base))-\(hex(end.base)) every 0x\(String(steps.id, radix: 16))"
      + "\(each)\(mask) -> \(hexList(first.arguments))-\(hexList(last.arguments)) every "
      + "0x\(String(steps.output, radix: 16)) (\(entries))"
  }
}
