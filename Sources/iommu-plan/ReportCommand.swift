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
      FileHandle.standardError.write(Data("iommu-plan: \(error)\n".utf8))
      throw ExitCode(2)
    }
    var reports: [Report] = []
    var unreadable = false
    for file in files {
      do {
        let tree = try TreeFile(file).load()
        reports.append(Report(tree: tree, inputPath: file, build: kernel, request: request))
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
    case .dot:
      output = reports.map(DOTRenderer.render).joined(separator: "\n")
    case .mermaid:
      output = reports.map(MermaidRenderer.render).joined(separator: "\n")
    case .modulesLoad:
      output = reports.map(ModulesLoadRenderer.render).joined(separator: "\n")
    }
    FileHandle.standardOutput.write(Data(output.utf8))
    if unreadable { throw ExitCode(2) }
    if reports.contains(where: { $0.worstSeverity == .error }) { throw ExitCode(1) }
  }
}
