import DeviceTree

/// The human report: per IOMMU, the devices behind it with their stream IDs,
/// then the findings in `FILE: severity [code] /path:property: message` form.
/// Every name and string from the blob goes through `printable`, so one
/// finding is always one line.
public enum TextRenderer {
  public static let identifier = "text"

  public static func render(_ report: Report) -> String {
    var out = header(report)
    // Grouped once: a filter per IOMMU is quadratic on a hostile tree.
    let links = Dictionary(grouping: report.links, by: \.supplier)
    for iommu in report.iommus {
      out += "\n" + section(iommu, links: links[iommu.node] ?? [])
    }
    out += "\n" + findings(report)
    out += "\n" + PlanTextRenderer.render(report.plan)
    return out
  }

  private static func header(_ report: Report) -> String {
    let layout =
      report.kernel.sizesMapEntriesByTargetCells
      ? "iommu-map entries sized by #iommu-cells" : "iommu-map read as fixed 4-cell entries"
    let linkCount = report.links.count
    return """
      \(printable(report.input.path)): \(printable(report.input.model ?? "(no model)"))
        compatible: \(printable(report.input.compatible.joined(separator: ", ")))
        kernel:     \(report.kernel) rules (\(layout))
        summary:    \(counted(report.iommus.count, "IOMMU")), \(counted(linkCount, "link"))

      """
  }

  private static func section(_ iommu: IOMMU, links: [Link]) -> String {
    var out = "IOMMU \(printable(iommu.path))\(iommu.label.map { " (\(printable($0)))" } ?? "")\n"
    out += "  compatible: \(printable(iommu.compatible.joined(separator: ", ")))\n"
    out += "  driver:     \(driverText(iommu.driver))\n"
    let cells = iommu.iommuCells.map { "#iommu-cells = <\($0)>" } ?? "no #iommu-cells"
    let status =
      switch (iommu.isAvailable, iommu.status) {
      case (true, _): "okay"
      case (false, "disabled"): "disabled"
      case (false, let other): "not available (status \"\(printable(other ?? ""))\")"
      }
    out += "  status:     \(status), \(cells), \(iommu.binding.rawValue) binding\n"
    guard !links.isEmpty else { return out + "  devices:    none\n" }
    out += "  devices:    \(links.count)\n"
    let rows = links.map { link in
      ("\(link.property.rawValue)[\(link.index)]", printable(link.consumerPath), specifier(link))
    }
    let pathWidth = rows.map { width($0.1) }.max() ?? 0
    let referenceWidth = rows.map { width($0.0) }.max() ?? 0
    for (reference, path, ids) in rows {
      out += "    " + padded(path, pathWidth) + "  " + padded(reference, referenceWidth)
      out += "  " + ids + "\n"
    }
    return out
  }

  private static func driverText(_ driver: IOMMUDriver?) -> String {
    guard let driver else { return "none known" }
    let build =
      driver.module.map { "tristate, module \($0)" } ?? "bool, built in when enabled"
    return "\(driver.name) (CONFIG_\(driver.kconfig), \(build))"
  }

  /// The IDs the driver receives: raw cells for `iommus`, stream IDs for
  /// `mmu-masters`, and the ID window with its translation for `iommu-map`.
  static func specifier(_ link: Link) -> String {
    switch link.property {
    case .iommus:
      return link.arguments.isEmpty ? "(no cells)" : "<\(hexList(link.arguments))>"
    case .mmuMasters:
      return "stream IDs \(hexList(link.arguments))"
    case .iommuMap:
      guard let range = link.range else { return "" }
      let mask = range.mask.map { " (mask \(hex($0)))" } ?? ""
      if range.mask == 0 && range.base == 0 && range.length > 0 {
        // Every RID masks to 0 (e.g. Juno's root complex, which cannot output
        // RIDs): all devices share this one specifier.
        return "every RID (mask 0x0) -> \(hexList(link.arguments))"
      }
      if range.length == 1 {
        let output =
          link.arguments.count == 1 ? hex(link.arguments[0]) : "<\(hexList(link.arguments))>"
        return "RID \(hex(range.base))\(mask) -> \(output)"
      }
      guard range.length > 0 else {
        return "no RIDs (length 0)\(mask) -> \(hexList(link.arguments))"
      }
      // IDs are 32-bit: a window that would run past 0xffffffff ends there.
      let last = min(UInt64(range.base) + UInt64(range.length) - 1, UInt64(UInt32.max))
      let window = "RIDs \(hex(range.base))-0x\(String(last, radix: 16))"
      guard let first = link.arguments.first else { return "\(window)\(mask) -> (no cells)" }
      let end = (UInt64(first) + UInt64(range.length) - 1) & 0xffff_ffff
      return "\(window)\(mask) -> \(hex(first))-0x\(String(end, radix: 16))"
    }
  }

  private static func findings(_ report: Report) -> String {
    let counts = Severity.allCases.reversed().map { severity in
      counted(report.diagnostics.filter { $0.severity == severity }.count, severity.rawValue)
    }
    var out = "findings: \(counts.joined(separator: ", "))\n"
    for diagnostic in report.diagnostics {
      out += "  " + line(diagnostic, file: report.input.path) + "\n"
    }
    return out
  }

  /// `FILE: severity [code] /path:property: message`, one finding per line.
  public static func line(_ diagnostic: Diagnostic, file: String) -> String {
    var location = diagnostic.path ?? ""
    if let property = diagnostic.property { location += ":" + property }
    let place = location.isEmpty ? "" : printable(location) + ": "
    return "\(printable(file)): \(diagnostic.severity.rawValue) [\(diagnostic.code.rawValue)] "
      + "\(place)\(printable(diagnostic.message))"
  }

  private static func padded(_ text: String, _ columns: Int) -> String {
    let used = width(text)
    return used >= columns ? text : text + String(repeating: " ", count: columns - used)
  }

  /// Characters, as `count` has them; for ASCII (nearly every path) the
  /// stored UTF-8 length, without walking grapheme boundaries.
  private static func width(_ text: String) -> Int {
    text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.count
  }
}
