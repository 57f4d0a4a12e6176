/// `iommu-plan diff` for people: like diff(1), nothing when the trees agree;
/// otherwise a `---`/`+++` header, one line per difference marked `+`
/// (added), `-` (removed) or `~` (changed) and naming what it is about
/// (`iommu`, `device`, `link`, `finding`), then a count.
///
///     ~ iommu /soc@0/iommu@5040000: status "okay" -> "disabled"
///     ~ device /soc@0/pci@1c08000: enabled (was disabled)
///     ~ link /soc@0/pci@1c00000 iommu-map[0]: /soc@0/iommu@15000000 RID 0x0 -> 0x1c00 => ...
///     + finding warning [iommu_disabled] /soc@0/gpu@5000000:iommus: ...
public enum DiffTextRenderer {
  public static let identifier = "text"

  public static func render(_ diff: TopologyDiff) -> String {
    guard !diff.isEmpty else { return "" }
    var out = "--- \(diff.old.input.path)\n+++ \(diff.new.input.path)\n"
    for change in diff.iommus {
      switch change.change {
      case .changed: out += "~ iommu \(change.path): \(change.details.joined(separator: "; "))\n"
      case .added: out += "+ iommu \(change.path)\(change.new.map(describe) ?? "")\n"
      case .removed: out += "- iommu \(change.path)\(change.old.map(describe) ?? "")\n"
      }
    }
    for device in diff.devices {
      let now = device.wasEnabled ? "disabled" : "enabled"
      let was = device.wasEnabled ? "enabled" : "disabled"
      out += "~ device \(device.path): \(now) (was \(was))\n"
    }
    for change in diff.links {
      let link = change.link
      let slot = "\(link.consumerPath) \(link.property.rawValue)[\(link.index)]"
      switch change.change {
      case .added: out += "+ link \(slot): \(target(link))\n"
      case .removed: out += "- link \(slot): \(target(link))\n"
      case .changed:
        out += "~ link \(slot): \(change.old.map(target) ?? "") => \(target(link))\n"
      }
    }
    for finding in diff.findings {
      let mark = finding.change == .added ? "+" : "-"
      let line = TextRenderer.line(finding.diagnostic, file: "")
      out += "\(mark) finding \(line.dropFirst(2))\n"
    }
    return out + summary(diff) + "\n"
  }

  /// The supplier and the IDs, as the report's device lines show them.
  static func target(_ link: Link) -> String {
    "\(link.supplierPath) \(TextRenderer.specifier(link))"
  }

  private static func describe(_ iommu: IOMMU) -> String {
    let cells = iommu.iommuCells.map { "#iommu-cells = <\($0)>" } ?? "no #iommu-cells"
    let status = iommu.isAvailable ? "available" : "status \"\(iommu.status ?? "")\""
    return " (\(quoted(iommu.compatible)), \(cells), \(status))"
  }

  /// `differences: 1 IOMMU, 3 devices, 2 links, 0 findings`.
  static func summary(_ diff: TopologyDiff) -> String {
    "differences: "
      + [
        counted(diff.iommus.count, "IOMMU"), counted(diff.devices.count, "device"),
        counted(diff.links.count, "link"), counted(diff.findings.count, "finding"),
      ].joined(separator: ", ")
  }
}
