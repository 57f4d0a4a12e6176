import DeviceTree

/// One input of a run over several files: its report, or why there is none.
///
/// In a batch a bad file does not stop the others; it keeps its place in
/// the output, so that output lines up with the arguments.
public enum BatchEntry: Sendable {
  case report(Report)
  /// The file as the user named it, and the one-line reason.
  case failure(path: String, reason: String)

  public var report: Report? {
    if case .report(let report) = self { report } else { nil }
  }
}

extension JSONRenderer {
  /// An array in argument order. A file that could not be read is an object
  /// of the report's shape with empty lists and an `error` string, so that
  /// `.[].links[]` still works and `.[] | select(.error)` finds it.
  public static func render(batch entries: [BatchEntry]) -> String {
    let documents = entries.map { entry in
      switch entry {
      case .report(let report): document(report)
      case .failure(let path, let reason): failure(path: path, reason: reason)
      }
    }
    return JSONValue.array(documents).serialized() + "\n"
  }

  static func failure(path: String, reason: String) -> JSONValue {
    .object([
      ("schema_version", .number(schemaVersion)),
      (
        "input",
        .object([("path", .string(path)), ("model", .null), ("compatible", .array([]))])
      ),
      ("error", .string(reason)),
      ("iommus", .array([])),
      ("links", .array([])),
      ("plan", .null),
      ("diagnostics", .array([])),
    ])
  }
}

extension TextRenderer {
  /// The reports in argument order; a file that could not be read gets one
  /// line, `FILE: not read: REASON`, in its place.
  public static func render(batch entries: [BatchEntry]) -> String {
    entries.map { entry in
      switch entry {
      case .report(let report): render(report)
      case .failure(let path, let reason): "\(printable(path)): not read: \(printable(reason))\n"
      }
    }.joined(separator: "\n")
  }
}
