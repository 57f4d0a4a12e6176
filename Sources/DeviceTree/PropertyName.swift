// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A property name interned in one tree: `DeviceTree.propertyName(_:)` gives
/// it, and lookups with it compare one integer per property instead of a
/// string. It means nothing to another tree.
public struct PropertyName: Hashable, Sendable {
  let index: Int32
}
