import DeviceTree

// Implementation notes
//
// IOMMUPlan interprets what DeviceTree reports, the way the kernel would, and
// reports rather than throws: a malformed property becomes a Diagnostic and
// ends that walk exactly where the kernel's walk ends. It sees no C and keeps
// no global state. Analysis is the scratch pad one report is built on; each
// binding (IommusBinding, IOMMUMapBinding, MMUMastersBinding) and each
// cross-check (SystemChecks) adds links and findings to it.

/// The working state while one tree is read.
struct Analysis {
  let tree: DeviceTree
  let kernel: KernelVersion
  var links: [Link] = []
  var diagnostics: [Diagnostic] = []

  init(tree: DeviceTree, kernel: KernelVersion) {
    self.tree = tree
    self.kernel = kernel
  }

  mutating func report(
    _ code: DiagnosticCode, _ node: NodeID?, _ property: String?, _ message: String
  ) {
    diagnostics.append(
      Diagnostic(code, path: node.map { tree[$0].path }, property: property, message))
  }

  mutating func link(
    _ consumer: NodeID, _ supplier: NodeID, _ property: LinkProperty, index: Int,
    arguments: [UInt32], range: IDRange? = nil
  ) {
    links.append(
      Link(
        consumer: consumer, consumerPath: tree[consumer].path, supplier: supplier,
        supplierPath: tree[supplier].path, property: property, index: index,
        arguments: arguments, range: range))
  }

  func path(_ node: NodeID) -> String { tree[node].path }

  /// Whether the node and all its ancestors are available: a device is only
  /// created for such nodes, so only they can probe.
  func isEnabled(_ node: NodeID) -> Bool {
    tree[node].isAvailable && tree.ancestors(of: node).allSatisfy { tree[$0].isAvailable }
  }

  /// The outermost ancestor that is a PCI bus node (`device_type = "pci"`),
  /// i.e. the host bridge: anything below it is a PCI device, configured
  /// through that root complex's `iommu-map`.
  func pciHost(above node: NodeID) -> NodeID? {
    tree.ancestors(of: node).last { tree[$0].property("device_type")?.string == "pci" }
  }
}

/// Formats cells the way kernel messages and DTS sources show them.
func hexList(_ cells: [UInt32]) -> String {
  cells.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
}

func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

/// "1 cell", "3 cells", "2 entries".
func counted(_ number: Int, _ noun: String) -> String {
  guard number != 1 else { return "1 \(noun)" }
  return noun.hasSuffix("y") ? "\(number) \(noun.dropLast())ies" : "\(number) \(noun)s"
}
