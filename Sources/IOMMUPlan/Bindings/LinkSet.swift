// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

// Implementation notes
//
// IOMMUPlan interprets what DeviceTree reports, the way the kernel would, and
// reports rather than throws: a malformed property becomes a Diagnostic and
// ends that walk exactly where the kernel's walk ends. It sees no C and keeps
// no global state. A report is built in stages, each handing an immutable
// value to the next: the bindings (this file) read the tree into a LinkSet;
// Inventory finds the IOMMUs and their drivers; SystemChecks looks at the
// whole; Planning applies the probe rules; Report puts the results in path
// order. Nodes are NodeIDs throughout; paths are made only for messages and
// for the report's NodeTable.

/// The bindings stage's result: every link the kernel would parse, the
/// findings about the properties themselves, and where reading stopped.
struct LinkSet: Sendable {
  /// In tree order of the node holding the property.
  let links: [Link]
  let diagnostics: [Diagnostic]
  /// Each `iommus` and `iommu-map` the kernel reads, in tree order, with
  /// the range of `links` it gave (possibly empty): the generic consumers.
  let properties: [PropertyLinks]
  /// Properties the kernel stops reading before their end.
  let stops: [ConsumerKey: ParseStop]

  init(tree: DeviceTree, topology: Topology, kernel: KernelVersion) {
    var reader = LinkReader(tree: tree, topology: topology, kernel: kernel)
    let iommus = tree.propertyName(IommusBinding.property)
    let map = tree.propertyName(IOMMUMapBinding.property)
    let masters = tree.propertyName(MMUMastersBinding.property)
    if iommus != nil || map != nil || masters != nil {
      for node in 0..<tree.nodes.count {
        let id = NodeID(node)
        if let iommus, let value = tree.property(iommus, of: id) {
          let start = reader.links.count
          if IommusBinding.read(value, of: id, &reader) {
            reader.consumer(ConsumerKey(id, .iommus), links: start..<reader.links.count)
          }
        }
        if let map, let value = tree.property(map, of: id) {
          let start = reader.links.count
          IOMMUMapBinding.read(value, of: id, &reader)
          reader.consumer(ConsumerKey(id, .iommuMap), links: start..<reader.links.count)
        }
        if let masters, let value = tree.property(masters, of: id) {
          MMUMastersBinding.read(value, of: id, &reader)
        }
      }
    }
    links = reader.links
    diagnostics = reader.findings.list
    properties = reader.properties
    stops = reader.stops
  }
}

/// What the bindings collect while the tree is read; it lives only inside
/// `LinkSet.init`.
struct LinkReader {
  let tree: DeviceTree
  let topology: Topology
  let kernel: KernelVersion
  private(set) var links: [Link] = []
  private(set) var findings = Findings()
  private(set) var stops: [ConsumerKey: ParseStop] = [:]
  private(set) var properties: [PropertyLinks] = []

  init(tree: DeviceTree, topology: Topology, kernel: KernelVersion) {
    self.tree = tree
    self.topology = topology
    self.kernel = kernel
  }

  mutating func report(
    _ code: DiagnosticCode, _ node: NodeID?, _ property: String?, _ message: String
  ) {
    findings.report(code, node, property, message)
  }

  mutating func link(
    _ consumer: NodeID, _ supplier: NodeID, _ property: LinkProperty, index: Int,
    arguments: Specifier, range: IDRange? = nil
  ) {
    links.append(
      Link(
        consumer: consumer, supplier: supplier, property: property, index: index,
        arguments: arguments, range: range))
  }

  /// Room for `count` more links, so that a map of 100,000 entries grows
  /// the list once.
  mutating func reserve(_ count: Int) {
    // Never to just the size asked: a thousand small maps must not copy
    // the list a thousand times.
    if links.capacity < links.count + count {
      links.reserveCapacity(max(links.count + count, links.capacity * 2))
    }
  }

  /// A property the kernel reads, and the links it gave.
  mutating func consumer(_ key: ConsumerKey, links: Range<Int>) {
    properties.append(PropertyLinks(key: key, links: links))
  }

  mutating func stop(_ node: NodeID, _ stop: ParseStop) {
    stops[ConsumerKey(node, stop.property)] = stop
  }

  func path(_ node: NodeID) -> String { tree.path(of: node) }
}

extension PhandleIterator {
  /// The current entry's arguments, at most `limit` of them, read in place.
  /// The corresponding kernel function is `of_phandle_iterator_args`.
  func specifier(limit: Int = maximumPhandleArguments) -> Specifier {
    let start = argumentStart
    let bytes = property.bytes
    return Specifier((0..<min(argumentCount, max(limit, 0))).lazy.map { bytes.cell(start + $0) })
  }
}

/// A property the kernel reads and the links it gave, in 12 bytes: a tree of
/// masters has one per master.
struct PropertyLinks: Sendable {
  let key: ConsumerKey
  private let first: UInt32
  private let count: UInt32

  init(key: ConsumerKey, links: Range<Int>) {
    self.key = key
    first = UInt32(truncatingIfNeeded: links.lowerBound)
    count = UInt32(truncatingIfNeeded: links.count)
  }

  /// A range of `LinkSet.links`.
  var links: Range<Int> { Int(first)..<Int(first + count) }
}
