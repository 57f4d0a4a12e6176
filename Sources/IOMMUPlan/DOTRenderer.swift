/// Graphviz: one cluster per IOMMU (with its driver and mode), consumers
/// coloured by outcome, edges labelled with the property and stream IDs.
public enum DOTRenderer {
  public static let identifier = "dot"

  static let colours: [Plan.Outcome: String] = [
    .translated: "palegreen", .deferred: "orange", .unprotected: "tomato",
    .noIOMMU: "lightgrey", .legacy: "lightblue", .unknown: "khaki",
  ]

  public static func render(_ report: Report) -> String {
    var out = "digraph \(quoted(report.input.path)) {\n"
    out +=
      "  rankdir=LR;\n  node [shape=box, style=filled, fillcolor=white, fontname=\"monospace\"];\n"
    let modes = Dictionary(
      report.plan.assumptions.drivers.map { ($0.module, $0.mode.rawValue) },
      uniquingKeysWith: { first, _ in first })
    for (index, iommu) in report.iommus.enumerated() {
      let driver =
        iommu.driver.map { driver in
          let key = driver.module.map(moduleKey) ?? "CONFIG_\(driver.kconfig)"
          return "\(driver.name), \(modes[key] ?? "unknown")"
        } ?? "no known driver"
      let status = iommu.isAvailable ? "" : ", disabled"
      out += "  subgraph \"cluster_\(index)\" {\n"
      out += "    label=\(quoted("\(iommu.label ?? iommu.path)\n\(driver)\(status)"));\n"
      out += "    \(quoted("iommu:" + iommu.path)) [shape=hexagon, label=\(quoted(iommu.path))];\n"
      out += "  }\n"
    }
    var outcomes: [String: Plan.Outcome] = [:]
    for consumer in report.plan.consumers { outcomes[consumer.device] = consumer.outcome }
    for path in Set(report.links.map(\.consumerPath)).sorted() {
      let colour = outcomes[path].flatMap { colours[$0] } ?? "white"
      let outcome = outcomes[path].map { "\n\($0.rawValue)" } ?? ""
      out += "  \(quoted("dev:" + path)) [label=\(quoted(path + outcome)), fillcolor=\(colour)];\n"
    }
    for link in report.links {
      let label = "\(link.property.rawValue)[\(link.index)] \(TextRenderer.specifier(link))"
      out += "  \(quoted("dev:" + link.consumerPath)) -> \(quoted("iommu:" + link.supplierPath))"
      out += " [label=\(quoted(label))];\n"
    }
    return out + "}\n"
  }

  /// DOT string literal: node paths carry `@`, `,` and `/`.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for character in text {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.append(character)
      }
    }
    return out + "\""
  }
}
