// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// `lint`'s default output, in the manner of dtc's messages: one line per
/// finding, `FILE: severity [code] /node/path:property: message`, files in
/// sorted order, then one summary line.
///
/// An unreadable file gets `FILE: error [unreadable] reason`; `unreadable` is
/// not a diagnostic code (it cannot be disabled or baselined). With a
/// baseline, findings recorded in it are not printed, and each recorded one
/// that is gone gets `FILE: fixed [code] /node/path: ...`, so the baseline
/// can be refreshed.
public enum LintTextRenderer: Renderer {
  public static let identifier = "text"

  public static func render(_ result: LintResult, to output: inout TextOutput) {
    for unusable in result.unusablePaths {
      output.write("\(unusable.path): error [unreadable] \(unusable.reason)\n")
    }
    for file in result.files {
      if let failure = file.failure {
        output.write("\(file.path): error [unreadable] \(failure)\n")
      }
      if let report = file.report {
        for finding in file.findings where finding.baselineState != .unchanged {
          TextRenderer.line(finding.diagnostic, report, file: file.path, to: &output)
          output.write("\n")
        }
      }
      for fixed in file.fixed {
        output.write(fixedLine(fixed, file: file.path) + "\n")
      }
    }
    output.write(summary(result) + "\n")
  }

  static func fixedLine(_ fixed: LintResult.Fixed, file: String) -> String {
    let place = fixed.key.path.map { "\($0): " } ?? ""
    let times = fixed.count == 1 ? "" : " (\(fixed.count) findings)"
    return
      "\(file): fixed [\(fixed.key.code.rawValue)] \(place)in the baseline, no longer found\(times)"
  }

  /// `checked 576 files (0 unreadable): 0 errors, 262 warnings, 92 notes`,
  /// and with a baseline `... notes not in the baseline; 40 in it, 2 fixed`.
  public static func summary(_ result: LintResult) -> String {
    let counts = Severity.allCases.reversed().map { counted(result.count($0), $0.rawValue) }
    let unusable = result.unusablePaths.count
    var line =
      "checked \(counted(result.files.count, "file")) (\(result.unreadableCount) unreadable"
      + (unusable == 0 ? "" : "; \(counted(unusable, "path")) with nothing to check") + "): "
      + counts.joined(separator: ", ")
    if result.usesBaseline {
      line += " not in the baseline; \(result.unchangedCount) in it, \(result.fixedCount) fixed"
    }
    return line
  }
}
