// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// The human report: per IOMMU, the devices behind it with their stream IDs,
/// then the findings in `FILE: severity [code] /path:property: message` form,
/// then the plan. Every name and string from the blob goes through
/// `printable`, so one finding is always one line.
public enum TextRenderer: Renderer {
  public static let identifier = "text"

  public static func render(_ report: Report, to output: inout TextOutput) {
    header(report, &output)
    let bySupplier = Self.bySupplier(report.links)
    for iommu in report.iommus {
      output.write("\n" as StaticString)
      section(iommu, report, links: bySupplier[iommu.node] ?? [], &output)
    }
    output.write("\n" as StaticString)
    findings(report, &output)
    output.write("\n" as StaticString)
    PlanTextRenderer.render(report, to: &output)
  }

  /// Links are in consumer order; each IOMMU lists its own, in that order.
  /// Runs of one supplier are gathered before they are filed, so a tree of
  /// masters hashes once per run, not once per link.
  private static func bySupplier(_ links: [Link]) -> [NodeID: [Int]] {
    var result: [NodeID: [Int]] = [:]
    var start = 0
    while start < links.count {
      let supplier = links[start].supplier
      var end = start + 1
      while end < links.count && links[end].supplier == supplier { end += 1 }
      result[supplier, default: []].append(contentsOf: start..<end)
      start = end
    }
    return result
  }

  private static func header(_ report: Report, _ output: inout TextOutput) {
    let layout =
      report.kernel.sizesMapEntriesByTargetCells
      ? "iommu-map entries sized by #iommu-cells" : "iommu-map read as fixed 4-cell entries"
    output.write(printable: report.input.path)
    output.write(": ")
    output.write(printable: report.input.model ?? "(no model)")
    output.write("\n  compatible: ")
    output.write(printable: report.input.compatible.joined(separator: ", "))
    if let entry = report.input.entry {
      output.write("\n  entry:      \(entry.index)")
      if let id = entry.id, let revision = entry.revision {
        output.write(" (id \(hex(id)), rev \(hex(revision))")
        if !entry.custom.isEmpty {
          output.write(", custom \(entry.custom.map { hex($0) }.joined(separator: " "))")
        }
        output.write(")")
      }
    }
    if !report.input.overlays.isEmpty {
      output.write("\n  overlays:   ")
      output.write(printable: report.input.overlays.joined(separator: ", "))
    }
    output.write("\n  kernel:     \(report.kernel) rules (\(layout))\n")
    output.write(
      "  summary:    \(counted(report.iommus.count, "IOMMU")), "
        + "\(counted(report.links.count, "link"))\n")
  }

  private static func section(
    _ iommu: IOMMU, _ report: Report, links: [Int], _ output: inout TextOutput
  ) {
    output.write("IOMMU ")
    output.write(path: iommu.node, report.nodes)
    if let label = iommu.label {
      output.write(" (")
      output.write(printable: label)
      output.write(")")
    }
    output.write("\n  compatible: ")
    output.write(printable: iommu.compatible.joined(separator: ", "))
    output.write("\n  driver:     \(driverText(iommu))\n")
    let cells = iommu.iommuCells.map { "#iommu-cells = <\($0)>" } ?? "no #iommu-cells"
    let status =
      switch (iommu.isAvailable, iommu.status) {
      case (true, _) where !report.nodes.isEnabled(iommu.node):
        "okay below a disabled node (no device is created)"
      case (true, _): "okay"
      case (false, "disabled"): "disabled"
      case (false, let other): "not available (status \"\(printable(other ?? ""))\")"
      }
    output.write("  status:     \(status), \(cells), \(iommu.binding.rawValue) binding\n")
    guard !links.isEmpty else {
      output.write("  devices:    none\n")
      return
    }
    output.write("  devices:    ")
    output.write(decimal: links.count)
    output.write("\n")
    var columns = Columns()
    for index in links { columns.measure(report.links[index], report.nodes) }
    for index in links {
      let link = report.links[index]
      output.write("    ")
      let pathWidth = columns.write(path: link.consumer, report.nodes, to: &output)
      output.write(spaces: columns.path - pathWidth + 2)
      writeReference(link, to: &output)
      output.write(spaces: columns.reference - referenceWidth(link) + 2)
      writeSpecifier(link, to: &output)
      output.write("\n")
    }
  }

  /// Column widths of the device rows, in characters.
  private struct Columns {
    var path = 0
    var reference = 0
    private var last: NodeID?
    private var lastWidth = 0

    mutating func measure(_ link: Link, _ nodes: NodeTable) {
      path = max(path, width(link.consumer, nodes))
      reference = max(reference, TextRenderer.referenceWidth(link))
    }

    /// Writes the path and returns its width.
    mutating func write(path node: NodeID, _ nodes: NodeTable, to output: inout TextOutput) -> Int {
      output.write(path: node, nodes)
      return width(node, nodes)
    }

    /// A consumer's links are adjacent: its width is worked out once.
    private mutating func width(_ node: NodeID, _ nodes: NodeTable) -> Int {
      if node == last { return lastWidth }
      let plain = nodes.withPathBytes(node) { path in
        path.allSatisfy { $0 >= 0x20 && $0 < 0x7f } ? path.count : nil
      }
      lastWidth = plain ?? printable(nodes.path(node)).count
      last = node
      return lastWidth
    }
  }

  /// `iommus[2]`: the property and the entry.
  static func reference(_ link: Link) -> String {
    "\(link.property.rawValue)[\(link.index)]"
  }

