// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// The file `--write-baseline` writes: JSON, versioned, sorted, one finding
/// per line, so that a change to it reads as a one-line diff in review.
public enum BaselineRenderer {
  public static func render(_ baseline: Baseline) -> String {
    let lines = baseline.counts.keys.sorted().map { key in
      "    {\"file\": \(string(key.file)), \"path\": \(key.path.map(string) ?? "null"), "
        + "\"code\": \(string(key.code.rawValue)), \"count\": \(baseline[key])}"
    }
    let findings = lines.isEmpty ? "[]" : "[\n" + lines.joined(separator: ",\n") + "\n  ]"
    return """
      {
        "schema_version": \(Baseline.schemaVersion),
        "tool": "iommu-plan",
        "findings": \(findings)
      }

      """
  }

  private static func string(_ value: String) -> String {
    var output = TextOutput()
    JSONWriter.write(to: &output) { $0.string(value) }
    return output.text
  }
}
