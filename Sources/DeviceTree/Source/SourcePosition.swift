// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Where a node or property is written: the file as the user would open it
/// (relative to the working directory when below it), and the span dtc
/// records, 1-based, in dtc's own columns (a tab counts as one).
public struct SourcePosition: Hashable, Sendable {
  public let file: String
  public let line: Int
  public let column: Int
  public let endLine: Int
  public let endColumn: Int

  public init(file: String, line: Int, column: Int, endLine: Int, endColumn: Int) {
    self.file = file
    self.line = line
    self.column = column
    self.endLine = endLine
    self.endColumn = endColumn
  }

  /// `file:line:col`, as gcc and dtc lead their messages.
  public var description: String { "\(file):\(line):\(column)" }
}
