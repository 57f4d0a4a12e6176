// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser

@main
struct IOMMUPlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "iommu-plan",
    abstract: "Which devices sit behind which IOMMU, read from a device tree as Linux reads it.",
    discussion: """
      Exit codes: 0 report produced; 1 report produced with error-level findings; \
      2 an input could not be read or is not a valid device tree (one line on stderr \
      names the file and the reason); 64 usage error.
      """,
    version: "0.1.0",
    subcommands: [
      ReportCommand.self, ExplainCommand.self, LintCommand.self, DiffCommand.self,
      VerifyCommand.self,
    ],
    defaultSubcommand: ReportCommand.self
  )
}
