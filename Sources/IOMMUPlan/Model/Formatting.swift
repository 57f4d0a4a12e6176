// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Cells as kernel messages and DTS sources show them: `0x808 0x0`.
public func hexList<Cells: Sequence>(_ cells: Cells) -> String where Cells.Element == UInt32 {
  cells.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
}

public func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

/// "1 cell", "3 cells", "2 entries".
public func counted(_ number: Int, _ noun: String) -> String {
  guard number != 1 else { return "1 \(noun)" }
  return noun.hasSuffix("y") ? "\(number) \(noun.dropLast())ies" : "\(number) \(noun)s"
}

/// `"a", "b"`: strings from the blob as a message quotes them.
public func quoted(_ strings: [String]) -> String {
  strings.map { "\"\($0)\"" }.joined(separator: ", ")
}

/// A status or similar string from the blob, cut to 64 characters: it is
/// quoted once per consumer, so its length must not multiply.
public func shortened(_ text: String) -> String {
  text.count > 64 ? text.prefix(64) + "..." : text
}
