// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// GitHub Actions workflow commands: each finding becomes an annotation on
/// the file (`::error file=F,title=T::message`), shown in the run summary and
/// on the pull request. Notes become `::notice`.
///
/// A finding in a tree compiled from source is annotated where its property
/// (or node) is written, `file=SOURCE,line=L,col=C`, and its message names
/// the board; a blob has no lines, so its annotations name the file alone.
/// The node path leads the message either way.
public enum GitHubRenderer: Renderer {
  public static let identifier = "github"

  public static func render(_ result: LintResult, to output: inout TextOutput) {
    for unusable in result.unusablePaths {
      output.write(
        command(
          "error", file: unusable.key,
          title: "iommu-plan [unreadable]", unusable.reason))
    }
    for file in result.files {
      if let failure = file.failure {
        output.write(command("error", file: file.key, title: "iommu-plan [unreadable]", failure))
      }
      if let report = file.report {
        for finding in file.findings where finding.baselineState != .unchanged {
          let diagnostic = finding.diagnostic
          let position = report.sources?.position(of: diagnostic)
          let board = position == nil ? "" : file.key + ": "
          output.write(
            command(
              level(diagnostic.severity), file: position?.file ?? file.key, position: position,
              title: "iommu-plan [\(diagnostic.code.rawValue)]",
              board + TextRenderer.location(diagnostic, report.nodes) + diagnostic.message))
        }
      }
      for fixed in file.fixed {
        output.write(
          command(
            "notice", file: file.key, title: "iommu-plan [\(fixed.key.code.rawValue)] fixed",
            LintTextRenderer.fixedLine(fixed, file: file.key)))
      }
    }
    // A plain line: the log's last word, not an annotation.
    output.write(LintTextRenderer.summary(result) + "\n")
  }

  static func level(_ severity: Severity) -> String {
    switch severity {
    case .error: "error"
    case .warning: "warning"
    case .note: "notice"
    }
  }

  static func command(
    _ name: String, file: String, position: SourcePosition? = nil, title: String,
    _ message: String
  ) -> String {
    let place =
      position.map {
        ",line=\($0.line),endLine=\($0.endLine),col=\($0.column),endColumn=\($0.endColumn)"
      } ?? ""
    return "::\(name) file=\(escapeProperty(file))\(place),title=\(escapeProperty(title))::"
      + "\(escapeData(message))\n"
  }

  /// The runner's own escaping (actions/toolkit's `escapeData`): a message
  /// must not break the line or smuggle in a `%` sequence.
  static func escapeData(_ text: String) -> String { escaped(text, property: false) }

  /// `escapeProperty`: also `:` and `,`, which delimit the properties.
  static func escapeProperty(_ text: String) -> String { escaped(text, property: true) }

  // By scalar, not by Character: "\r\n" is one Character in Swift.
  private static func escaped(_ text: String, property: Bool) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "%": out += "%25"
      case "\r": out += "%0D"
      case "\n": out += "%0A"
      case ":" where property: out += "%3A"
      case "," where property: out += "%2C"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
