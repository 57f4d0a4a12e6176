// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// What a vendor tree adds to kbuild's preprocessor command: include
/// directories searched before the kernel tree's, and macros defined after
/// `__DTS__`, in the order given (`cpp` takes the last of a redefinition).
public struct SourceOptions: Hashable, Sendable {
  /// `-I DIR`.
  public var includeDirectories: [String]
  /// `-D NAME` or `-D NAME=VALUE`.
  public var defines: [String]

  public init(includeDirectories: [String] = [], defines: [String] = []) {
    self.includeDirectories = includeDirectories
    self.defines = defines
  }
}
