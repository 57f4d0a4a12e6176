// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Why an input file gave no device tree: one line naming the file.
public struct LoadError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The file as the user named it (`-` for standard input).
  public let file: String
  public let reason: String

  public init(file: String, reason: String) {
    self.file = file
    self.reason = reason
  }

  public var description: String { "\(file): \(reason)" }
}
