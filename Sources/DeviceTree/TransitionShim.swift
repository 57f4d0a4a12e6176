// Temporary: the compact tree's API over the old storage, until it lands.
public struct PropertyName: Hashable, Sendable {
  let name: String
}

extension DeviceTree {
  public func propertyName(_ name: String) -> PropertyName? { PropertyName(name: name) }
  public func property(_ name: PropertyName, of node: NodeID) -> Property? {
    self[node].property(name.name)
  }
  public func property(_ name: String, of node: NodeID) -> Property? { self[node].property(name) }
  public func hasProperty(_ name: PropertyName, _ node: NodeID) -> Bool {
    self[node].property(name.name) != nil
  }
  public func path(of node: NodeID) -> String { self[node].path }
  public func appendPath(of node: NodeID, to bytes: inout [UInt8]) {
    bytes.append(contentsOf: self[node].path.utf8)
  }
}

extension PhandleIterator {
  public var property: Property {
    Property(
      name: listName,
      bytes: list.flatMap {
        [UInt8($0 >> 24), UInt8(($0 >> 16) & 0xff), UInt8(($0 >> 8) & 0xff), UInt8($0 & 0xff)]
      })
  }
  public var argumentStart: Int { cell + 1 }
}
