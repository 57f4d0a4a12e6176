// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// An output format of one value (a report, a lint result, a diff): it
/// writes into the command's sink, and tests and tools can have the text.
public protocol Renderer {
  associatedtype Subject
  static func render(_ subject: Subject, to output: inout TextOutput)
}

extension Renderer {
  /// The whole output as one string.
  public static func render(_ subject: Subject) -> String {
    var output = TextOutput()
    render(subject, to: &output)
    return output.text
  }
}
