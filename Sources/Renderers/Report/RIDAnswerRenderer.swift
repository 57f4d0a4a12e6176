// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `explain BUS --rid N` (or a PCI function's node): the map lookup for one
/// requester ID, then what its IOMMU does, then who else lands on its
/// stream ID.
public enum RIDAnswerRenderer {
  public static let identifier = "text"

  public static func render(_ answer: RIDAnswer, _ report: Report, to output: inout TextOutput) {
    let nodes = report.nodes
    if let node = answer.node {
      output.write(path: node, nodes)
      output.write(": ")
    }
    output.write("PCI function \(bdf(answer.rid)) (requester ID \(hex(answer.rid))) below ")
    output.write(path: answer.bus, nodes)
    output.write("\n  lookup:   ")
    output.write(lookup(answer, report))
    output.write("\n  outcome:  \(answer.outcome.rawValue): ")
    output.write(outcome(answer, report))
    output.write("\n")
    if let sharing = answer.sharing {
      output.write("  shared:   ")
      output.write(shared(sharing, answer))
      output.write("\n")
    }
    output.write(
      "  note:     PCI topology beyond the device tree is not known before boot: a function "
        + "behind a PCIe-to-PCI bridge uses the bridge's requester ID (its DMA alias), and ACS "
        + "decides which functions share an IOMMU group\n")
  }

  /// `bus:device.function` of a requester ID.
  public static func bdf(_ rid: UInt32) -> String {
    func two(_ value: UInt32) -> String {
      let digits = String(value, radix: 16)
      return digits.count < 2 ? "0" + digits : digits
    }
    return "\(two(rid >> 8 & 0xff)):\(two(rid >> 3 & 0x1f)).\(rid & 0x7)"
  }

  static func lookup(_ answer: RIDAnswer, _ report: Report) -> String {
    let masking =
      answer.mask == 0xffff_ffff
      ? "no iommu-map-mask"
      : "iommu-map-mask \(hex(answer.mask)) gives \(hex(answer.masked))"
    switch answer.answer {
    case .translated(let entry, let iommu, let base, _):
      let link = report.links.first {
        $0.consumer == answer.bus && $0.property == .iommuMap && $0.index == entry
      }
      let window = link?.range.map { "rid-base \(hex($0.base)), length \(hex($0.length))" }
      let cells = answer.specifier.map { $0.map { hex($0) }.joined(separator: " ") } ?? ""
      return
        "\(masking); entry \(entry) (\(window ?? "rid-base \(hex(base))")) matches first: "
        + "\(report.nodes.path(iommu)) <\(cells)>"
    case .hole:
      return
        "\(masking); no entry matches (a hole in the map): \"no iommu-map translation\", so "
        + "of_iommu_xlate() finds no IOMMU"
    case .failed(let entry, let error):
      let place = entry.map { "entry \($0)" } ?? "the map"
      return "\(masking); the lookup fails at \(place): \(reason(error)) (\(error.errno))"
    }
  }

  static func reason(_ error: RIDCoverage.LookupError) -> String {
    switch error {
    case .badLength: "the map's length is wrong"
    case .maskIgnoresRIDBase: "its rid-base has bits outside iommu-map-mask"
    case .unknownPhandle: "its phandle matches no node"
    case .multiIDRange: "it maps several IDs to a multi-cell specifier"
    case .tooManyCells: "its target has more than 16 #iommu-cells"
    }
  }

  static func outcome(_ answer: RIDAnswer, _ report: Report) -> String {
    let iommu = answer.iommu.map { report.nodes.path($0) } ?? ""
    switch answer.outcome {
    case .translated:
      return "translated by \(iommu) from its first probe"
    case .deferred:
      let modules = answer.modules.joined(separator: ", ")
      return
        "defers until \(modules.isEmpty ? "its IOMMU" : modules) loads and \(iommu) probes; "
        + "if that is after the deferred-probe deadline it probes without translation for good"
    case .unprotected:
      return "\(iommu) never registers with a driver that translates: no translation"
    case .noIOMMU:
      return answer.iommu == nil
        ? "no IOMMU: the device probes without translation"
        : "\(iommu) is disabled: no IOMMU, the device probes without translation"
    case .error:
      return "the error is returned from of_iommu_configure(): no IOMMU"
    case .unknown:
      return "\(iommu) matches no driver iommu-plan knows"
    }
  }

  static func shared(_ sharing: RIDAnswer.Sharing, _ answer: RIDAnswer) -> String {
    let listed = sharing.ranges.map { range in
      range.lowerBound == range.upperBound
        ? hex(range.lowerBound) : "\(hex(range.lowerBound))-\(hex(range.upperBound))"
    }.joined(separator: ", ")
    let more = sharing.ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 }
    let tail = more < sharing.count ? ", ..." : ""
    let streamID = answer.specifier?.first.map { hex($0) } ?? "?"
    let effect =
      sharing.exclusive
      ? "the IOMMU gives it to the first device among them to probe (PCI enumerates in "
        + "requester-ID order) and refuses the rest, which run untranslated"
      : "devices among them share one IOMMU group"
    return
      "\(sharing.count) requester IDs map to stream ID \(streamID) (\(listed)\(tail)); if "
      + "more than one is a device, \(effect)"
  }
}
