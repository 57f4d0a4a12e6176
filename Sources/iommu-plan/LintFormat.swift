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
  /// `--disable` / `--enable`: a code from the README's table, or `all`. An
  /// unknown code is a usage error (exit 64), so that a typo cannot quietly
  /// switch nothing off.
  static func parse(_ text: String) throws -> CodeSelection {
    guard let selection = CodeSelection(text) else {
      throw ValidationError(
        "unknown diagnostic code '\(text)' (the codes are listed in the README's Diagnostics "
          + "table; 'all' selects every code)")
    }
    return selection
  }
}
