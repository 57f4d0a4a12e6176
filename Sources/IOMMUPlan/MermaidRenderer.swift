/// A Mermaid flowchart of the same graph as the DOT output, for Markdown
/// pages and merge-request comments.
public enum MermaidRenderer {
  public static let identifier = "mermaid"

  public static func render(_ report: Report) -> String {
    var out = "flowchart LR\n"
    var ids: [String: String] = [:]
    func id(_ key: String) -> String {
      if let known = ids[key] { return known }
      let new = "n\(ids.count)"
      ids[key] = new
      return new
    }
    for iommu in report.iommus {
      let name = id("iommu:" + iommu.path)
      out += "  subgraph s\(name)[\(text(iommu.label ?? iommu.path))]\n"
      out += "    \(name){{\(text(iommu.path + (iommu.isAvailable ? "" : " (disabled)")))}}\n"
      out += "  end\n"
    }
    var outcomes: [String: Plan.Outcome] = [:]
    for consumer in report.plan.consumers { outcomes[consumer.device] = consumer.outcome }
    for path in Set(report.links.map(\.consumerPath)).sorted() {
      let outcome = outcomes[path]
      out += "  \(id("dev:" + path))[\(text(path + (outcome.map { " " + $0.rawValue } ?? "")))]"
      out += outcome.map { ":::\($0.rawValue)" } ?? ""
      out += "\n"
    }
    for link in report.links {
      let label = "\(link.property.rawValue)[\(link.index)] \(TextRenderer.specifier(link))"
      out += "  \(id("dev:" + link.consumerPath)) -->|\(text(label))| "
      out += "\(id("iommu:" + link.supplierPath))\n"
    }
    for (outcome, colour) in DOTRenderer.colours.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      out += "  classDef \(outcome.rawValue) fill:\(colour)\n"
    }
    return out
  }

  /// A quoted Mermaid label; `"` must be written as an entity.
  private static func text(_ value: String) -> String {
    "\"" + value.replacingOccurrences(of: "\"", with: "#quot;") + "\""
  }
}
