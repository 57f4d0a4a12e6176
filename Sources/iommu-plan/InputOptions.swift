import ArgumentParser
import DeviceTree
import IOMMUPlan

/// How inputs are read: the limits, and one entry per file for batch runs.
struct InputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Refuse inputs larger than this many bytes.",
      discussion: "The default, 64 MiB, is far above any real device tree.",
      valueName: "bytes"))
  var maxInputSize: Int = LoadLimits.standard.maximumInputSize

  func validate() throws {
    if maxInputSize < 1 { throw ValidationError("--max-input-size must be at least 1") }
  }

  var limits: LoadLimits { LoadLimits(maximumInputSize: maxInputSize) }

  /// Loads one input and builds its report; a file that cannot be used gets
  /// its one line on stderr and a failure entry.
  func entry(_ file: String, build: KernelBuild, request: PlanRequest) -> BatchEntry {
    do throws(LoadError) {
      let tree = try TreeFile(file).load(limits: limits)
      do {
        try ReportLimits.check(tree)
      } catch {
        throw LoadError(file: file, reason: error.reason)
      }
      return .report(Report(tree: tree, inputPath: file, build: build, request: request))
    } catch {
      StandardStream.error.write(
        "iommu-plan: \(printable(error.file)): \(printable(error.reason))\n")
      return .failure(path: file, reason: error.reason)
    }
  }
}
