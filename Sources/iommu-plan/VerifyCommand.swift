// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree
import IOMMUPlan
import Renderers

struct VerifyCommand: PlanCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the plan against what a booted kernel did, device by device.",
    discussion: """
      ROOT is / on the target, or a copy of the paths iommu-plan-capture takes (sys/firmware/fdt, \
      sys/kernel/iommu_groups, sys/bus/{platform,pci}/devices and the sys/devices directories \
      they link to, sys/kernel/debug/devices_deferred, proc/modules, proc/cmdline, \
      proc/sys/kernel/osrelease, proc/config.gz). The booted tree is planned with the build the \
      capture shows: its release, loaded modules, config, and the command line's \
      deferred_probe_timeout= and fw_devlink.strict=; options given here win. Exit codes: 0 every \
      device as predicted (or still deferred); 1 a mismatch; 2 the capture cannot be used; 64 \
      usage error.
      """
  )

  @Option(
    help: ArgumentHelp(
      "Output format: text, json, sarif (SARIF 2.1.0) or github (workflow annotations).",
      valueName: "format"))
  var format: LintFormat = .text

  @Option(help: ArgumentHelp("The root of the booted system or of its capture.", valueName: "dir"))
  var root: String

  @OptionGroup var rules: RulesOptions

  func execute(_ output: inout TextOutput) -> ExitStatus {
    let capture: Capture
    var pipeline: Pipeline
    do throws(PlanInputError) {
      capture = try Capture.read(root: root)
      pipeline = try rules.pipeline()
      pipeline.build = try CaptureFacts.build(
        pipeline.build, from: capture,
        given: CaptureFacts.Given(
          kernelVersion: rules.kernelVersion != nil, config: rules.config != nil,
          deferredProbeTimeout: rules.deferredProbeTimeout != nil))
    } catch {
      StandardStream.complain("\(error)")
      return .unreadable
    }
    guard let first = pipeline.single(capture.blob).report else {
      StandardStream.complain(
        "\(printable(capture.blob)): \(printable(pipeline.single(capture.blob).failure ?? ""))")
      return .unreadable
    }
    let given = Set(rules.modules + rules.builtins + rules.absents)
    for (module, mode) in CaptureFacts.overrides(first, capture, keeping: given) {
      pipeline.build.overrides[module] = mode
    }
    guard let report = pipeline.single(capture.blob).report else { return .unreadable }
    let verification = Verification(report: report, capture: capture)
    switch format {
    case .text: VerifyTextRenderer.render(verification, report, capture, to: &output)
    case .json: VerifyJSONRenderer.render(verification, report, capture, to: &output)
    case .sarif:
      VerifySARIFRenderer.render(
        verification, report, capture, toolVersion: IOMMUPlanCommand.configuration.version,
        to: &output)
    case .github: VerifyGitHubRenderer.render(verification, report, capture, to: &output)
    }
    return verification.exitCode == 0 ? .success : .findings
  }
}
