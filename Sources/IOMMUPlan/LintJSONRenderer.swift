/// `lint --format json`: an array with one object per file, in the sorted
/// order of the text output, each the per-file object of json-output.md plus
/// two fields:
/// - `error`: null, or why the file could not be read (its lists are empty);
/// - with `--baseline`, `baseline_fixed`: the recorded findings no longer
///   found, and on each diagnostic `baseline_state`: `new` or `unchanged`.
///
/// `diagnostics` holds the enabled findings with the severity they are
/// reported with (`--strict` applied), including those in the baseline.
public enum LintJSONRenderer {
  public static let identifier = "json"

  public static func render(_ result: LintResult) -> String {
    JSONValue.array(result.files.map { document($0, result) }).serialized() + "\n"
  }

  static func document(_ file: LintResult.File, _ result: LintResult) -> JSONValue {
    var members: [(String, JSONValue)]
    if let report = file.report, case .object(let contract) = JSONRenderer.document(report) {
      members = contract
    } else {
      members = [
        ("schema_version", .number(JSONRenderer.schemaVersion)),
        (
          "input",
          .object([("path", .string(file.path)), ("model", .null), ("compatible", .array([]))])
        ),
        ("kernel_version", .string(result.kernel.description)),
        ("iommus", .array([])), ("links", .array([])), ("plan", .null),
        ("diagnostics", .array([])),
      ]
    }
    let diagnostics = JSONValue.array(file.findings.map(finding))
    members = members.map { $0.0 == "diagnostics" ? ("diagnostics", diagnostics) : $0 }
    members.append(("error", .optional(file.failure)))
    if result.usesBaseline {
      members.append(("baseline_fixed", .array(file.fixed.map(fixed))))
    }
    return .object(members)
  }

  private static func finding(_ finding: LintResult.Finding) -> JSONValue {
    let diagnostic = finding.diagnostic
    var members: [(String, JSONValue)] = [
      ("severity", .string(diagnostic.severity.rawValue)),
      ("code", .string(diagnostic.code.rawValue)),
      ("path", .optional(diagnostic.path)),
      ("property", .optional(diagnostic.property)),
      ("message", .string(diagnostic.message)),
    ]
    if let state = finding.baselineState {
      members.append(("baseline_state", .string(state.rawValue)))
    }
    return .object(members)
  }

  private static func fixed(_ fixed: LintResult.Fixed) -> JSONValue {
    .object([
      ("code", .string(fixed.key.code)), ("path", .optional(fixed.key.path)),
      ("count", .number(fixed.count)),
    ])
  }
}
