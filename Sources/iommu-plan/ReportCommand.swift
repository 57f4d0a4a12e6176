import ArgumentParser
import DeviceTree
import Foundation
import IOMMUPlan

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Print the IOMMU report of each device tree (the default command)."
  )

  @Option(help: "Output format: text, or json (an array when several files are given).")
  var format: OutputFormat = .text

  @Option(
    help: ArgumentHelp(
      "Apply the parsing rules of this kernel release (X.Y).",
      discussion: "Before 7.2, iommu-map is read as fixed 4-cell entries.",
      valueName: "X.Y"))
  var kernelVersion: KernelVersionArgument?

  @Argument(help: "Device trees: .dtb files, .dts files (compiled with dtc), or - for stdin.")
  var files: [String]

  @OptionGroup var input: InputOptions

  func validate() throws {
    if files.isEmpty { throw ValidationError("name at least one device tree file") }
  }

  func run() throws {
    let kernel = kernelVersion?.version ?? .newest
    StandardStream.ignoreBrokenPipes()
    let entries = files.map { input.entry($0, kernel: kernel) }
    let reports = entries.compactMap(\.report)
    let output: String
    switch format {
    case .json:
      output =
        files.count == 1
        ? reports.map { JSONRenderer.render([$0], asArray: false) }.joined()
        : JSONRenderer.render(batch: entries)
    case .text:
      output =
        files.count == 1
        ? reports.map(TextRenderer.render).joined() : TextRenderer.render(batch: entries)
    }
    StandardStream.output.write(output)
    if reports.count < entries.count { throw ExitCode(2) }
    if reports.contains(where: { $0.worstSeverity == .error }) { throw ExitCode(1) }
  }
}
