import ArgumentParser
import DeviceTree
import Foundation
import IOMMUPlan

struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Walk one device's IOMMU chain step by step, with the kernel rule at each step."
  )

  @OptionGroup var build: BuildOptions

  @Argument(help: "The device tree (.dtb, .dts or -).")
  var file: String

  @Argument(help: "The device: a node path or a label.")
  var node: String

  func run() throws {
    let kernel: KernelBuild
    let tree: DeviceTree
    do {
      kernel = try build.kernelBuild()
      tree = try TreeFile(file).load()
    } catch {
      FileHandle.standardError.write(Data("iommu-plan: \(error)\n".utf8))
      throw ExitCode(2)
    }
    let report = Report(tree: tree, inputPath: file, build: kernel)
    guard
      let text = Explanation.render(tree: tree, report: report, build: kernel, device: node)
    else {
      FileHandle.standardError.write(
        Data("iommu-plan: \(file): no node \(node) (give a full path or a label)\n".utf8))
      throw ExitCode(2)
    }
    FileHandle.standardOutput.write(Data(text.utf8))
  }
}
