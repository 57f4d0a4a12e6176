// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import IOMMUPlan

enum LintFormat: String, ExpressibleByArgument, CaseIterable {
  case text
  case json
  case sarif
  case github
}

/// `--fail-on`: the lowest severity that fails the run.
enum FailLevel: String, ExpressibleByArgument, CaseIterable {
  case error
  case warning
  case note

  var severity: Severity {
    switch self {
    case .error: .error
    case .warning: .warning
    case .note: .note
    }
  }
}

extension CodeSelection {
  /// `--disable` / `--enable`: a code of docs/diagnostics.md, or `all`. An
  /// unknown code is a usage error (exit 64), so that a typo cannot quietly
  /// switch nothing off.
  static func parse(_ text: String) throws -> CodeSelection {
    guard let selection = CodeSelection(text) else {
      // Codes are snake_case; a kebab-case or capitalised spelling is the
      // likely slip, and otherwise the whole list is the help.
      let spelled = String(text.lowercased().map { $0 == "-" ? "_" : $0 })
      let hint =
        DiagnosticCode(rawValue: spelled).map { "did you mean '\($0.rawValue)'?" }
        ?? "codes: " + DiagnosticCode.allCases.map(\.rawValue).joined(separator: ", ")
        + "; 'all' selects every code"
      throw ValidationError("unknown diagnostic code '\(text)' (\(hint))")
    }
    return selection
  }
}
