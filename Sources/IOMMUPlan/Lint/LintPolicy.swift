// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// `--disable` / `--enable` arguments: one code, or `all`.
public enum CodeSelection: Hashable, Sendable {
  case all
  case code(DiagnosticCode)

  /// Accepts a code from the table or `all`; nil for anything else.
  public init?(_ text: String) {
    if text == "all" {
      self = .all
    } else if let code = DiagnosticCode(rawValue: text) {
      self = .code(code)
    } else {
      return nil
    }
  }

  var codes: Set<DiagnosticCode> {
    switch self {
    case .all: Set(DiagnosticCode.allCases)
    case .code(let code): [code]
    }
  }
}

/// What `lint` reports and what fails the run: the severity threshold,
/// `--strict`, and the codes switched off.
///
/// Every code is on by default. `--disable` switches codes off and `--enable`
/// switches them back on, whatever order they were given in, so
/// `--disable all --enable dependency_cycle` checks one thing only.
public struct LintPolicy: Hashable, Sendable {
  /// The lowest severity that fails the run (`--fail-on`).
  public var failOn: Severity
  /// Warnings are reported, and count, as errors (swift-format's `--strict`).
  public var strict: Bool
  public var disabled: Set<DiagnosticCode>

  public init(
    failOn: Severity = .error, strict: Bool = false, disable: [CodeSelection] = [],
    enable: [CodeSelection] = []
  ) {
    self.failOn = failOn
    self.strict = strict
    let off = disable.reduce(into: Set<DiagnosticCode>()) { $0.formUnion($1.codes) }
    let on = enable.reduce(into: Set<DiagnosticCode>()) { $0.formUnion($1.codes) }
    disabled = off.subtracting(on)
  }

  public func isEnabled(_ code: DiagnosticCode) -> Bool { !disabled.contains(code) }

  /// The severity a finding is reported with.
  public func severity(_ severity: Severity) -> Severity {
    strict && severity == .warning ? .error : severity
  }

  /// The enabled findings, each with the severity it is reported with, in
  /// the report's order.
  public func apply(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
    diagnostics.filter { isEnabled($0.code) }.map { diagnostic in
      let reported = severity(diagnostic.severity)
      guard reported != diagnostic.severity else { return diagnostic }
      return diagnostic.with(severity: reported)
    }
  }

  /// Whether a finding reported with this severity fails the run.
  public func fails(_ severity: Severity) -> Bool { severity >= failOn }
}
