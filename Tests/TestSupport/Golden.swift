// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation

/// Golden files: expected output kept in the repository and reviewed like
/// code. `RECORD_GOLDEN=1` rewrites them and fails the run, so recording can
/// never pass CI by accident.
public enum Golden {
  public static var isRecording: Bool {
    ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
  }

  /// Returns nil when `actual` matches the file, else a message describing
  /// the first difference (or that the file was recorded).
  public static func compare(_ actual: String, file: URL) -> String? {
    if isRecording {
      do {
        try FileManager.default.createDirectory(
          at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: file, atomically: true, encoding: .utf8)
      } catch {
        return "cannot record \(file.path): \(error)"
      }
      return
        "recorded \(file.lastPathComponent); review with git diff and rerun without RECORD_GOLDEN"
    }
    guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
      return "missing golden file \(file.path); run `make golden` to record it"
    }
    guard expected != actual else { return nil }
    let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let line =
      zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset
      ?? min(old.count, new.count)
    let was = line < old.count ? String(old[line]) : "<end of file>"
    let now = line < new.count ? String(new[line]) : "<end of output>"
    return
      "\(file.lastPathComponent) differs at line \(line + 1):\n  expected: \(was)\n  actual:   \(now)"
  }
}
