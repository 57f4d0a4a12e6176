// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The nodes of one tree as parallel arrays, in pre-order: a few fixed-size
/// integers per node, and no object or String, so that a tree costs little
/// more than its blob. Names stay in the blob; the tree decodes one when
/// asked.
///
/// 32 bits are enough everywhere: the FDT header's totalsize is 32 bits, so
/// every offset and length in the blob fits in a UInt32, and every node or
/// property takes at least 12 bytes of it, so no index reaches Int32.max.
struct NodeTable {
  /// The parent's index; -1 for the root.
  var parents: [Int32] = []
  /// Where the name's bytes start in the blob: after the BEGIN_NODE token
  /// from version 16 on, after the last '/' of the full path before.
  var nameOffsets: [UInt32] = []
  var nameLengths: [UInt32] = []
  /// Node i's properties are `firstProperties[i]..<firstProperties[i + 1]`:
  /// a node's properties come before its subnodes, so they are contiguous.
  /// One more entry than there are nodes.
  var firstProperties: [Int32] = []
  /// The next child of the same parent; -1 for the last. (A node's first
  /// child, when it has one, is the next node in pre-order.)
  var nextSiblings: [Int32] = []
  /// As `fdt_get_phandle` reports it; 0 for none.
  var phandles: [UInt32] = []
  /// Whether every name is ASCII: then a path is its names' bytes as they
  /// are, and a name equals a path component exactly when the bytes do.
  var namesAreASCII = true

  var count: Int { parents.count }
}

// Paths, which no node keeps: each is made from the names when asked for.
extension NodeTable {
  /// The first child of node `index`, or -1: in pre-order it is the next
  /// node, when that node's parent is this one.
  func firstChild(_ index: Int) -> Int {
    index + 1 < count && parents[index + 1] == Int32(index) ? index + 1 : -1
  }

  func nameRange(_ index: Int) -> Range<Int> {
    let start = Int(nameOffsets[index])
    return start..<start + Int(nameLengths[index])
  }

  /// Bytes in the path of node `index` as its names spell it: "/" for the
  /// root, else a '/' before each name below the root.
  func rawPathLength(_ index: Int) -> Int {
    if index == 0 { return 1 }
    var length = 0
    var node = index
    while node > 0 {
      length += 1 + Int(nameLengths[node])
      node = Int(parents[node])
    }
    return length
  }

  /// Writes the path of node `index` into `buffer`, which holds exactly
  /// `rawPathLength(index)` bytes, from its end: no list of ancestors.
  func writeRawPath(
    _ index: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, blob: UnsafeBufferPointer<UInt8>
  ) {
    guard index > 0 else {
      buffer[0] = UInt8(ascii: "/")
      return
    }
    var end = buffer.count
    var node = index
    while node > 0 {
      let name = nameRange(node)
      let start = end - name.count
      _ = UnsafeMutableBufferPointer(rebasing: buffer[start..<end])
        .initialize(from: UnsafeBufferPointer(rebasing: blob[name]))
      buffer[start - 1] = UInt8(ascii: "/")
      end = start - 1
      node = Int(parents[node])
    }
  }

  /// The first node in pre-order whose path, as a String, equals `path`,
  /// as a dictionary of every path would find it. Duplicate sibling names
  /// are allowed, and the first of them can be a dead end for the rest of
  /// the path, so every same-named sibling is tried in order, depth first.
  func node(path: String, blob: UnsafeBufferPointer<UInt8>) -> Int? {
    let components = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    // "/" splits into two empty parts; a path never ends in '/' or has "//".
    guard components.count >= 2, components[0].isEmpty else { return nil }
    if path.utf8.count == 1 { return 0 }
    let wanted = components.dropFirst().map(PathComponent.init)
    guard wanted.allSatisfy({ !$0.bytes.isEmpty }) else { return nil }
    var stack: [(node: Int, depth: Int)] = [(0, 0)]
    var matches: [Int] = []
    while let (node, depth) = stack.popLast() {
      if depth == wanted.count { return node }
      matches.removeAll(keepingCapacity: true)
      var child = firstChild(node)
      while child >= 0 {
        if wanted[depth].matches(blob[nameRange(child)], ascii: namesAreASCII) {
          matches.append(child)
        }
        child = Int(nextSiblings[child])
      }
      stack.append(contentsOf: matches.reversed().lazy.map { ($0, depth + 1) })
    }
    return nil
  }
}

/// One component of a path being looked up.
private struct PathComponent {
  let bytes: [UInt8]
  let text: String
  let isASCII: Bool

  /// A part of a String between '/'s, so still whole UTF-8.
  init(_ bytes: Substring.UTF8View) {
    self.bytes = Array(bytes)
    self.text = String(decoding: bytes, as: UTF8.self)
    self.isASCII = bytes.allSatisfy { $0 < 0x80 }
  }

  /// Whether a node name equals this component as Strings compare: equal
  /// bytes always do, and between two ASCII names only equal bytes do.
  func matches(_ name: Slice<UnsafeBufferPointer<UInt8>>, ascii namesAreASCII: Bool) -> Bool {
    if name.count == bytes.count && name.elementsEqual(bytes) { return true }
    if isASCII && namesAreASCII { return false }
    return String(decoding: name, as: UTF8.self) == text
  }
}
