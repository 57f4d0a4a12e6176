// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree
import IOMMUPlan
import Renderers

struct ReportCommand: PlanCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Print the IOMMU report of each device tree (the default command)."
  )

  @Option(
    help: """
      Output format: text, json (an array when several files are given), dot, mermaid, or \
      modules-load (the plan's module order, one per line).
      """)
  var format: OutputFormat = .text

  @OptionGroup var rules: RulesOptions

  @OptionGroup(title: "Reading inputs") var input: InputArguments

  @OptionGroup var boot: BootOptions

  @Argument(help: "Device trees: .dtb files, .dts files (compiled with dtc), or - for stdin.")
  var files: [String]

  func validate() throws {
    if files.isEmpty { throw ValidationError("name at least one device tree file") }
  }

  func execute(_ output: inout TextOutput) -> ExitStatus {
    let pipeline: Pipeline
    do throws(PlanInputError) {
      pipeline = try rules.pipeline(request: try boot.request(), input: input)
    } catch {
      StandardStream.complain("\(error)")
      return .unreadable
    }
    var entries: [FileReport] = []
    for file in files {
      for entry in pipeline.run(file) {
        if let failure = entry.failure {
          StandardStream.complain(
            "\(printable(entry.path)): \(printable(failure))\(hint(file, failure))")
        }
        entries.append(entry)
      }
    }
    let reports = entries.compactMap(\.report)
    switch format {
    case .json where entries.count == 1:
      // One document, streamed: a tree of 100,000 masters makes 60 MB of it.
      if let report = reports.first { JSONRenderer.render(report, to: &output) }
    case .json:
      JSONRenderer.render(entries, to: &output)
    case .text:
      for (index, entry) in entries.enumerated() {
        if index > 0 { output.write("\n") }
        switch entry.outcome {
        case .report(let report): TextRenderer.render(report, to: &output)
        case .unreadable(let reason):
          // A lone unreadable file has said so on stderr already.
          if entries.count > 1 {
            output.write("\(printable(entry.path)): not read: \(printable(reason))\n")
          }
        }
      }
    case .modulesLoad:
      var status = ExitStatus.success
      for (index, report) in reports.enumerated() {
        if index > 0 { output.write("\n") }
        status = status.worse(modulesLoad(report, &output))
      }
      if reports.count < entries.count { return .unreadable }
      return status
    case .dot, .mermaid:
      for (index, report) in reports.enumerated() {
        if index > 0 { output.write("\n") }
        if format == .dot {
          DOTRenderer.render(report, to: &output)
        } else {
          MermaidRenderer.render(report, to: &output)
        }
      }
    }
    if reports.count < entries.count { return .unreadable }
    return reports.contains { $0.worstSeverity == .error } ? .findings : .success
  }

  /// A list for a boot device that cannot come up would be a wrong
  /// `modules.load` written in silence: none is printed, and stderr says why.
  private func modulesLoad(_ report: Report, _ output: inout TextOutput) -> ExitStatus {
    let file = printable(report.input.path)
    if let name = report.plan.unknownBootDevices.first {
      StandardStream.complain(
        "\(file): --boot-device \(printable(name)) names no node path or label here; no module "
          + "list written")
      return .unreadable
    }
    if let node = report.plan.bootDevices.first(where: { !report.nodes.isEnabled($0) }) {
      StandardStream.complain(
        "\(file): --boot-device \(printable(report.nodes.path(node))) is disabled (or below a "
          + "disabled node), so it never probes; no module list written")
      return .findings
    }
    ModulesLoadRenderer.render(report, to: &output)
    return report.worstSeverity == .error ? .findings : .success
  }

  /// What to run instead, when the input is one `lint` reads.
  private func hint(_ file: String, _ failure: String) -> String {
    failure.hasPrefix("is a directory")
      ? " (to check the device trees in it: iommu-plan lint \(printable(file)))" : ""
  }
}
