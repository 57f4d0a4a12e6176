// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// `lint --format json`: an array with one object per file, in the sorted
/// order of the text output, each the per-file object of the report's JSON
/// plus two fields:
/// - `error`: null, or why the file could not be read (its lists are empty);
/// - with `--baseline`, `baseline_fixed`: the recorded findings no longer
///   found, and on each diagnostic `baseline_state`: `new` or `unchanged`.
///
/// `diagnostics` holds the enabled findings with the severity they are
/// reported with (`--strict` applied), including those in the baseline.
public enum LintJSONRenderer: Renderer {
  public static let identifier = "json"

  public static func render(_ result: LintResult, to output: inout TextOutput) {
    JSONWriter.write(to: &output) { json in
      json.beginArray()
      // A path with nothing to check is an input that gave no report: the
      // same object as an unreadable file, in path order with the files.
      var unusable = result.unusablePaths[...]
      for file in result.files {
        while let next = unusable.first, TreeFinder.bytewise(next.path, file.path) {
          unreadable(next, result, &json)
          unusable.removeFirst()
        }
        document(file, result, &json)
      }
      for next in unusable { unreadable(next, result, &json) }
      json.endArray()
    }
    output.write("\n")
  }

  private static func unreadable(
    _ unusable: LintResult.UnusablePath, _ result: LintResult, _ json: inout JSONWriter
  ) {
    JSONRenderer.unreadable(
      path: unusable.path, reason: unusable.reason, kernel: result.kernel, &json
    ) { json in
      guard result.usesBaseline else { return }
      json.key("baseline_fixed")
      json.beginArray()
      json.endArray()
    }
  }

  private static func document(
    _ file: LintResult.File, _ result: LintResult, _ json: inout JSONWriter
  ) {
    let fixed = { (json: inout JSONWriter) in
      guard result.usesBaseline else { return }
      json.key("baseline_fixed")
      json.beginArray()
      for entry in file.fixed {
        json.beginObject()
        json.key("code")
        json.string(entry.key.code.rawValue)
        json.key("path")
        json.string(entry.key.path)
        json.key("count")
        json.number(entry.count)
        json.endObject()
      }
      json.endArray()
    }
    guard let report = file.report else {
      JSONRenderer.unreadable(
        path: file.path, reason: file.failure ?? "", kernel: result.kernel, &json, members: fixed)
      return
    }
    JSONRenderer.document(
      report, &json,
      diagnostics: { json in
        json.beginArray()
        for finding in file.findings {
          json.beginObject()
          JSONRenderer.diagnostic(
            finding.diagnostic, report.nodes, &json, sources: report.sources)
          if let state = finding.baselineState {
            json.key("baseline_state")
            json.string(state.rawValue)
          }
          json.endObject()
        }
        json.endArray()
      },
      members: { json in
        json.key("error")
        json.null()
        fixed(&json)
      })
  }
}
