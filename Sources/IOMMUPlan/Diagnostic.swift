/// One finding about one node (or the whole file when `path` is nil).
public struct Diagnostic: Hashable, Sendable {
  public let severity: Severity
  public let code: DiagnosticCode
  public let path: String?
  public let property: String?
  /// One lowercase line naming the values involved.
  public let message: String

  public init(
    _ code: DiagnosticCode, path: String?, property: String?, _ message: String,
    severity: Severity? = nil
  ) {
    self.severity = severity ?? code.defaultSeverity
    self.code = code
    self.path = path
    self.property = property
    self.message = message
  }

  /// Path (file-level first), then code, then message: the JSON contract's
  /// order, with the message as a tie-break so output is byte-stable.
  static func ordered(_ lhs: Diagnostic, _ rhs: Diagnostic) -> Bool {
    let left = (lhs.path ?? "", lhs.code.rawValue, lhs.property ?? "", lhs.message)
    let right = (rhs.path ?? "", rhs.code.rawValue, rhs.property ?? "", rhs.message)
    if (lhs.path == nil) != (rhs.path == nil) { return lhs.path == nil }
    return left < right
  }
}
