// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The text with control characters (C0, DEL, C1, and the Unicode line and
/// paragraph separators) written as `\u{1b}`, so that a name or string from
/// a hostile blob cannot break, or forge, a line of a message or report.
/// Names and values stay raw in `Node` and `Property`; this is for output.
public func printable(_ text: String) -> String {
  // Printable ASCII, which nearly every name is, needs no scalar decoding.
  if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return text }
  guard text.unicodeScalars.contains(where: isControl) else { return text }
  var result = ""
  for scalar in text.unicodeScalars {
    if isControl(scalar) {
      result += "\\u{" + String(scalar.value, radix: 16) + "}"
    } else {
      result.unicodeScalars.append(scalar)
    }
  }
  return result
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
  let value = scalar.value
  return value < 0x20 || (0x7f..<0xa0).contains(value) || value == 0x2028 || value == 0x2029
}
