// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree
import IOMMUPlan
import Renderers

struct DiffCommand: PlanCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Show what changed in IOMMU topology between two device trees.",
    discussion: """
      Nodes are matched by path, so renumbered phandles are no difference. Reports IOMMUs \
      added, removed, enabled or disabled, or whose compatible, #iommu-cells, binding or \
      driver changed; devices enabled or disabled; links added, removed or changed (supplier, \
      stream IDs, ID window, mask); findings added or removed. Exit codes, as diff(1): 0 no \
      difference; 1 differences; 2 an input could not be read; 64 usage error.
      """
  )

  @Option(help: "Output format: text (nothing when identical) or json.")
  var format: DataFormat = .text

  @OptionGroup var rules: RulesOptions

  @OptionGroup(title: "Reading inputs") var input: InputArguments

  @Argument(help: "The device tree before (.dtb, .dts, or - for stdin).")
  var old: String

  @Argument(help: "The device tree after.")
  var new: String

  func execute(_ output: inout TextOutput) -> ExitStatus {
    let pipeline: Pipeline
    do throws(PlanInputError) {
      pipeline = try rules.pipeline(input: input)
    } catch {
      StandardStream.complain("\(error)")
      return .unreadable
    }
    let entries = [old, new].map(pipeline.single)
    for entry in entries {
      if let failure = entry.failure {
        StandardStream.complain("\(printable(entry.path)): \(printable(failure))")
      }
    }
    guard let before = entries[0].report, let after = entries[1].report else { return .unreadable }
    let diff = TopologyDiff(old: before, new: after)
    switch format {
    case .text: DiffTextRenderer.render(diff, to: &output)
    case .json: DiffJSONRenderer.render(diff, to: &output)
    }
    return diff.isEmpty ? .success : .findings
  }
}
