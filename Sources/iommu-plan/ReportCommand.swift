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

  func validate() throws {
    if files.isEmpty { throw ValidationError("name at least one device tree file") }
  }

  func run() throws {
    let kernel = kernelVersion?.version ?? .newest
    var reports: [Report] = []
    var unreadable = false
    for file in files {
      do {
        let tree = try TreeFile(file).load()
        reports.append(Report(tree: tree, inputPath: file, kernel: kernel))
      } catch {
        FileHandle.standardError.write(Data("iommu-plan: \(error)\n".utf8))
        unreadable = true
      }
    }
    let output: String
    switch format {
    case .json:
      output =
        reports.isEmpty && files.count == 1
        ? "" : JSONRenderer.render(reports, asArray: files.count > 1)
    case .text:
      output = reports.map(TextRenderer.render).joined(separator: "\n")
    }
    FileHandle.standardOutput.write(Data(output.utf8))
    if unreadable { throw ExitCode(2) }
    if reports.contains(where: { $0.worstSeverity == .error }) { throw ExitCode(1) }
  }
}
