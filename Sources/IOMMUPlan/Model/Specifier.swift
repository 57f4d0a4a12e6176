/// The cells an IOMMU driver receives for one reference (the kernel's
/// `of_phandle_args.args`): an `iommus` entry's arguments, an `iommu-map`
/// entry's output base, or a legacy master's stream IDs.
///
/// Nearly every specifier has one or two cells (a stream ID, and for a
/// 2-cell arm-smmu its SMR mask), so those are held inline: a tree with
/// 100,000 masters makes no allocation per link. Longer ones keep an array.
public struct Specifier: RandomAccessCollection, Hashable, Sendable {
  private let first: UInt32
  private let second: UInt32
  private let inlineCount: UInt8
  private let spilled: [UInt32]?

  public init<Cells: Collection>(_ cells: Cells) where Cells.Element == UInt32 {
    if cells.count <= 2 {
      var iterator = cells.makeIterator()
      first = iterator.next() ?? 0
      second = iterator.next() ?? 0
      inlineCount = UInt8(cells.count)
      spilled = nil
    } else {
      first = 0
      second = 0
      inlineCount = 0
      spilled = Array(cells)
    }
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { spilled?.count ?? Int(inlineCount) }

  public subscript(position: Int) -> UInt32 {
    if let spilled { return spilled[position] }
    precondition(position >= 0 && position < Int(inlineCount), "specifier cell out of range")
    return position == 0 ? first : second
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