  private static func writeReference(_ link: Link, to output: inout TextOutput) {
    output.write(link.property.rawValue)
    output.write(byte: UInt8(ascii: "["))
    output.write(decimal: link.index)
    output.write(byte: UInt8(ascii: "]"))
  }

  /// `reference(link).count`, without making the string.
  static func referenceWidth(_ link: Link) -> Int {
    var digits = 1
    var rest = link.index
    while rest >= 10 {
      digits += 1
      rest /= 10
    }
    return link.property.rawValue.utf8.count + 2 + digits
  }

  /// The driver, its Kconfig symbol, and how this build provides it: the
  /// mode the plan used, and what said so.
  private static func driverText(_ iommu: IOMMU) -> String {
    guard let driver = iommu.driver else { return "none known" }
    let symbol =
      "\(driver.name) (CONFIG_\(driver.kconfig), \(driver.module == nil ? "bool" : "tristate"))"
    guard let mode = iommu.mode else { return symbol }
    let provided =
      switch mode {
      case .builtin: "built in"
      case .module: "module \(driver.module ?? driver.name)"
      case .absent: "not in this build"
      case .unknown: "mode unknown"
      }
    return "\(symbol): \(provided)" + (iommu.modeSource.map { " (\($0.rawValue))" } ?? "")
  }

  /// The IDs the driver receives: raw cells for `iommus`, stream IDs for
  /// `mmu-masters`, and the ID window with its translation for `iommu-map`.
  static func specifier(_ link: Link) -> String {
    var output = TextOutput()
    writeSpecifier(link, to: &output)
    return output.text
  }

  static func writeSpecifier(_ link: Link, to output: inout TextOutput) {
    switch link.property {
    case .iommus:
      if link.arguments.isEmpty {
        output.write("(no cells)")
      } else {
        output.write("<")
        writeCells(link.arguments, to: &output)
        output.write(">")
      }
    case .mmuMasters:
      output.write("stream IDs ")
      writeCells(link.arguments, to: &output)
    case .iommuMap:
      guard let range = link.range else { return }
      window(range, link.arguments, to: &output)
    }
  }

  private static func window(_ range: IDRange, _ arguments: Specifier, to output: inout TextOutput)
  {
    let mask = range.mask.map { " (mask \(hex($0)))" } ?? ""
    if range.mask == 0 && range.base == 0 && range.length > 0 {
      // Every RID masks to 0 (e.g. Juno's root complex, which cannot output
      // RIDs): all devices share this one specifier.
      output.write("every RID (mask 0x0) -> \(hexList(arguments))")
      return
    }
    if range.length == 1 {
      output.write("RID ")
      output.write(hex: range.base)
      output.write(mask)
      output.write(" -> ")
      if arguments.count == 1 {
        output.write(hex: arguments[0])
      } else {
        output.write("<")
        writeCells(arguments, to: &output)
        output.write(">")
      }
      return
    }
    guard range.length > 0 else {
      output.write("no RIDs (length 0)\(mask) -> \(hexList(arguments))")
      return
    }
    // IDs are 32-bit: a window that would run past 0xffffffff ends there.
    let last = min(UInt64(range.base) + UInt64(range.length) - 1, UInt64(UInt32.max))
    let window = "RIDs \(hex(range.base))-0x\(String(last, radix: 16))"
    guard let first = arguments.first else {
      output.write("\(window)\(mask) -> (no cells)")
      return
    }
    let end = (UInt64(first) + UInt64(range.length) - 1) & 0xffff_ffff
    output.write("\(window)\(mask) -> \(hex(first))-0x\(String(end, radix: 16))")
  }

  private static func writeCells(_ cells: Specifier, to output: inout TextOutput) {
    for (index, cell) in cells.enumerated() {
      if index > 0 { output.write(" ") }
      output.write(hex: cell)
    }
  }

  private static func findings(_ report: Report, _ output: inout TextOutput) {
    let counts = Severity.allCases.reversed().map { severity in
      counted(report.diagnostics.count { $0.severity == severity }, severity.rawValue)
    }
    output.write("findings: \(counts.joined(separator: ", "))\n")
    for diagnostic in report.diagnostics {
      output.write("  ")
      line(diagnostic, report, file: report.input.path, to: &output)
      output.write("\n")
    }
  }

  /// `FILE: severity [code] /path:property: message`, one finding per line;
  /// for a tree compiled from source, led by the `SOURCE:LINE:COL: ` where
  /// the property (or node) is written, as gcc and dtc lead theirs (and
  /// without `FILE: ` when that is the board's own file).
  /// Without `file`, the line starts at the severity (after any position).
  public static func line(_ diagnostic: Diagnostic, _ report: Report, file: String?) -> String {
    var output = TextOutput()
    line(diagnostic, report, file: file, to: &output)
    return output.text
  }

  static func line(
    _ diagnostic: Diagnostic, _ report: Report, file: String?, to output: inout TextOutput
  ) {
    let position = report.sources?.position(of: diagnostic)
    if let position {
      output.write(printable: position.description)
      output.write(": ")
    }
    // A finding written in the board's own file names it already.
    if let file, position?.file != file {
      output.write(printable: file)
      output.write(": ")
    }
    output.write("\(diagnostic.severity.rawValue) [\(diagnostic.code.rawValue)] ")
    output.write(printable: location(diagnostic, report.nodes))
    output.write(printable: diagnostic.message)
  }

  /// `/path:property: ` (or `/path: `, or nothing for a file-level finding).
  static func location(_ diagnostic: Diagnostic, _ nodes: NodeTable) -> String {
    var location = diagnostic.node.map { nodes.path($0) } ?? ""
    if let property = diagnostic.property { location += ":" + property }
    return location.isEmpty ? "" : location + ": "
  }
}
