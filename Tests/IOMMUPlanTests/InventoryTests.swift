// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

@Suite struct InventoryTests {
  let report: Report

  init() throws { report = Report(tree: try Fixtures.tree("inventory.dts"), inputPath: "i.dtb") }

  func iommu(_ path: String) throws -> IOMMU {
    try #require(report.iommus.first { report.path(of: $0) == path })
  }

  @Test func inventoryHoldsSuppliersCellsLegacyAndDriverMatches() {
    #expect(
      report.iommus.map(report.path(of:)) == [
        "/iommu@1000", "/iommu@2000", "/iommu@3000", "/virtio@5000",
      ])
  }

  @Test func bindingKinds() throws {
    #expect(try iommu("/iommu@1000").binding == .generic)
    #expect(try iommu("/iommu@2000").binding == .legacy)
    #expect(try iommu("/iommu@3000").binding == .unused)
    #expect(try iommu("/virtio@5000").binding == .generic)
  }

  @Test func fields() throws {
    let smmu = try iommu("/iommu@1000")
    #expect(smmu.label == "smmu_generic")
    #expect(smmu.iommuCells == 2)
    #expect(smmu.driver?.name == "arm-smmu")
    #expect(smmu.driver?.module == "arm_smmu")
    let legacy = try iommu("/iommu@2000")
    #expect(legacy.iommuCells == nil)
    #expect(try iommu("/iommu@3000").isAvailable == false)
    #expect(try iommu("/virtio@5000").driver?.name == "virtio-iommu")
  }

  @Test func linksOfEachBinding() {
    let summary = report.links.map {
      "\(report.consumerPath($0)) \($0.property.rawValue)[\($0.index)] -> "
        + "\(report.supplierPath($0)) \(Array($0.arguments))"
    }
    #expect(
      summary == [
        "/dma@7000 mmu-masters[0] -> /iommu@2000 [16]",
        "/usb@6000 iommus[0] -> /iommu@1000 [1856, 0]",
        "/usb@6000 iommus[1] -> /virtio@5000 [3]",
      ])
  }
}

@Suite struct IOMMUMapLayoutTests {
  let tree: DeviceTree
  init() throws { tree = try Fixtures.tree("iommu-map-five-cell.dts") }

  @Test func sevenTwoReadsTwoCellSpecifiers() {
    let report = Report(tree: tree, inputPath: "m.dtb", kernel: .newest)
    let links = report.links.filter { $0.property == .iommuMap }
    #expect(links.map(\.arguments) == [[0x1c00, 0], [0x1c01, 0]])
    #expect(links.map { $0.range?.base } == [0, 0x100])
    #expect(links.allSatisfy { $0.range?.length == 1 && $0.range?.mask == nil })
    #expect(report.diagnostics.map(\.code) == [.iommuMapLayoutDiffers])
  }

  @Test func olderKernelsRejectTheWholeMap() {
    let report = Report(tree: tree, inputPath: "m.dtb", kernel: KernelVersion(6, 12))
    #expect(report.links.isEmpty)
    #expect(Set(report.diagnostics.map(\.code)) == [.iommuMapLayoutDiffers, .iommuMapBadLength])
    let differs = report.diagnostics.first { $0.code == .iommuMapLayoutDiffers }
    #expect(differs?.message.contains("7.2 reads 2 entries of 5 cells") == true)
  }
}

@Suite struct DriverTableTests {
  @Test func theFirstCompatibleADriverListsWins() {
    #expect(
      IOMMUDriver.matching(
        compatible: ["qcom,sdm845-smmu-500", "arm,mmu-500"], hasIOMMUCells: true)?
        .name == "arm-smmu")
    #expect(
      IOMMUDriver.matching(compatible: ["arm,smmu-v3"], hasIOMMUCells: true) == .armSMMUv3)
    #expect(IOMMUDriver.matching(compatible: ["example,iommu"], hasIOMMUCells: true) == nil)
  }

  @Test func virtioMMIOIsAnIOMMUOnlyWithIOMMUCells() {
    #expect(IOMMUDriver.matching(compatible: ["virtio,mmio"], hasIOMMUCells: false) == nil)
    #expect(
      IOMMUDriver.matching(compatible: ["virtio,mmio"], hasIOMMUCells: true)?.name
        == "virtio-iommu")
  }

  @Test func everyCompatibleBelongsToOneDriver() {
    let all = IOMMUDriver.all.flatMap(\.compatibles)
    #expect(all.count == Set(all).count)
  }

  @Test func boolDriversHaveNoModuleAndOmapHasNoXlate() {
    let byName = Dictionary(uniqueKeysWithValues: IOMMUDriver.all.map { ($0.name, $0) })
    #expect(byName["rk_iommu"]?.isTristate == false)
    #expect(byName["arm-smmu-v3"]?.isTristate == true)
    #expect(byName["omap-iommu"]?.hasOFXlate == false)
    #expect(byName["arm-smmu"]?.iommuCells == [1, 2])
  }
}

