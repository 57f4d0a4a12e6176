/// SARIF 2.1.0 (OASIS), the format code-scanning services ingest: one run,
/// whose tool lists every diagnostic code as a rule and whose results are
/// the reported findings.
///
/// - Rules come from the table (`DiagnosticCode.allCases`, in its order, so
///   `ruleIndex` is stable): id = code, short and full description = summary,
///   help = remedy, default level = default severity.
/// - A result names the file as its artifact (relative to the working
///   directory when below it) and the node path as its logical location
///   (kind `element`: a node is to a device tree what an element is to XML,
///   and its properties are the attributes). A blob has no lines, so there
///   is no region; the message leads with `/node/path:property:`.
/// - `partialFingerprints` hash the baseline's key (file, node, code) and the
///   property, so an alert keeps its identity when phandles are renumbered.
/// - An unreadable file is a `toolExecutionNotifications` entry of the
///   invocation, as is a baseline finding that is gone. `--disable` and
///   `--strict` appear as `ruleConfigurationOverrides`. With `--baseline`,
///   results carry `baselineState`, and recorded ones an accepted external
///   suppression.
public enum SARIFRenderer {
  public static let identifier = "sarif"
  public static let schemaURI =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
  static let fingerprintKey = "iommuPlanFinding/v1"

  static let notifications: [(id: String, text: String)] = [
    ("unreadable", "An input could not be read or is not a device tree; it was not checked."),
    ("baseline_fixed", "A finding recorded in the baseline is no longer found."),
  ]

  /// The log of one run. `exitCode` is the run's exit status when it is not
  /// the result's own (`--write-baseline` accepts every finding).
  public static func render(_ result: LintResult, toolVersion: String, exitCode: Int32? = nil)
    -> String
  {
    let run: JSONValue = .object([
      ("tool", .object([("driver", driver(toolVersion))])),
      ("invocations", .array([invocation(result, exitCode: exitCode ?? result.exitCode)])),
      ("results", .array(results(result))),
    ])
    let log: JSONValue = .object([
      ("$schema", .string(schemaURI)), ("version", .string("2.1.0")), ("runs", .array([run])),
    ])
    return log.serialized() + "\n"
  }

  private static func driver(_ version: String) -> JSONValue {
    .object([
      ("name", .string("iommu-plan")),
      ("version", .string(version)),
      (
        "notifications",
        .array(
          notifications.map {
            .object([("id", .string($0.id)), ("shortDescription", message($0.text))])
          })
      ),
      ("rules", .array(DiagnosticCode.allCases.map(rule))),
    ])
  }

  private static func rule(_ code: DiagnosticCode) -> JSONValue {
    .object([
      ("id", .string(code.rawValue)),
      ("name", .string(code.rawValue.split(separator: "_").map(\.capitalized).joined())),
      ("shortDescription", message(code.summary)),
      ("fullDescription", message(sentence(code.summary))),
      ("help", message(sentence(code.remedy))),
      ("defaultConfiguration", .object([("level", .string(code.defaultSeverity.rawValue))])),
    ])
  }

  private static func invocation(_ result: LintResult, exitCode: Int32) -> JSONValue {
    var overrides: [JSONValue] = []
    for (index, code) in DiagnosticCode.allCases.enumerated() {
      if !result.policy.isEnabled(code) {
        overrides.append(override(code, index, ("enabled", .bool(false))))
      } else if result.policy.severity(code.defaultSeverity) != code.defaultSeverity {
        let level = result.policy.severity(code.defaultSeverity).rawValue
        overrides.append(override(code, index, ("level", .string(level))))
      }
    }
    var notes: [JSONValue] = []
    for file in result.files {
      if let failure = file.failure {
        notes.append(
          notification(0, "error", "\(file.path): \(failure)", file: file.key, path: nil))
      }
      for fixed in file.fixed {
        notes.append(
          notification(
            1, "note", LintTextRenderer.fixedLine(fixed, file: file.path), file: file.key,
            path: fixed.key.path))
      }
    }
    return .object([
      ("executionSuccessful", .bool(result.unreadableCount == 0)),
      ("exitCode", .number(exitCode)),
      ("ruleConfigurationOverrides", .array(overrides)),
      ("toolExecutionNotifications", .array(notes)),
    ])
  }

  private static func override(
    _ code: DiagnosticCode, _ index: Int, _ setting: (String, JSONValue)
  ) -> JSONValue {
    .object([
      ("descriptor", .object([("id", .string(code.rawValue)), ("index", .number(index))])),
      ("configuration", .object([setting])),
    ])
  }

