import ArgumentParser
import DeviceTree
import Foundation
import IOMMUPlan

struct ReportCommand: ParsableCommand {
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

  @OptionGroup var build: BuildOptions

  @Argument(help: "Device trees: .dtb files, .dts files (compiled with dtc), or - for stdin.")
  var files: [String]

  @OptionGroup var input: InputOptions

  func validate() throws {
    if files.isEmpty { throw ValidationError("name at least one device tree file") }
  }

  func run() throws {
    let kernel: KernelBuild
    let request: PlanRequest
    do {
      kernel = try build.kernelBuild()
      request = try build.request()
    } catch {
      StandardStream.error.write("iommu-plan: \(error)\n")
      throw ExitCode(2)
    }
    StandardStream.ignoreBrokenPipes()
    let entries = files.map { input.entry($0, build: kernel, request: request) }
    let reports = entries.compactMap(\.report)
    let output: String
    switch format {
    case .json where files.count == 1:
      // One document, streamed: a tree of 100,000 masters makes 60 MB of it.
      var stream = BufferedOutput()
      if let report = reports.first { JSONRenderer.render([report], asArray: false, to: &stream) }
      stream.flush()
      output = ""
    case .json:
      output = JSONRenderer.render(batch: entries)
    case .text:
      output =
        files.count == 1
        ? reports.map(TextRenderer.render).joined() : TextRenderer.render(batch: entries)
    case .dot:
      output = reports.map(DOTRenderer.render).joined(separator: "\n")
    case .mermaid:
      output = reports.map(MermaidRenderer.render).joined(separator: "\n")
    case .modulesLoad:
      output = reports.map(ModulesLoadRenderer.render).joined(separator: "\n")
    }
    StandardStream.output.write(output)
    if reports.count < entries.count { throw ExitCode(2) }
    if reports.contains(where: { $0.worstSeverity == .error }) { throw ExitCode(1) }
  }
}
