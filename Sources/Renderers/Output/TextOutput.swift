// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

// Implementation notes
//
// Renderers format a finished model (Report, LintResult, TopologyDiff) and
// decide nothing: no renderer sees a tree or calls back into analysis, and
// the compiler holds them to it, since this module sees only IOMMUPlan's
// public model. Each writes bytes to a TextOutput, which hands them to its
// sink every 64 KiB: a tree of 100,000 masters makes 60 MB of JSON that is
// never held whole. Every name and string that came from a blob goes out
// through `printable` (text) or JSON escaping, so it cannot split a line.

/// Where a renderer writes: a byte buffer that is either kept (`text`, for
/// tests and for output assembled from pieces) or handed to a sink whenever
/// it passes 64 KiB (standard output).
public struct TextOutput: TextOutputStream {
  public private(set) var bytes: [UInt8] = []
  private let sink: ((inout [UInt8]) -> Void)?

  /// Keeps everything written.
  public init() { sink = nil }

  /// Hands the bytes to `sink` in pieces; the sink empties the array.
  public init(flushingTo sink: @escaping (inout [UInt8]) -> Void) {
    self.sink = sink
    bytes.reserveCapacity(1 << 16)
  }

  /// Everything written so far, for an output that keeps it.
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  public mutating func write(_ string: String) {
    var string = string
    string.withUTF8 { bytes.append(contentsOf: $0) }
    flushIfFull()
  }

  public mutating func write(_ string: StaticString) {
    string.withUTF8Buffer { bytes.append(contentsOf: $0) }
    flushIfFull()
  }

  public mutating func write<Bytes: Sequence>(bytes more: Bytes) where Bytes.Element == UInt8 {
    bytes.append(contentsOf: more)
    flushIfFull()
  }

  public mutating func write(byte: UInt8) {
    bytes.append(byte)
  }

  /// A decimal number.
  public mutating func write(decimal value: some BinaryInteger) {
    guard value >= 0, let magnitude = UInt64(exactly: value) else {
      write(String(value))
      return
    }
    // Digits into a small buffer, last first.
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
      var rest = magnitude
      repeat {
        count += 1
        buffer[24 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      } while rest > 0
      bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
    }
  }

  /// `0x` and lowercase hex digits, as kernel messages print cells.
  public mutating func write(hex value: UInt32) {
    bytes.append(UInt8(ascii: "0"))
    bytes.append(UInt8(ascii: "x"))
    var shift = max(0, (31 - value.leadingZeroBitCount) / 4 * 4)
    while shift >= 0 {
      let digit = UInt8((value >> UInt32(shift)) & 0xf)
      bytes.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
      shift -= 4
    }
  }

  /// A string from a blob, with control characters escaped (`printable`).
  public mutating func write(printable string: String) {
    write(printable(string))
  }

  /// A node's path, escaped as `printable` escapes it.
  public mutating func write(path node: NodeID, _ table: NodeTable) {
    let plain = table.withPathBytes(node) { path in
      guard path.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return false }
      bytes.append(contentsOf: path)
      return true
    }
    if plain {
      flushIfFull()
    } else {
      write(printable(table.path(node)))
    }
  }

  /// `count` spaces.
  public mutating func write(spaces count: Int) {
    var left = count
    while left > 0 {
      let chunk = min(left, Self.spaces.count)
      Self.spaces.withUnsafeBufferPointer { bytes.append(contentsOf: $0[..<chunk]) }
      left -= chunk
    }
  }

  private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

  private mutating func flushIfFull() {
    if bytes.count >= 1 << 16 { flush() }
  }

  /// Hands what is buffered to the sink (nothing, for an output that keeps
  /// everything).
  public mutating func flush() {
    guard let sink, !bytes.isEmpty else { return }
    sink(&bytes)
  }
}
