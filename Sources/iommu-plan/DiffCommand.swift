import ArgumentParser
import DeviceTree
import Foundation
import IOMMUPlan

enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
  case text
  case json
}

struct DiffCommand: ParsableCommand {
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
  var format: DiffFormat = .text

  @Option(
    help: ArgumentHelp("Apply the parsing rules of this kernel release (X.Y).", valueName: "X.Y"))
  var kernelVersion: KernelVersionArgument?

  @Argument(help: "The device tree before (.dtb, .dts, or - for stdin).")
  var old: String

  @Argument(help: "The device tree after.")
  var new: String

  func run() throws {
    var trees: [DeviceTree] = []
    var unreadable = false
    for file in [old, new] {
      do {
        trees.append(try TreeFile(file).load())
      } catch {
        FileHandle.standardError.write(Data("iommu-plan: \(error)\n".utf8))
        unreadable = true
      }
    }
    guard !unreadable, trees.count == 2 else { throw ExitCode(2) }
    let diff = TopologyDiff(
      old: trees[0], oldPath: old, new: trees[1], newPath: new,
      kernel: kernelVersion?.version ?? .newest)
    let output =
      switch format {
      case .text: DiffTextRenderer.render(diff)
      case .json: DiffJSONRenderer.render(diff)
      }
    FileHandle.standardOutput.write(Data(output.utf8))
    if !diff.isEmpty { throw ExitCode(1) }
  }
}
