import DeviceTree
import IOMMUPlan

/// Graphviz: one cluster per IOMMU (with its driver and mode), consumers
/// coloured by outcome, edges labelled with the property and stream IDs.
public enum DOTRenderer {
  public static let identifier = "dot"

  public static func render(_ report: Report) -> String {
    var output = TextOutput()
    render(report, to: &output)
    return output.text
  }

  public static func render(_ report: Report, to output: inout TextOutput) {
    let nodes = report.nodes
    output.write("digraph \(quoted(report.input.path)) {\n")
    output.write(
      "  rankdir=LR;\n  node [shape=box, style=filled, fillcolor=white, fontname=\"monospace\"];\n")
    for (index, iommu) in report.iommus.enumerated() {
      let path = nodes.path(iommu.node)
      let driver =
        iommu.driver.map { "\($0.name), \((iommu.mode ?? .unknown).rawValue)" }
        ?? "no known driver"
      let status = iommu.isAvailable ? "" : ", disabled"
      output.write("  subgraph \"cluster_\(index)\" {\n")
      output.write("    label=\(quoted("\(iommu.label ?? path)\n\(driver)\(status)"));\n")
      output.write("    \(quoted("iommu:" + path)) [shape=hexagon, label=\(quoted(path))];\n")
      output.write("  }\n")
    }
    let roles = Roles(report.plan)
    for node in report.linkConsumers {
      let path = nodes.path(node)
      let consumers = roles.of(node)
      let colour = Roles.worst(consumers).flatMap { Roles.colours[$0] } ?? "white"
      let outcome = Roles.label(consumers, separator: "\n").map { "\n" + $0 } ?? ""
      output.write(
        "  \(quoted("dev:" + path)) [label=\(quoted(path + outcome)), fillcolor=\(colour)];\n")
    }
    for link in report.links {
      let label = "\(TextRenderer.reference(link)) \(TextRenderer.specifier(link))"
      output.write("  \(quoted("dev:" + nodes.path(link.consumer))) -> ")
      output.write("\(quoted("iommu:" + nodes.path(link.supplier))) [label=\(quoted(label))];\n")
    }
    output.write("}\n")
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
