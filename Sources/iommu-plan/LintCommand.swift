// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree
import FoundationEssentials
import IOMMUPlan
import Renderers

struct LintCommand: PlanCommand {
  static let configuration = CommandConfiguration(
    commandName: "lint",
    abstract: "Check many device trees at once, for CI: one line per finding, then a summary.",
    discussion: """
      Directories are searched recursively for boards (.dtb, .dts) and overlays (.dtbo, \
      .dtso), never .dtsi (hidden entries and links to directories are skipped; a source \
      with its built blob beside it is checked once, as the source). Sources go through \
      cpp and dtc as kbuild runs them, so each finding names its source line. \
      Files are checked in parallel and reported in sorted order. Exit codes: 0 nothing at \
      or above the --fail-on level; 1 findings at or above it; 2 an input could not be read \
      (the others are still checked) or the baseline could not be read or written; 64 usage \
      error.
      """
  )

  @Option(
    help: ArgumentHelp(
      "Output format: sarif is SARIF 2.1.0, github is workflow annotations.",
      valueName: "format"))
  var format: LintFormat = .text

  @Option(
    name: .customLong("fail-on"),
    help: ArgumentHelp("The lowest severity that fails the run."))
  var failOn: FailLevel = .error

  @Flag(help: "Report warnings as errors (so they fail at --fail-on error).")
  var strict = false

  @Option(
    name: .customLong("disable"),
    help: ArgumentHelp("Do not report CODE (or all).", valueName: "code"),
    transform: CodeSelection.parse)
  var disable: [CodeSelection] = []

  @Option(
    name: .customLong("enable"),
    help: ArgumentHelp("Report CODE (or all) even if --disable names it.", valueName: "code"),
    transform: CodeSelection.parse)
  var enable: [CodeSelection] = []

  @Option(
    help: ArgumentHelp(
      "Fail only on findings not recorded in this baseline file; list the recorded ones that "
        + "are gone.", valueName: "file"))
  var baseline: String?

  @Option(
    name: .customLong("write-baseline"),
    help: ArgumentHelp(
      "Record every current finding in this file and accept them (exit 0 unless an input is "
        + "unreadable).", valueName: "file"))
  var writeBaseline: String?

  @OptionGroup var rules: RulesOptions

  @OptionGroup(title: "Reading inputs") var input: InputArguments

  @Option(help: "How many files to check at once (default: the number of cores).")
  var jobs: Int?

  @Flag(
    name: .customLong("dtb-only"),
    help: "Take only blobs (.dtb, .dtbo) from directories, never sources.")
  var dtbOnly = false

  @Argument(help: "Device tree files and directories.")
  var paths: [String]

  func validate() throws {
    if paths.isEmpty { throw ValidationError("name at least one file or directory") }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
  }

  func execute(_ output: inout TextOutput) -> ExitStatus {
    let pipeline: Pipeline
    let recorded: Baseline?
    do throws(PlanInputError) {
      pipeline = try rules.pipeline(input: input)
      recorded = try baseline.map(Self.readBaseline)
    } catch {
      StandardStream.complain("\(error)")
      return .unreadable
    }
    let found = TreeFinder.find(paths, includeSources: !dtbOnly)
    let bar = ProgressBar(total: found.files.count)
    var progress: (@Sendable (Int) -> Void)?
    if let bar { progress = { bar.update($0) } }
    let linted = Linter.run(
      found.files, pipeline: pipeline, width: jobs ?? Linter.processors, progress: progress)
    bar?.finish()
    let result = LintResult(
      linted, unusablePaths: found.problems.map { ($0.file, $0.reason) },
      policy: LintPolicy(failOn: failOn.severity, strict: strict, disable: disable, enable: enable),
      baseline: recorded, kernel: pipeline.build.version,
      workingDirectory: FileManager.default.currentDirectoryPath)

    var status = ExitStatus(rawValue: result.exitCode) ?? .unreadable
    if let writeBaseline {
      do throws(PlanInputError) {
        try Self.write(BaselineRenderer.render(result.baseline), to: writeBaseline)
      } catch {
        StandardStream.complain("\(error)")
        return .unreadable
      }
      status = result.everyInputRead ? .success : .unreadable
    }
    switch format {
    case .text: LintTextRenderer.render(result, to: &output)
    case .json: LintJSONRenderer.render(result, to: &output)
    case .sarif:
      SARIFRenderer.render(
        result, toolVersion: IOMMUPlanCommand.configuration.version, exitCode: status.rawValue,
        to: &output)
    case .github: GitHubRenderer.render(result, to: &output)
    }
    if format == .json || format == .sarif {
      // Machine formats carry the failure inside; a person reading the log
      // should still see it.
      for file in result.files {
        if let failure = file.failure { StandardStream.complain("\(file.path): \(failure)") }
      }
      for unusable in result.unusablePaths {
        StandardStream.complain("\(unusable.path): \(unusable.reason)")
      }
    }
    return status
  }

  private static func readBaseline(_ path: String) throws(PlanInputError) -> Baseline {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PlanInputError(file: path, reason: "cannot read the baseline")
    }
    do {
      return try Baseline(parsing: [UInt8](data))
    } catch {
      throw PlanInputError(file: path, reason: error.reason)
    }
  }

  private static func write(_ text: String, to path: String) throws(PlanInputError) {
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw PlanInputError(file: path, reason: "cannot write the baseline: \(error)")
    }
  }
}
