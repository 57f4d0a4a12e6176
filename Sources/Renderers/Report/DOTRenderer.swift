// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// Graphviz: each IOMMU a hexagon naming its driver and mode, each consumer
/// a box coloured by its outcome (dashed when disabled), one edge per
/// consumer and IOMMU with the stream IDs summarised, and a legend of the
/// colours used.
public enum DOTRenderer: Renderer {
  public static let identifier = "dot"

  public static func render(_ report: Report, to output: inout TextOutput) {
    let nodes = report.nodes
    output.write("digraph \(quoted(report.input.path)) {\n")
    // No clusters: a cluster's label sits where the edges into its IOMMU
    // arrive, and dot draws them across it.
    output.write("  graph [rankdir=LR, ranksep=1.2, nodesep=0.2, fontname=\"monospace\"];\n")
    output.write("  node [shape=box, style=filled, fillcolor=white, fontname=\"monospace\"];\n")
    output.write("  edge [fontname=\"monospace\", fontsize=10];\n")
    let roles = Roles(report.plan)
    var used: Set<Plan.Outcome> = []
    var anyDisabled = false
    // An IOMMU that is itself a consumer (an SMMU behind another, or a
    // cycle) is one node: its hexagon, filled with its outcome as a device.
    var isIOMMU: Set<NodeID> = []
    for iommu in report.iommus {
      isIOMMU.insert(iommu.node)
      let path = nodes.path(iommu.node)
      let driver =
        iommu.driver.map { "\($0.name): \((iommu.mode ?? .unknown).rawValue)" }
        ?? "no known driver"
      var label = (iommu.label.map { "\($0)\n" } ?? "") + path + "\n" + driver
      var fill = iommu.isAvailable ? "lightyellow" : "white"
      if !iommu.isAvailable { label += "\ndisabled" }
      let consumers = roles.of(iommu.node)
      if let worst = Roles.worst(consumers) {
        used.insert(worst)
        label += "\nas a device: " + (Roles.label(consumers, separator: ", ") ?? "")
        fill = Roles.colours[worst] ?? fill
      }
      let style = ", fillcolor=\(fill)" + (iommu.isAvailable ? "" : ", style=\"filled,dashed\"")
      output.write("  \(id(iommu.node, report)) [shape=hexagon, label=\(quoted(label))\(style)];\n")
    }
    for node in report.linkConsumers where !isIOMMU.contains(node) {
      let path = nodes.path(node)
      let consumers = roles.of(node)
      if let worst = Roles.worst(consumers) {
        used.insert(worst)
        let outcome = Roles.label(consumers, separator: "\n") ?? worst.rawValue
        output.write("  \(id(node, report)) [label=\(quoted(path + "\n" + outcome)), ")
        output.write("fillcolor=\(Roles.colours[worst] ?? "white")];\n")
      } else {
        anyDisabled = true
        let why = nodes.isEnabled(node) ? "not probed" : "disabled"
        output.write("  \(id(node, report)) [label=\(quoted(path + "\n" + why)), ")
        output.write("style=dashed];\n")
      }
    }
    for edge in GraphEdge.edges(report) {
      let label = quoted(edge.label(report, separator: "\n"))
      let dashed = roles.of(edge.consumer).isEmpty ? ", style=dashed" : ""
      output.write("  \(id(edge.consumer, report)) -> \(id(edge.iommu, report)) ")
      output.write("[label=\(label)\(dashed)];\n")
    }
    legend(used: used, disabled: anyDisabled, &output)
    output.write("}\n")
  }

  /// A node's DOT id: its path, which is unique in the tree.
  private static func id(_ node: NodeID, _ report: Report) -> String {
    quoted(report.nodes.path(node))
  }

  /// A table of the fill colours this graph uses, apart from the devices.
  private static func legend(
    used: Set<Plan.Outcome>, disabled: Bool, _ output: inout TextOutput
  ) {
    guard !used.isEmpty || disabled else { return }
    output.write("  legend [shape=plaintext, style=\"\", label=<")
    output.write("<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"4\">")
    output.write("<tr><td><b>outcome</b></td></tr>")
    for outcome in Roles.order where used.contains(outcome) {
      output.write("<tr><td bgcolor=\"\(Roles.colours[outcome] ?? "white")\">")
      output.write("\(outcome.rawValue)</td></tr>")
    }
    if disabled { output.write("<tr><td style=\"dashed\">disabled</td></tr>") }
    output.write("</table>>];\n")
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
