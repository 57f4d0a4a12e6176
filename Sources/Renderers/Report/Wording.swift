// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// How the plan's facts read: the one place a cause, a deadline or an
/// assumption becomes words, shared by the text, JSON and explain outputs.
/// Paths are raw here; the text renderer escapes whole lines.
struct Wording {
  let report: Report

  private var assumptions: Plan.Assumptions { report.plan.assumptions }

  private func path(_ node: NodeID) -> String { report.nodes.path(node) }

  /// The consumer's one-line reason (the JSON contract's `reason`).
  func reason(_ consumer: Plan.Consumer) -> String {
    let modules = consumer.modules
    let names = modules.isEmpty ? "its IOMMU" : modules.joined(separator: ", ")
    switch consumer.cause {
    case .builtIn:
      return "its IOMMU driver and everything it needs are built in: translated from the first "
        + "probe"
    case .waitsForModules:
      let verb = modules.count == 1 ? "loads" : "load"
      let strict =
        assumptions.fwDevlinkStrict ? " (fw_devlink.strict: also held by a device link)" : ""
      return "defers until \(names) \(verb)\(strict); "
        + until(consumer.deadline, awaiting: Awaited(pronounFor: modules))
    case .timeoutZero:
      return "needs \(names), but deferred_probe_timeout is 0: the deadline is late_initcall "
        + "itself, so it probes without translation before any module loads"
    case .emptyFirstEntry:
      return "iommus entry 0 is empty (phandle 0): no IOMMU"
    case .unparsableFirstEntry:
      return "the kernel cannot parse iommus entry 0 (see the findings): no IOMMU"
    case .noUsableMapEntry:
      return "no usable iommu-map entry (see the findings): devices on it get no IOMMU"
    case .walkEnded(let end):
      return (consumer.waits.isEmpty ? "" : "waits for \(names), then ") + walkEnd(end)
    case .mapEntries(let groups):
      let sentences = groups.map { group in
        let which =
          group.entries.count == 1
          ? "entry \(group.entries[0])"
          : "entries \(group.entries.map(String.init).joined(separator: ", "))"
        return "\(which): \(walkEnd(group.end))"
      }
      return (consumer.waits.isEmpty ? "" : "waits for \(names); ")
        + sentences.joined(separator: "; ")
    case .streamIDTaken(let ids, let iommu, let earlier):
      return "stream ID\(ids.count == 1 ? "" : "s") \(ids.map(hex).joined(separator: ", ")) on "
        + "\(path(iommu)) \(ids.count == 1 ? "is" : "are") also used by \(path(earlier)); the "
        + "IOMMU refuses this second master, which runs without translation"
    case .legacy(let attachment):
      return legacy(attachment)
    }
  }

  /// How one entry ends a walk.
  func walkEnd(_ end: Plan.WalkEnd) -> String {
    switch end {
    case .disabled(let property, let entry, let iommu):
      return "\(property.rawValue)[\(entry)] reaches \(path(iommu)), which is disabled: it "
        + "probes without an IOMMU"
    case .secondDriver(let entry, let driver, let earlier):
      return "iommus[\(entry)] needs \(driver) while earlier entries use \(earlier): "
        + "iommu_fwspec_init refuses a second IOMMU driver (-EINVAL) and it probes without "
        + "translation"
    case .mixedSMMUs(let iommu):
      return "\(path(iommu)) is a generic arm-smmu in a system with legacy mmu-masters "
        + "instances: arm-smmu refuses whichever kind probes second, so it cannot count on "
        + "translation"
    case .unknownDriver(let iommu, let compatible):
      return "\(path(iommu)) (\(compatible ?? "no compatible")) matches no IOMMU driver "
        + "iommu-plan knows and no module alias"
    case .neverRegisters(let reason):
      let when: String
      switch assumptions.deadline {
      case .never:
        return "\(never(reason)); with deferred_probe_timeout=-1 it stays deferred and never "
          + "probes"
      case .afterLateInitcall: when = "right after late_initcall"
      case .atLateInitcall: when = "at late_initcall"
      case .seconds(let seconds): when = "once the deferred-probe timeout (\(seconds) s) fires"
      }
      return "\(never(reason)); it probes without translation \(when)"
    case .noXlate(let driver, let iommu):
      return "\(driver) has no of_xlate: once \(path(iommu)) registers, of_iommu gives no "
        + "IOMMU; it probes without translation as soon as that is registered"
    case .rejectsSpecifier(let driver, let cells):
      return "\(driver)'s of_xlate rejects a \(cells)-cell specifier: it probes without "
        + "translation"
    case .maskIgnoresRIDBase(let entry):
      return "iommu-map-mask clears bits of entry \(entry)'s rid-base, so of_map_id fails "
        + "(-EFAULT) for every ID that reaches it: no IOMMU"
    case .zeroLength:
      return "length 0 matches no ID (boot firmware may fill it in)"
    }
  }

