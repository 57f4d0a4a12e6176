// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// `iommu-plan diff` for people: like diff(1), nothing when the trees agree;
/// otherwise a `---`/`+++` header, one line per difference marked `+`
/// (added), `-` (removed) or `~` (changed) and naming what it is about
/// (`iommu`, `device`, `link`, `finding`), then a count.
///
///     ~ iommu /soc@0/iommu@5040000: status "okay" -> "disabled"
///     ~ device /soc@0/pci@1c08000: enabled (was disabled)
///     ~ link /soc@0/pci@1c00000 iommu-map[0]: /soc@0/iommu@15000000 RID 0x0 -> 0x1c00 => ...
///     + finding warning [iommu_disabled] /soc@0/gpu@5000000:iommus: ...
public enum DiffTextRenderer: Renderer {
  public static let identifier = "text"

  public static func render(_ diff: TopologyDiff, to output: inout TextOutput) {
    guard !diff.isEmpty else { return }
    output.write("--- \(diff.old.input.path)\n+++ \(diff.new.input.path)\n")
    for change in diff.iommus {
      switch change.change {
      case .changed:
        output.write(
          "~ iommu \(change.path): "
            + change.differences.map(describe).joined(separator: "; ") + "\n")
      case .added: output.write("+ iommu \(change.path)\(change.new.map(describe) ?? "")\n")
      case .removed: output.write("- iommu \(change.path)\(change.old.map(describe) ?? "")\n")
      }
    }
    for device in diff.devices {
      let now = device.wasEnabled ? "disabled" : "enabled"
      let was = device.wasEnabled ? "enabled" : "disabled"
      output.write("~ device \(device.path): \(now) (was \(was))\n")
    }
    for change in diff.links {
      switch change.change {
      case .added:
        if let link = change.new {
          output.write("+ link \(slot(link, diff.new)): \(target(link, diff.new))\n")
        }
      case .removed:
        if let link = change.old {
          output.write("- link \(slot(link, diff.old)): \(target(link, diff.old))\n")
        }
      case .changed:
        if let was = change.old, let link = change.new {
          output.write(
            "~ link \(slot(link, diff.new)): \(target(was, diff.old)) => \(target(link, diff.new))\n"
          )
        }
      }
    }
    for finding in diff.findings {
      let added = finding.change == .added
      let report = added ? diff.new : diff.old
      let line = TextRenderer.line(finding.diagnostic, report, file: nil)
      output.write("\(added ? "+" : "-") finding \(line)\n")
    }
    output.write(summary(diff) + "\n")
  }

  private static func slot(_ link: Link, _ report: Report) -> String {
    "\(report.nodes.path(link.consumer)) \(TextRenderer.reference(link))"
  }

  /// The supplier and the IDs, as the report's device lines show them.
  static func target(_ link: Link, _ report: Report) -> String {
    "\(report.nodes.path(link.supplier)) \(TextRenderer.specifier(link))"
  }

  private static func describe(_ iommu: IOMMU) -> String {
    let cells = iommu.iommuCells.map { "#iommu-cells = <\($0)>" } ?? "no #iommu-cells"
    let status = iommu.isAvailable ? "available" : "status \"\(iommu.status ?? "")\""
    return " (\(quoted(iommu.compatible)), \(cells), \(status))"
  }

  /// `field old -> new`.
  static func describe(_ difference: TopologyDiff.IOMMUDifference) -> String {
    switch difference {
    case .status(let old, let new): "status \(status(old)) -> \(status(new))"
    case .compatible(let old, let new): "compatible \(quoted(old)) -> \(quoted(new))"
    case .iommuCells(let old, let new): "#iommu-cells \(cells(old)) -> \(cells(new))"
    case .binding(let old, let new): "binding \(old.rawValue) -> \(new.rawValue)"
    case .driver(let old, let new): "driver \(old ?? "none") -> \(new ?? "none")"
    }
  }

  /// "okay", "disabled", or "okay (below a disabled node)".
  static func status(_ status: TopologyDiff.Status) -> String {
    let own = status.value.map { "\"\($0)\"" } ?? "absent"
    if status.isAvailable && !status.isEnabled { return "\(own) (below a disabled node)" }
    return own
  }

  static func cells(_ value: UInt32?) -> String { value.map { "<\($0)>" } ?? "absent" }

  /// `differences: 1 IOMMU, 3 devices, 2 links, 0 findings`.
  static func summary(_ diff: TopologyDiff) -> String {
    "differences: "
      + [
        counted(diff.iommus.count, "IOMMU"), counted(diff.devices.count, "device"),
        counted(diff.links.count, "link"), counted(diff.findings.count, "finding"),
      ].joined(separator: ", ")
  }
}
