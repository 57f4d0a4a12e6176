// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `verify --format sarif`: one SARIF 2.1.0 run whose results are the
/// devices that are not as predicted: a mismatch is an error, a device still
/// deferred a note. The artifact is the capture's `sys/firmware/fdt` (the
/// tree the kernel booted with), the node path the logical location.
public enum VerifySARIFRenderer {
  public static let identifier = "sarif"

  static let rules: [(kind: Verification.Kind, level: String, text: String)] = [
    (
      .mismatch, "error",
      "A device did otherwise than the plan for the tree and build it booted with predicts."
    ),
    (.stillDeferred, "note", "A device is still waiting to probe (debugfs devices_deferred)."),
  ]

  public static func render(
    _ verification: Verification, _ report: Report, _ capture: Capture, toolVersion: String,
    to output: inout TextOutput
  ) {
    JSONWriter.write(to: &output) { json in
      json.beginObject()
      json.key("$schema")
      json.string(SARIFRenderer.schemaURI)
      json.key("version")
      json.string("2.1.0")
      json.key("runs")
      json.beginArray()
      json.beginObject()
      json.key("tool")
      json.beginObject()
      json.key("driver")
      json.beginObject()
      json.key("name")
      json.string("iommu-plan")
      json.key("version")
      json.string(toolVersion)
      json.key("rules")
      json.beginArray()
      for rule in rules {
        json.beginObject()
        json.key("id")
        json.string(rule.kind.rawValue)
        json.key("shortDescription")
        text(rule.text, &json)
        json.key("defaultConfiguration")
        json.beginObject()
        json.key("level")
        json.string(rule.level)
        json.endObject()
        json.endObject()
      }
      json.endArray()
      json.endObject()
      json.endObject()
      json.key("invocations")
      json.beginArray()
      json.beginObject()
      json.key("executionSuccessful")
      json.bool(true)
      json.key("exitCode")
      json.number(Int(verification.exitCode))
      json.endObject()
      json.endArray()
      json.key("results")
      json.beginArray()
      for verdict in verification.verdicts where verdict.kind != .asPredicted {
        result(verdict, report, capture, &json)
      }
      json.endArray()
      json.endObject()
      json.endArray()
      json.endObject()
    }
    output.write("\n")
  }

  private static func result(
    _ verdict: Verification.Verdict, _ report: Report, _ capture: Capture,
    _ json: inout JSONWriter
  ) {
    let index = rules.firstIndex { $0.kind == verdict.kind } ?? 0
    json.beginObject()
    json.key("ruleId")
    json.string(verdict.kind.rawValue)
    json.key("ruleIndex")
    json.number(index)
    json.key("level")
    json.string(rules[index].level)
    json.key("message")
    text("\(VerifyTextRenderer.device(verdict, report)): \(verdict.detail)", &json)
    json.key("locations")
    json.beginArray()
    json.beginObject()
    json.key("physicalLocation")
    json.beginObject()
    json.key("artifactLocation")
    json.beginObject()
    json.key("uri")
    json.string(SARIFRenderer.uri(capture.blob))
    json.endObject()
    json.endObject()
    let path = verdict.device.ofNode ?? verdict.node.map { report.nodes.path($0) }
    if let path {
      json.key("logicalLocations")
      json.beginArray()
      json.beginObject()
      json.key("fullyQualifiedName")
      json.string(path)
      json.key("kind")
      json.string("element")
      json.endObject()
      json.endArray()
    }
    json.endObject()
    json.endArray()
    json.key("partialFingerprints")
    json.beginObject()
    json.key(data: SARIFRenderer.fingerprintKey)
    json.string(SARIFRenderer.fingerprint("\(verdict.device.name)\u{0}\(verdict.kind.rawValue)"))
    json.endObject()
    json.endObject()
  }

  private static func text(_ text: String, _ json: inout JSONWriter) {
    json.beginObject()
    json.key("text")
    json.string(text)
    json.endObject()
  }
}

/// `verify --format github`: an annotation per device that is not as
/// predicted (`::error` for a mismatch, `::notice` for one still deferred),
/// on the capture's `sys/firmware/fdt`, then the summary line.
public enum VerifyGitHubRenderer {
  public static let identifier = "github"

  public static func render(
    _ verification: Verification, _ report: Report, _ capture: Capture,
    to output: inout TextOutput
  ) {
    for verdict in verification.verdicts where verdict.kind != .asPredicted {
      output.write(
        GitHubRenderer.command(
          verdict.kind == .mismatch ? "error" : "notice", file: capture.blob,
          title: "iommu-plan verify [\(verdict.kind.rawValue)]",
          "\(VerifyTextRenderer.device(verdict, report)): \(verdict.detail)"))
    }
    output.write(VerifyTextRenderer.summary(verification) + "\n")
  }
}
