import DeviceTree

/// `iommu-plan explain FILE NODE`: one device's chain, step by step, with the
/// kernel rule that applies at each step and what would change the outcome.
public enum Explanation {
  public static func render(
    tree: DeviceTree, report: Report, build: KernelBuild, device name: String
  ) -> String? {
    guard let node = PlanBuilder.resolve(name, tree) else { return nil }
    let path = tree[node].path
    var resolver = ReadinessResolver(
      tree: tree, build: build, roots: report.iommus.map(\.node) + [node])
    let a = report.plan.assumptions
    var out =
      "\(printable(path)) on kernel \(a.kernelVersion) (modules \(a.modules ? "on" : "off"), "
    out += "deferred_probe_timeout \(a.deferredProbeTimeout) s)\n"
    let consumers = report.plan.consumers.filter { $0.device == path }
    guard !consumers.isEmpty else {
      let why =
        tree[node].property("iommus") != nil
        ? "its iommus is never read here (see the findings) or the node is disabled"
        : "it has no iommus, no iommu-map and is no mmu-masters master"
      return out + "  not a consumer: \(why); it probes without an IOMMU.\n"
    }
    var step = 0
    func line(_ text: String, _ rule: String) {
      step += 1
      out += "  \(step). \(printable(text))\n     rule: \(rule)\n"
    }
    for consumer in consumers {
      let links = report.links.filter {
        $0.consumerPath == path && $0.property == consumer.property
      }
      for link in links {
        let iommu = tree[link.supplier]
        line(
          "\(link.property.rawValue)[\(link.index)] -> \(iommu.path) \(TextRenderer.specifier(link))",
          rule(for: link.property))
        if !iommu.isAvailable {
          line(
            "\(iommu.path) is disabled (status \"\(iommu.status ?? "")\")",
            "of_iommu_xlate refuses an unavailable IOMMU; the walk ends with no IOMMU")
          break
        }
        let readiness = resolver.readiness(of: link.supplier)
        if let driver = readiness.driver {
          let (mode, source) = build.mode(of: driver)
          line(
            "driver \(driver.name): CONFIG_\(driver.kconfig) \(mode.rawValue) (\(source.rawValue))",
            mode == .module
              ? "a modular IOMMU registers only when its module loads; until then of_iommu "
                + "returns -EPROBE_DEFER (driver_deferred_probe_check_state)"
              : mode == .builtin
                ? "a built-in IOMMU registers before late_initcall"
                : "no driver ever registers: the device waits until the deferred-probe timeout")
        }
        for edge in resolver.supplierEdges[link.supplier] ?? [] {
          let modules = resolver.driverModules(of: edge.device)
          let modes = modules.map { "\($0): \(build.mode(ofModule: $0).0.rawValue)" }
          line(
            "\(iommu.path) needs \(tree[edge.device].path) through \(edge.property)"
              + (modes.isEmpty
                ? " (no module alias: assumed built in)" : " (\(modes.joined(separator: ", ")))"),
            "fw_devlink makes \(edge.property) a mandatory supplier link: the IOMMU cannot probe "
              + "before that device")
        }
      }
      line(
        "outcome: \(consumer.outcome.rawValue): \(consumer.reason)", outcomeRule(consumer.outcome))
      out += "  to change it: \(remedy(consumer))\n"
    }
    return out
  }

  private static func rule(for property: LinkProperty) -> String {
    switch property {
    case .iommus:
      "of_iommu_configure_dev walks iommus in order with the strict #iommu-cells parser and "
        + "stops at the first entry that fails or defers"
    case .iommuMap:
      "a PCI/fsl-mc device's ID is looked up in its bus node's iommu-map (of_map_id; first "
        + "matching entry wins)"
    case .mmuMasters:
      "legacy arm-smmu finds masters in mmu-masters when an SMMU registers; they never defer"
    }
  }

  private static func outcomeRule(_ outcome: Plan.Outcome) -> String {
    switch outcome {
    case .deferred:
      "the device stays on the deferred list until the IOMMU registers or the deferred-probe "
        + "timer fires (kernel-semantics.md 5.2)"
    case .translated: "the IOMMU is registered before the device's driver probes"
    case .unprotected:
      "of_dma_configure swallows every IOMMU error except -EPROBE_DEFER: the device probes "
        + "with plain DMA"
    case .noIOMMU: "the device tree gives the device no usable IOMMU"
    case .legacy: "legacy masters get an identity domain at best (kernel-semantics.md 4.1)"
    case .unknown: "iommu-plan cannot tell which driver would take this IOMMU"
    }
  }

  private static func remedy(_ consumer: Plan.Consumer) -> String {
    let modules = Array(Set(consumer.waitsFor.compactMap(\.module))).sorted()
    switch consumer.outcome {
    case .deferred:
      return "put \(modules.joined(separator: ", ")) in the initramfs so they load before the "
        + "deadline (see --boot-device), build them in (--builtin NAME to check), or raise "
        + "deferred_probe_timeout"
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