@Suite struct KernelVersionTests {
  @Test(arguments: [
    ("6.1", KernelVersion(6, 1)), ("v6.12", KernelVersion(6, 12)),
    ("6.1.0-50-arm64", KernelVersion(6, 1)), ("7.2", KernelVersion(7, 2)),
  ])
  func parses(text: String, version: KernelVersion) {
    #expect(KernelVersion(parsing: text) == version)
  }

  @Test(arguments: ["", "6", "six.one", "6.x"])
  func rejects(text: String) {
    #expect(KernelVersion(parsing: text) == nil)
  }

  @Test func mapLayoutSwitchesAtSevenTwo() {
    #expect(KernelVersion(7, 1).sizesMapEntriesByTargetCells == false)
    #expect(KernelVersion(7, 2).sizesMapEntriesByTargetCells)
    #expect(KernelVersion(6, 12) < KernelVersion(7, 1))
  }
}

@Suite struct DependencyGraphTests {
  func ids(_ values: [Int]) -> [NodeID] { values.map(NodeID.init) }

  @Test func findsEachCycleOnceStartingAtItsSmallestNode() {
    let graph = DependencyGraph(edges: [
      (NodeID(5), NodeID(3)), (NodeID(3), NodeID(4)), (NodeID(4), NodeID(5)),
      (NodeID(1), NodeID(2)), (NodeID(7), NodeID(7)), (NodeID(2), NodeID(9)),
    ])
    #expect(graph.cycles == [ids([3, 4, 5, 3]), ids([7, 7])])
  }

  @Test func anAcyclicGraphHasNoCycles() {
    let graph = DependencyGraph(edges: [(NodeID(1), NodeID(2)), (NodeID(2), NodeID(3))])
    #expect(graph.cycles.isEmpty)
  }

  @Test func aLongChainDoesNotOverflowTheStack() {
    let edges = (0..<50_000).map { (NodeID($0), NodeID($0 + 1)) } + [(NodeID(50_000), NodeID(0))]
    #expect(DependencyGraph(edges: edges).cycles.first?.count == 50_002)
  }
}

@Suite struct PCIIOMMUTests {
  @Test func anIOMMUWhoseOwnRIDIsMappedToItselfIsACycle() throws {
    let report = Report(tree: try Fixtures.tree("pci-iommu-own-rid.dts"), inputPath: "p.dtb")
    let cycle = try #require(report.diagnostics.first { $0.code == .dependencyCycle })
    #expect(report.path(of: cycle) == "/pcie@10000000/iommu@1,0")
    #expect(cycle.message.contains("its own RID 0x8 is mapped by /pcie@10000000 iommu-map entry 0"))
    #expect(cycle.message.hasSuffix("it would wait for itself"))
  }

  @Test func theVirtioSampleLeavesItsOwnRIDOut() throws {
    let tree = try DeviceTree(
      blob: Fixtures.blob(dts: Fixtures.samples.appendingPathComponent("virtio-iommu-pci.dts")))
    let report = Report(tree: tree, inputPath: "v.dtb")
    #expect(report.diagnostics.isEmpty)
    #expect(
      report.links.compactMap { $0.range.map { [$0.base, $0.length] } } == [[0, 8], [9, 0xfff7]])
  }
}

/// `IOMMUDriver.matching(_:)` compares a node's compatible in place; it must
/// pick what the list form picks for every node of every sample and fixture.
@Suite struct DriverMatchingTests {
  static let trees: [String] = {
    let fixtures = Fixtures.url("")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
    return names.filter { $0.hasSuffix(".dts") }.sorted()
  }()

  @Test(arguments: trees)
  func inPlaceMatchingAgreesWithTheList(fixture: String) throws {
    let tree = try Fixtures.tree(fixture)
    for node in tree.nodes {
      let listed = IOMMUDriver.matching(
        compatible: node.compatible, hasIOMMUCells: node.property("#iommu-cells") != nil)
      #expect(IOMMUDriver.matching(node) == listed, "\(fixture): \(node.path)")
    }
  }

  @Test func someFixtureNodesMatchADriver() throws {
    var matched = 0
    for fixture in Self.trees {
      let tree = try Fixtures.tree(fixture)
      matched += tree.nodes.count { IOMMUDriver.matching($0) != nil }
    }
    #expect(matched > 50)
  }
}
