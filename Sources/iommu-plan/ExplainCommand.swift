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

  @Argument(help: "The device: a node path or a label.")
  var node: String

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
    switch format {
    case .text: ExplanationRenderer.render(explanation, report, to: &output)
    case .json: ExplanationJSONRenderer.render(explanation, report, to: &output)
    }
    return .success
  }
}
