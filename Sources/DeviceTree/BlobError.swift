// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Why a byte string is not a usable flattened device tree.
///
/// The reason is one lowercase line that names the offending value, e.g.
/// "truncated: header says 4096 bytes, the file has 100".
public struct BlobError: Error, Hashable, Sendable, CustomStringConvertible {
  public let reason: String
  /// The libfdt code behind the failure, when libfdt found it.
  public let code: FDTError?

  public init(_ reason: String, code: FDTError? = nil) {
    self.reason = reason
    self.code = code
  }

  public var description: String { reason }
}