  private static func notification(
    _ descriptor: Int, _ level: String, _ text: String, file: String, path: String?
  ) -> JSONValue {
    .object([
      (
        "descriptor",
        .object([("id", .string(notifications[descriptor].id)), ("index", .number(descriptor))])
      ),
      ("level", .string(level)),
      ("message", message(text)),
      ("locations", .array([location(file: file, path: path, property: nil)])),
    ])
  }

  private static func results(_ result: LintResult) -> [JSONValue] {
    var out: [JSONValue] = []
    for file in result.files {
      var occurrences: [String: Int] = [:]
      for finding in file.findings {
        let diagnostic = finding.diagnostic
        // Findings that share everything but the message are told apart by
        // their order, which the report keeps stable.
        let identity = [
          file.key, diagnostic.path ?? "", diagnostic.code.rawValue, diagnostic.property ?? "",
        ].joined(separator: "\u{0}")
        occurrences[identity, default: 0] += 1
        let fingerprint = fingerprint(identity + "\u{0}\(occurrences[identity] ?? 1)")
        out.append(self.result(finding, file: file.key, fingerprint: fingerprint))
      }
    }
    return out
  }

  private static let ruleIndex = Dictionary(
    uniqueKeysWithValues: DiagnosticCode.allCases.enumerated().map { ($1, $0) })

  private static func result(_ finding: LintResult.Finding, file: String, fingerprint: String)
    -> JSONValue
  {
    let diagnostic = finding.diagnostic
    var place = diagnostic.path ?? ""
    if let property = diagnostic.property { place += ":" + property }
    var members: [(String, JSONValue)] = [
      ("ruleId", .string(diagnostic.code.rawValue)),
      ("ruleIndex", .number(ruleIndex[diagnostic.code] ?? 0)),
      ("level", .string(diagnostic.severity.rawValue)),
      ("message", message((place.isEmpty ? "" : place + ": ") + diagnostic.message)),
      (
        "locations",
        .array([location(file: file, path: diagnostic.path, property: diagnostic.property)])
      ),
      ("partialFingerprints", .object([(fingerprintKey, .string(fingerprint))])),
    ]
    guard let state = finding.baselineState else { return .object(members) }
    members.append(("baselineState", .string(state.rawValue)))
    if state == .unchanged {
      let suppression: JSONValue = .object([
        ("kind", .string("external")), ("status", .string("accepted")),
        ("justification", .string("recorded in the iommu-plan baseline")),
      ])
      members.append(("suppressions", .array([suppression])))
    }
    return .object(members)
  }

  private static func location(file: String, path: String?, property: String?) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("physicalLocation", .object([("artifactLocation", .object([("uri", .string(uri(file)))]))]))
    ]
    if let path {
      var logical: [JSONValue] = [
        .object([
          ("name", .string(path == "/" ? "/" : String(path.split(separator: "/").last ?? ""))),
          ("fullyQualifiedName", .string(path)),
          ("kind", .string("element")),
        ])
      ]
      if let property {
        logical.append(
          .object([
            ("name", .string(property)),
            ("fullyQualifiedName", .string(path + ":" + property)),
            ("kind", .string("attribute")),
          ]))
      }
      members.append(("logicalLocations", .array(logical)))
    }
    return .object(members)
  }

  private static func message(_ text: String) -> JSONValue { .object([("text", .string(text))]) }

  /// "an `iommus` phandle ..." -> "An `iommus` phandle ....".
  private static func sentence(_ text: String) -> String {
    guard let first = text.first else { return text }
    return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") ? "" : ".")
  }

  /// A URI reference for a file key: relative paths stay relative (as
  /// GitHub wants them, against the checkout), absolute ones become
  /// `file://` URIs. Bytes outside RFC 3986's path characters are
  /// percent-encoded; so is `:`, which would otherwise read as a scheme.
  public static func uri(_ path: String) -> String {
    let allowed = Set(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=@".utf8)
    var encoded = ""
    for byte in path.utf8 {
      if allowed.contains(byte) {
        encoded.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        let digits = String(byte, radix: 16, uppercase: true)
        encoded += "%" + (digits.count == 1 ? "0" : "") + digits
      }
    }
    return path.hasPrefix("/") ? "file://" + encoded : encoded
  }

  /// 64-bit FNV-1a as 16 hex digits: stable across runs, machines and
  /// Swift versions (unlike `Hasher`), and enough to tell findings apart.
  static func fingerprint(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    let digits = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
