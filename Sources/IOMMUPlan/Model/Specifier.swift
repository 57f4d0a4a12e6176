// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The cells an IOMMU driver receives for one reference (the kernel's
/// `of_phandle_args.args`): an `iommus` entry's arguments, an `iommu-map`
/// entry's output base, or a legacy master's stream IDs.
///
/// Nearly every specifier has one or two cells (a stream ID, and for a
/// 2-cell arm-smmu its SMR mask), so those are held inline: a tree with
/// 100,000 masters makes no allocation per link, and a link stays small.
/// Longer ones keep an array.
public struct Specifier: RandomAccessCollection, Hashable, Sendable {
  private enum Storage: Hashable, Sendable {
    case inline(UInt32, UInt32, count: UInt8)
    case spilled([UInt32])
  }

  private let storage: Storage

  public init<Cells: Collection>(_ cells: Cells) where Cells.Element == UInt32 {
    if cells.count <= 2 {
      var iterator = cells.makeIterator()
      storage = .inline(iterator.next() ?? 0, iterator.next() ?? 0, count: UInt8(cells.count))
    } else {
      storage = .spilled(Array(cells))
    }
  }

  public var startIndex: Int { 0 }

  public var endIndex: Int {
    switch storage {
    case .inline(_, _, let count): Int(count)
    case .spilled(let cells): cells.count
    }
  }

  public subscript(position: Int) -> UInt32 {
    switch storage {
    case .inline(let first, let second, let count):
      precondition(position >= 0 && position < Int(count), "specifier cell out of range")
      return position == 0 ? first : second
    case .spilled(let cells):
      return cells[position]
    }
  }

  public static func == (lhs: Specifier, rhs: Specifier) -> Bool {
    lhs.elementsEqual(rhs)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(count)
    for cell in self { hasher.combine(cell) }
  }
}

extension Specifier: ExpressibleByArrayLiteral {
  public init(arrayLiteral cells: UInt32...) { self.init(cells) }
}
