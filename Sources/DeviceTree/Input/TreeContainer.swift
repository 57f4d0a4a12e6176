// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
// PLACEHOLDER: replaced by the input-containers branch.
public struct ContainedTree: Sendable, Hashable {
  public let index: Int
  public let id: UInt32?
  public let revision: UInt32?
  public let custom: [UInt32]
  public let blob: [UInt8]
}

public enum TreeContainer {
  public enum Kind: Sendable, Equatable { case blob, tableImage, other }
  public static let tableMagic: UInt32 = 0xd7b7_ab1e
  public static func kind(of bytes: [UInt8]) -> Kind {
    guard bytes.count >= 4 else { return .other }
    switch BlobHeader.word(bytes, 0) {
    case BlobHeader.magic: return .blob
    case tableMagic: return .tableImage
    default: return .other
    }
  }
  public static func split(_ bytes: [UInt8], file: String, limits: LoadLimits) throws(LoadError)
    -> [ContainedTree]
  {
    [ContainedTree(index: 0, id: nil, revision: nil, custom: [], blob: bytes)]
  }
}

public enum DirectoryTree {
  public static func blob(at path: String, limits: LoadLimits) throws(LoadError) -> [UInt8] {
    throw LoadError(file: path, reason: "is a directory")
  }
}
