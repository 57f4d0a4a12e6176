// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The order node paths are listed in: component by component, names byte
/// by byte, and unit addresses as numbers, so that `compute-cb@2` comes
/// before `compute-cb@10` and `memory@80000000` after `memory@9000000`, as
/// an engineer reading the list expects.
///
/// A unit address is compared field by field (`pci@0,1` has two): fields of
/// hex digits as numbers, before any other field, and other fields byte by
/// byte; a node without a unit address comes before one with. The order is
/// total over byte strings (two paths are equal only when their bytes are),
/// so that sorting is deterministic for any name a blob can hold.
public enum PathOrder {
  /// Whether path `lhs` comes before path `rhs`.
  public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
    var left = lhs
    var right = rhs
    return left.withUTF8 { a in right.withUTF8 { b in compare(a, b) < 0 } }
  }

  /// -1, 0 or 1 as `a` comes before, with, or after `b`.
  public static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>)
    -> Int
  {
    // Lexicographic over the components between slashes, a path that is
    // a prefix of another first: equal only when the bytes are.
    var i = 0
    var j = 0
    while true {
      let endA = a[i...].firstIndex(of: UInt8(ascii: "/")) ?? a.count
      let endB = b[j...].firstIndex(of: UInt8(ascii: "/")) ?? b.count
      let order = component(a[i..<endA], b[j..<endB])
      if order != 0 { return order }
      switch (endA < a.count, endB < b.count) {
      case (false, false): return 0
      case (false, true): return -1
      case (true, false): return 1
      case (true, true):
        i = endA + 1
        j = endB + 1
      }
    }
  }

  private static func component(
    _ a: Slice<UnsafeBufferPointer<UInt8>>, _ b: Slice<UnsafeBufferPointer<UInt8>>
  )
    -> Int
  {
    let at = UInt8(ascii: "@")
    let nameA = a[..<(a.firstIndex(of: at) ?? a.endIndex)]
    let nameB = b[..<(b.firstIndex(of: at) ?? b.endIndex)]
    let names = bytes(nameA, nameB)
    if names != 0 { return names }
    let unitA = nameA.endIndex < a.endIndex ? a[(nameA.endIndex + 1)...] : nil
    let unitB = nameB.endIndex < b.endIndex ? b[(nameB.endIndex + 1)...] : nil
    switch (unitA, unitB) {
    case (nil, nil): return 0
    case (nil, _): return -1
    case (_, nil): return 1
    case (let unitA?, let unitB?): return unit(unitA, unitB)
    }
  }

  /// Comma-separated fields, each as a number when both are hex.
  private static func unit(
    _ a: Slice<UnsafeBufferPointer<UInt8>>, _ b: Slice<UnsafeBufferPointer<UInt8>>
  )
    -> Int
  {
    let comma = UInt8(ascii: ",")
    var fieldsA = a.split(separator: comma, omittingEmptySubsequences: false)[...]
    var fieldsB = b.split(separator: comma, omittingEmptySubsequences: false)[...]
    while !fieldsA.isEmpty && !fieldsB.isEmpty {
      let fieldA = fieldsA.removeFirst()
      let fieldB = fieldsB.removeFirst()
      // Hex fields come before the others, so that mixing the two kinds
      // stays transitive.
      let order =
        switch (isHex(fieldA), isHex(fieldB)) {
        case (true, true): number(fieldA, fieldB)
        case (true, false): -1
        case (false, true): 1
        case (false, false): bytes(fieldA, fieldB)
        }
      if order != 0 { return order }
    }
    return fieldsA.count == fieldsB.count ? 0 : (fieldsA.count < fieldsB.count ? -1 : 1)
  }

  private static func isHex(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
    !field.isEmpty
      && field.allSatisfy {
        ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46)
      }
  }

  /// Hex numbers of any length: fewer significant digits is smaller, then
  /// the digits (case folded), then the raw bytes so that `0x0a` and `0xa`
  /// stay distinct and ordered.
  private static func number(
    _ a: Slice<UnsafeBufferPointer<UInt8>>, _ b: Slice<UnsafeBufferPointer<UInt8>>
  )
    -> Int
  {
    let zero = UInt8(ascii: "0")
    let digitsA = a.drop { $0 == zero }
    let digitsB = b.drop { $0 == zero }
    if digitsA.count != digitsB.count { return digitsA.count < digitsB.count ? -1 : 1 }
    for (x, y) in zip(digitsA, digitsB) where x | 0x20 != y | 0x20 {
      return x | 0x20 < y | 0x20 ? -1 : 1
    }
    return bytes(a, b)
  }

  private static func bytes(
    _ a: Slice<UnsafeBufferPointer<UInt8>>, _ b: Slice<UnsafeBufferPointer<UInt8>>
  )
    -> Int
  {
    for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
  }
}
