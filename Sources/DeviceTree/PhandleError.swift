// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A failure of the OF core's phandle-list parsing, with the errno the kernel
/// returns and the details its `pr_err` would print.
public struct PhandleError: Error, Hashable, Sendable {
  /// The two errnos the OF phandle helpers return.
  public enum Errno: Int32, Sendable {
    /// `-ENOENT`: no such property, or the list ends before the index.
    case noEntry = 2
    /// `-EINVAL`: a malformed entry, or an impossible request.
    case invalid = 22
  }

  public enum Kind: Hashable, Sendable {
    /// The list property does not exist.
    case noProperty
    /// Neither a cells-property name nor a fixed count was given.
    case noCellCount
    /// A non-zero phandle that resolves to no node.
    case unknownPhandle(UInt32)
    /// The target lacks the cells property and no fallback count was given.
    case missingCellsProperty(target: NodeID, cellsName: String)
    /// The entry needs `needed` argument cells but only `found` remain.
    case overrun(target: NodeID?, needed: Int, found: Int)
    /// The entry at the requested index is empty (phandle 0).
    case emptyEntry
    /// The list has fewer entries than the requested index.
    case indexOutOfRange
    /// A negative index.
    case negativeIndex
  }

  public let kind: Kind
  public let errno: Errno
  /// The entry number the failure is at, when it is at one.
  public let entry: Int?
  /// The cell offset of that entry's phandle within the property.
  public let cell: Int?

  public init(_ kind: Kind, errno: Errno, entry: Int? = nil, cell: Int? = nil) {
    self.kind = kind
    self.errno = errno
    self.entry = entry
    self.cell = cell
  }
}
