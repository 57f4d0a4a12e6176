// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The findings one stage makes, in the order it makes them; the report
/// sorts them all at the end.
struct Findings: Sendable {
  private(set) var list: [Diagnostic] = []

  mutating func report(
    _ code: DiagnosticCode, _ node: NodeID?, _ property: String?, _ message: String
  ) {
    list.append(Diagnostic(code, node: node, property: property, message))
  }

  mutating func append(_ diagnostics: [Diagnostic]) { list.append(contentsOf: diagnostics) }
}
