// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree
import IOMMUPlan
import Renderers

struct ExplainCommand: PlanCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Walk one device's IOMMU chain step by step, with the kernel rule at each step.",
    discussion: """
      Each IOMMU the device reaches appears once, with its driver, mode and suppliers; the \
      entries of its iommus or iommu-map are summarised per IOMMU as ID ranges, up to where \
      the kernel's walk ends. Exit codes: 0 explained; 2 the input cannot be read or has no \
      such node; 64 usage error.
      """
  )

  @Option(help: "Output format: text or json.")
  var format: DataFormat = .text

  @OptionGroup var rules: RulesOptions

  @OptionGroup(title: "Reading inputs") var input: InputArguments

  @Argument(help: "The device tree (a DTB, source, FILE#N of a file that holds several, or -).")
  var file: String

  @Argument(help: "The device: a node path or a label (with --rid or --bdf, the bus node).")
  var node: String

  @Option(
    help: ArgumentHelp(
      "Answer for this requester ID (0x... or decimal) through the bus node's iommu-map.",
      valueName: "rid"),
    transform: { text in try RequesterID.parse(rid: text) })
  var rid: UInt32?

  @Option(
    help: ArgumentHelp(
      "Answer for this PCI function (BB:DD.F, bus numbered as the kernel numbers it below the "
        + "root bus) through the bus node's iommu-map.",
      valueName: "bb:dd.f"),
    transform: { text in try RequesterID.parse(bdf: text) })
  var bdf: UInt32?

  func validate() throws {
    if rid != nil && bdf != nil { throw ValidationError("give --rid or --bdf, not both") }
  }

  func execute(_ output: inout TextOutput) -> ExitStatus {
    let pipeline: Pipeline
    do throws(PlanInputError) {
      pipeline = try rules.pipeline(request: PlanRequest(explain: [node]), input: input)
    } catch {
      StandardStream.complain("\(error)")
      return .unreadable
    }
    let entry = pipeline.single(file)
    guard let report = entry.report, let explanation = report.explanations.first else {
      StandardStream.complain("\(printable(file)): \(printable(entry.failure ?? ""))")
      return .unreadable
    }
    guard explanation.node != nil else {
      let hint =
        node.hasPrefix("/") || explanation.hasSymbols
        ? "give a full path or a label"
        : "this tree has no /__symbols__ (kbuild compiles without -@), so labels cannot be "
          + "resolved: give a full path, or the board's .dts (read with -@)"
      StandardStream.complain("\(printable(file)): no node \(printable(node)) (\(hint))")
      return .unreadable
    }
    if let node = explanation.node, let asked = rid ?? bdf {
      guard let answer = RIDAnswer(report, bus: node, rid: asked) else {
        StandardStream.complain(
          "\(printable(file)): \(printable(report.nodes.path(node))) has no iommu-map: give the "
            + "PCI root complex or fsl-mc bus node with --rid or --bdf")
        return .unreadable
      }
      render(answer, report, &output)
      return .success
    }
    // A PCI function described in the tree is answered through its bus.
    if let node = explanation.node, let function = explanation.pciFunction,
      let answer = RIDAnswer(report, bus: function.bus, rid: function.rid, node: node)
    {
      render(answer, report, &output)
      return .success
    }
    switch format {
    case .text: ExplanationRenderer.render(explanation, report, to: &output)
    case .json: ExplanationJSONRenderer.render(explanation, report, to: &output)
    }
    return .success
  }

  private func render(_ answer: RIDAnswer, _ report: Report, _ output: inout TextOutput) {
    switch format {
    case .text: RIDAnswerRenderer.render(answer, report, to: &output)
    case .json: RIDAnswerJSONRenderer.render(answer, report, to: &output)
    }
  }
}

/// A requester ID as given on the command line.
enum RequesterID {
  static func parse(rid text: String) throws -> UInt32 {
    let value =
      text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
    guard let value, value <= 0xffff else {
      throw ValidationError("--rid \(text) is not a 16-bit requester ID")
    }
    return value
  }

  /// `BB:DD.F` (hex, as lspci prints it; a leading domain `DDDD:` is
  /// allowed and dropped).
  static func parse(bdf text: String) throws -> UInt32 {
    var parts = text.split(separator: ":").map(String.init)
    if parts.count == 3 { parts.removeFirst() }
    let slot = parts.count == 2 ? parts[1].split(separator: ".").map(String.init) : []
    guard parts.count == 2, slot.count == 2, let bus = UInt32(parts[0], radix: 16), bus <= 0xff,
      let device = UInt32(slot[0], radix: 16), device <= 0x1f,
      let function = UInt32(slot[1], radix: 16), function <= 7
    else { throw ValidationError("--bdf \(text) is not BB:DD.F (as lspci prints it)") }
    return bus << 8 | device << 3 | function
  }
}
