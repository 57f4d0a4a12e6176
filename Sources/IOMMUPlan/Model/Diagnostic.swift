// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// One finding about one node (or the whole file when `node` is nil).
public struct Diagnostic: Hashable, Sendable {
  public let severity: Severity
  public let code: DiagnosticCode
  public let node: NodeID?
  public let property: String?
  /// One lowercase line naming the values involved.
  public let message: String

  public init(
    _ code: DiagnosticCode, node: NodeID?, property: String?, _ message: String,
    severity: Severity? = nil
  ) {
    self.severity = severity ?? code.defaultSeverity
    self.code = code
    self.node = node
    self.property = property
    self.message = message
  }

  /// The same finding reported with another severity (`--strict`).
  public func with(severity: Severity) -> Diagnostic {
    Diagnostic(code, node: node, property: property, message, severity: severity)
  }
}