  /// Why an IOMMU never registers.
  func never(_ reason: Plan.NeverReason) -> String {
    switch reason {
    case .driverAbsent(let driver, let iommu):
      "\(driver) is not in this build, so nothing registers \(path(iommu))"
    case .smmuV3Cells(let iommu):
      "arm-smmu-v3 refuses to probe \(path(iommu)) (\"missing/invalid #iommu-cells\")"
    case .supplierAbsent(let supplier, let property, let module):
      "its supplier \(path(supplier)) (\(property)) needs \(module), which is not in this build"
    case .lookupFails(let consumer, let lookup, let target):
      "\(lookup.driver) cannot probe \(path(consumer)): its \(lookup.property) names "
        + (target.map { "\(path($0)), for which no device is created" }
          ?? "a phandle that resolves to nothing")
        + " (\(lookup.function) fails)"
    case .notCreated(let iommu):
      "a node above \(path(iommu)) is disabled, so no device is created for it and nothing "
        + "registers it"
    case .waitsForItself(let iommu, let upstream):
      "\(path(iommu)) waits through its own iommus for \(path(upstream)), which waits for it"
    }
  }

  /// `deferred_probe_timeout` as the plan and explain headers print it.
  static func timeout(_ seconds: Int) -> String {
    seconds < 0 ? "forever" : "\(seconds) s"
  }

  /// What deferred devices wait for, as the subject of a sentence: "it
  /// loads" in one device's reason, "arm_smmu loads", "a, b load" or
  /// "their IOMMU registers" over a group.
  struct Awaited {
    let subject: String

    init(pronounFor modules: [String]) {
      subject = modules.count == 1 ? "it loads" : "they load"
    }

    init(modules: [String]) {
      subject =
        switch modules.count {
        case 0: "their IOMMU registers"
        case 1: "\(modules[0]) loads"
        default: "\(modules.joined(separator: ", ")) load"
        }
    }
  }

  /// What happens at the deadline to devices that wait for `awaited`: one
  /// device's reason when `devices` is nil ("it probes"), else a group of
  /// that many.
  func until(_ deadline: Plan.Deadline?, awaiting awaited: Awaited, devices: Int? = nil)
    -> String
  {
    let (probes, stays, waits) =
      switch devices {
      case nil: ("it probes", "stays", "it waits")
      case 1: ("the device probes", "stays", "it waits")
      case let count?: ("these \(count) devices probe", "stay", "they wait")
      }
    switch deadline {
    case .seconds(let seconds):
      return "unless \(awaited.subject) within \(seconds) s of late_initcall (each driver "
        + "registration re-arms the timer), \(probes) without translation and \(stays) that way"
    case .never:
      return "\(waits) indefinitely (deferred_probe_timeout=-1)"
    case .atLateInitcall, .afterLateInitcall, nil:
      return "unless \(awaited.subject) before late_initcall, \(probes) without translation"
    }
  }

  func legacy(_ attachment: Plan.LegacyAttachment) -> String {
    switch attachment {
    case .needsBuiltin(let mode, let assumed):
      "legacy mmu-masters needs arm-smmu built in with CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS; "
        + "with arm-smmu \(mode.rawValue)"
        + (assumed ? " (assumed; give --config or --builtin arm_smmu)" : "")
        + " it gets no SMMU at all"
    case .mixed:
      "attached with an identity domain only if its SMMU's kind probes first: generic arm-smmu "
        + "instances exist too, and arm-smmu refuses whichever kind probes second"
    case .bindingsDisabled:
      "CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS is not set: arm-smmu reports \"SMMU support "
        + "unavailable\" for mmu-masters and this master gets no SMMU"
    case .identity:
      "attached with an identity (bypass) domain when its SMMU registers; never deferred, "
        + "no DMA-API translation"
    }
  }

  func note(_ note: Plan.Note) -> String {
    switch note {
    case .defaultModes:
      "no --config or --modules-dir: tristate IOMMU drivers are assumed modules and bool ones "
        + "built in"
    case .suppliersUnmatched:
      "no --modules-dir: the IOMMUs' suppliers (clocks, power domains, ...) cannot be matched "
        + "to modules and are assumed built in"
    case .ambiguousDriver(let device, let modules):
      "modules.alias names \(modules.joined(separator: ", ")) for \(path(device)) and "
        + "iommu-plan's tables do not say which one binds it: the plan waits for each that is "
        + "in the build"
    }
  }
}
