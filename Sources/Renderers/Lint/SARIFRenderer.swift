// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

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
///   is no region; the message leads with `/node/path:property:`. For a
///   tree compiled from source the artifact is the file where the property
///   (or node) is written, with its region, and the board is a related
///   location.
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
    var output = TextOutput()
    render(result, toolVersion: toolVersion, exitCode: exitCode, to: &output)
    return output.text
  }

  public static func render(
    _ result: LintResult, toolVersion: String, exitCode: Int32? = nil,
    to output: inout TextOutput
  ) {
    JSONWriter.write(to: &output) { json in
      json.beginObject()
      json.key("$schema")
      json.string(schemaURI)
      json.key("version")
      json.string("2.1.0")
      json.key("runs")
      json.beginArray()
      json.beginObject()
      json.key("tool")
      json.beginObject()
      json.key("driver")
      driver(toolVersion, &json)
      json.endObject()
      json.key("invocations")
      json.beginArray()
      invocation(result, exitCode: exitCode ?? result.exitCode, &json)
      json.endArray()
      json.key("results")
      json.beginArray()
      results(result, &json)
      json.endArray()
      json.endObject()
      json.endArray()
      json.endObject()
    }
    output.write("\n")
  }

  private static func driver(_ version: String, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("name")
    json.string("iommu-plan")
    json.key("version")
    json.string(version)
    json.key("notifications")
    json.beginArray()
    for notification in notifications {
      json.beginObject()
      json.key("id")
      json.string(notification.id)
      json.key("shortDescription")
      message(notification.text, &json)
      json.endObject()
    }
    json.endArray()
    json.key("rules")
    json.beginArray()
    for code in DiagnosticCode.allCases { rule(code, &json) }
    json.endArray()
    json.endObject()
  }

  private static func rule(_ code: DiagnosticCode, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("id")
    json.string(code.rawValue)
    json.key("name")
    json.string(
      code.rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }
        .joined())
    json.key("shortDescription")
    message(code.summary, &json)
    json.key("fullDescription")
    message(sentence(code.summary), &json)
    json.key("help")
    message(sentence(code.remedy), &json)
    json.key("defaultConfiguration")
    json.beginObject()
    json.key("level")
    json.string(code.defaultSeverity.rawValue)
    json.endObject()
    json.endObject()
  }

  private static func invocation(
    _ result: LintResult, exitCode: Int32, _ json: inout JSONWriter
  ) {
    json.beginObject()
    json.key("executionSuccessful")
    json.bool(result.everyInputRead)
    json.key("exitCode")
    json.number(exitCode)
    json.key("ruleConfigurationOverrides")
    json.beginArray()
    for (index, code) in DiagnosticCode.allCases.enumerated() {
      if !result.policy.isEnabled(code) {
        override(code, index, &json) { json in
          json.key("enabled")
          json.bool(false)
        }
      } else if result.policy.severity(code.defaultSeverity) != code.defaultSeverity {
        override(code, index, &json) { json in
          json.key("level")
          json.string(result.policy.severity(code.defaultSeverity).rawValue)
        }
      }
    }
    json.endArray()
    json.key("toolExecutionNotifications")
    json.beginArray()
    for unusable in result.unusablePaths {
      notification(
        0, "error", "\(unusable.path): \(unusable.reason)",
        file: unusable.key, path: nil, &json)
    }
    for file in result.files {
      if let failure = file.failure {
        notification(0, "error", "\(file.path): \(failure)", file: file.key, path: nil, &json)
      }
      for fixed in file.fixed {
        notification(
          1, "note", LintTextRenderer.fixedLine(fixed, file: file.path), file: file.key,
          path: fixed.key.path, &json)
      }
    }
    json.endArray()
    json.endObject()
  }

  private static func override(
    _ code: DiagnosticCode, _ index: Int, _ json: inout JSONWriter,
    _ setting: (inout JSONWriter) -> Void
  ) {
    json.beginObject()
    json.key("descriptor")
    json.beginObject()
    json.key("id")
    json.string(code.rawValue)
    json.key("index")
    json.number(index)
    json.endObject()
    json.key("configuration")
    json.beginObject()
    setting(&json)
    json.endObject()
    json.endObject()
  }

  private static func notification(
    _ descriptor: Int, _ level: String, _ text: String, file: String, path: String?,
    _ json: inout JSONWriter
  ) {
    json.beginObject()
    json.key("descriptor")
    json.beginObject()
    json.key("id")
    json.string(notifications[descriptor].id)
    json.key("index")
    json.number(descriptor)
    json.endObject()
    json.key("level")
    json.string(level)
    json.key("message")
    message(text, &json)
    json.key("locations")
    json.beginArray()
    location(file: file, path: path, property: nil, &json)
    json.endArray()
    json.endObject()
  }

  private static func results(_ result: LintResult, _ json: inout JSONWriter) {
    for file in result.files {
      guard let report = file.report else { continue }
      var occurrences: [String: Int] = [:]
      for finding in file.findings {
        let diagnostic = finding.diagnostic
        let path = diagnostic.node.map { report.nodes.path($0) }
        // Findings that share everything but the message are told apart by
        // their order, which the report keeps stable.
        let identity = [
          file.key, path ?? "", diagnostic.code.rawValue, diagnostic.property ?? "",
        ].joined(separator: "\u{0}")
        occurrences[identity, default: 0] += 1
        let fingerprint = fingerprint(identity + "\u{0}\(occurrences[identity] ?? 1)")
        self.result(
          finding, path: path, file: file.key,
          position: report.sources?.position(of: diagnostic), fingerprint: fingerprint, &json)
      }
    }
  }

  private static let ruleIndex = Dictionary(
    uniqueKeysWithValues: DiagnosticCode.allCases.enumerated().map { ($1, $0) })

  private static func result(
    _ finding: LintResult.Finding, path: String?, file: String, position: SourcePosition?,
    fingerprint: String, _ json: inout JSONWriter
  ) {
    let diagnostic = finding.diagnostic
    var place = path ?? ""
    if let property = diagnostic.property { place += ":" + property }
    json.beginObject()
    json.key("ruleId")
    json.string(diagnostic.code.rawValue)
    json.key("ruleIndex")
    json.number(ruleIndex[diagnostic.code] ?? 0)
    json.key("level")
    json.string(diagnostic.severity.rawValue)
    json.key("message")
    message((place.isEmpty ? "" : place + ": ") + diagnostic.message, &json)
    json.key("locations")
    json.beginArray()
    location(
      file: position?.file ?? file, region: position, path: path, property: diagnostic.property,
      &json)
    json.endArray()
    if position != nil {
      json.key("relatedLocations")
      json.beginArray()
      json.beginObject()
      json.key("id")
      json.number(1)
      physicalLocation(file: file, region: nil, &json)
      json.key("message")
      message("the board this finding is in", &json)
      json.endObject()
      json.endArray()
    }
    json.key("partialFingerprints")
    json.beginObject()
    json.key(data: fingerprintKey)
    json.string(fingerprint)
    json.endObject()
    if let state = finding.baselineState {
      json.key("baselineState")
      json.string(state.rawValue)
      if state == .unchanged {
        json.key("suppressions")
        json.beginArray()
        json.beginObject()
        json.key("kind")
        json.string("external")
        json.key("status")
        json.string("accepted")
        json.key("justification")
        json.string("recorded in the iommu-plan baseline")
        json.endObject()
        json.endArray()
      }
    }
    json.endObject()
  }

  private static func location(
    file: String, region: SourcePosition? = nil, path: String?, property: String?,
    _ json: inout JSONWriter
  ) {
    json.beginObject()
    physicalLocation(file: file, region: region, &json)
    if let path {
      json.key("logicalLocations")
      json.beginArray()
      json.beginObject()
      json.key("name")
      json.string(path == "/" ? "/" : String(path.split(separator: "/").last ?? ""))
      json.key("fullyQualifiedName")
      json.string(path)
      json.key("kind")
      json.string("element")
      json.endObject()
      if let property {
        json.beginObject()
        json.key("name")
        json.string(property)
        json.key("fullyQualifiedName")
        json.string(path + ":" + property)
        json.key("kind")
        json.string("attribute")
        json.endObject()
      }
      json.endArray()
    }
    json.endObject()
  }

  /// `"physicalLocation": {artifactLocation, region}`, the region being
  /// dtc's span of the property or node.
  private static func physicalLocation(
    file: String, region: SourcePosition?, _ json: inout JSONWriter
  ) {
    json.key("physicalLocation")
    json.beginObject()
    json.key("artifactLocation")
    json.beginObject()
    json.key("uri")
    json.string(uri(file))
    json.endObject()
    if let region {
      json.key("region")
      json.beginObject()
      json.key("startLine")
      json.number(region.line)
      json.key("startColumn")
      json.number(region.column)
      json.key("endLine")
      json.number(region.endLine)
      json.key("endColumn")
      json.number(region.endColumn)
      json.endObject()
    }
    json.endObject()
  }

  private static func message(_ text: String, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("text")
    json.string(text)
    json.endObject()
  }

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
