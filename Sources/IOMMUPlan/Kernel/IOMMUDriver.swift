// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// An upstream IOMMU driver, as docs/kernel-rules.md §5.1 tables it
/// (6.12 match lists; 6.1's are a subset).
public struct IOMMUDriver: Hashable, Sendable {
  /// The driver's name as it registers, e.g. `arm-smmu`.
  public let name: String
  /// The Kconfig symbol without `CONFIG_`.
  public let kconfig: String
  /// The `.ko` basename; nil for bool drivers, which can only be built in.
  public let module: String?
  public let compatibles: [String]
  /// The `#iommu-cells` values its binding and `of_xlate` accept.
  public let iommuCells: [Int]
  /// False for omap-iommu, whose ops have no `of_xlate`: consumers get no
  /// IOMMU from of_iommu once it is registered.
  public let hasOFXlate: Bool
  /// virtio-iommu over virtio-mmio: a `virtio,mmio` node is an IOMMU only when
  /// it carries `#iommu-cells`.
  public let needsIOMMUCellsToMatch: [String]

  /// qcom_iommu, mtk_iommu(_v1) and apple-dart fail `of_xlate` with -EINVAL
  /// unless the specifier has exactly one cell.
  public let rejectsOtherCellCounts: Bool
  /// What the driver does with a stream ID two masters share.
  public let streamIDs: StreamIDSharing

  public var isTristate: Bool { module != nil }

  /// How an IOMMU driver treats two masters with one stream ID.
  public enum StreamIDSharing: Hashable, Sendable {
    /// arm-smmu-v3 and virtio-iommu refuse the second ("already in tree").
    case exclusive
    /// arm-smmu v1/v2 puts masters whose SMRs match in one IOMMU group.
    case grouped
    /// Not modelled.
    case unchecked
  }

  init(
    _ name: String, kconfig: String, module: String?, cells: [Int], xlate: Bool = true,
    oneCellOnly: Bool = false, streamIDs: StreamIDSharing = .unchecked,
    compatibles: [String], onlyWithCells: [String] = []
  ) {
    self.name = name
    self.kconfig = kconfig
    self.module = module
    self.iommuCells = cells
    self.hasOFXlate = xlate
    self.rejectsOtherCellCounts = oneCellOnly
    self.streamIDs = streamIDs
    self.compatibles = compatibles
    self.needsIOMMUCellsToMatch = onlyWithCells
  }

  /// The arm-smmu (v1/v2/MMU-500) driver, the only one with a legacy binding.
  public static let armSMMU = IOMMUDriver(
    "arm-smmu", kconfig: "ARM_SMMU", module: "arm_smmu", cells: [1, 2], streamIDs: .grouped,
    compatibles: [
      "arm,smmu-v1", "arm,smmu-v2", "arm,mmu-400", "arm,mmu-401", "arm,mmu-500",
      "cavium,smmu-v2", "nvidia,smmu-500", "qcom,smmu-v2",
    ])

  public static let armSMMUv3 = IOMMUDriver(
    "arm-smmu-v3", kconfig: "ARM_SMMU_V3", module: "arm_smmu_v3", cells: [1],
    streamIDs: .exclusive, compatibles: ["arm,smmu-v3"])

  /// Every upstream driver the tool knows.
  public static let all: [IOMMUDriver] = [
    armSMMU,
    armSMMUv3,
    IOMMUDriver(
      "qcom-iommu", kconfig: "QCOM_IOMMU", module: nil, cells: [1], oneCellOnly: true,
      compatibles: ["qcom,msm-iommu-v1", "qcom,msm-iommu-v2"]),
    IOMMUDriver(
      "tegra-smmu", kconfig: "TEGRA_IOMMU_SMMU", module: nil, cells: [1],
      compatibles: [
        "nvidia,tegra30-mc", "nvidia,tegra114-mc", "nvidia,tegra124-mc", "nvidia,tegra132-mc",
        "nvidia,tegra210-mc",
      ]),
    IOMMUDriver(
      "rk_iommu", kconfig: "ROCKCHIP_IOMMU", module: nil, cells: [0],
      compatibles: ["rockchip,iommu", "rockchip,rk3568-iommu"]),
    IOMMUDriver(
      "mtk-iommu", kconfig: "MTK_IOMMU", module: "mtk_iommu", cells: [1], oneCellOnly: true,
      compatibles: [
        "mediatek,mt2712-m4u", "mediatek,mt6779-m4u", "mediatek,mt6795-m4u",
        "mediatek,mt8167-m4u", "mediatek,mt8173-m4u", "mediatek,mt8183-m4u",
        "mediatek,mt8186-iommu-mm", "mediatek,mt8188-iommu-infra", "mediatek,mt8188-iommu-vdo",
        "mediatek,mt8188-iommu-vpp", "mediatek,mt8192-m4u", "mediatek,mt8195-iommu-infra",
        "mediatek,mt8195-iommu-vdo", "mediatek,mt8195-iommu-vpp", "mediatek,mt8365-m4u",
      ]),
    IOMMUDriver(
      "mtk-iommu-v1", kconfig: "MTK_IOMMU_V1", module: "mtk_iommu_v1", cells: [1],
      oneCellOnly: true, compatibles: ["mediatek,mt2701-m4u"]),
    IOMMUDriver(
      "apple-dart", kconfig: "APPLE_DART", module: "apple-dart", cells: [1], oneCellOnly: true,
      compatibles: [
        "apple,t8103-dart", "apple,t8103-usb4-dart", "apple,t8110-dart", "apple,t6000-dart",
      ]),
    IOMMUDriver(
      "ipmmu-vmsa", kconfig: "IPMMU_VMSA", module: nil, cells: [1],
      compatibles: [
        "renesas,ipmmu-vmsa", "renesas,ipmmu-r8a774a1", "renesas,ipmmu-r8a774b1",
        "renesas,ipmmu-r8a774c0", "renesas,ipmmu-r8a774e1", "renesas,ipmmu-r8a7795",
        "renesas,ipmmu-r8a7796", "renesas,ipmmu-r8a77961", "renesas,ipmmu-r8a77965",
        "renesas,ipmmu-r8a77970", "renesas,ipmmu-r8a77980", "renesas,ipmmu-r8a77990",
        "renesas,ipmmu-r8a77995", "renesas,ipmmu-r8a779a0", "renesas,rcar-gen4-ipmmu-vmsa",
      ]),
    IOMMUDriver(
      "exynos-sysmmu", kconfig: "EXYNOS_IOMMU", module: nil, cells: [0],
      compatibles: ["samsung,exynos-sysmmu"]),
    IOMMUDriver(
      "sun50i-iommu", kconfig: "SUN50I_IOMMU", module: nil, cells: [1],
      compatibles: ["allwinner,sun50i-h6-iommu", "allwinner,sun50i-h616-iommu"]),
    IOMMUDriver(
      "sprd-iommu", kconfig: "SPRD_IOMMU", module: "sprd-iommu", cells: [0],
      compatibles: ["sprd,iommu-v1"]),
    IOMMUDriver(
      "virtio-iommu", kconfig: "VIRTIO_IOMMU", module: "virtio-iommu", cells: [1],
      streamIDs: .exclusive, compatibles: ["virtio,pci-iommu", "pci1af4,1057", "virtio,mmio"],
      onlyWithCells: ["virtio,mmio"]),
    IOMMUDriver(
      "msm_iommu", kconfig: "MSM_IOMMU", module: nil, cells: [1],
      compatibles: ["qcom,apq8064-iommu"]),
    IOMMUDriver(
      "omap-iommu", kconfig: "OMAP_IOMMU", module: nil, cells: [0], xlate: false,
      compatibles: ["ti,omap2-iommu", "ti,omap4-iommu", "ti,dra7-iommu", "ti,dra7-dsp-iommu"]),
  ]

  private static let byCompatible: [String: IOMMUDriver] = {
    var table: [String: IOMMUDriver] = [:]
    for driver in all {
      for compatible in driver.compatibles where table[compatible] == nil {
        table[compatible] = driver
      }
    }
    return table
  }()

  /// The driver that takes a node: its compatible strings in order, the first
  /// one some driver lists wins (the most specific string comes first).
  public static func matching(compatible: [String], hasIOMMUCells: Bool) -> IOMMUDriver? {
    for string in compatible {
      guard let driver = byCompatible[string] else { continue }
      if driver.needsIOMMUCellsToMatch.contains(string) && !hasIOMMUCells { continue }
      return driver
    }
    return nil
  }

  /// The same for a node, its `compatible` compared in place: the inventory
  /// asks this of every node of every tree, and nearly all match nothing,
  /// so no String is made for an entry no driver lists.
  public static func matching(_ node: Node) -> IOMMUDriver? {
    guard let compatible = node.property("compatible") else { return nil }
    return compatible.bytes.withUnsafeBytes { value in
      var start = 0
      while start < value.count {
        let end = value[start...].firstIndex(of: 0) ?? value.count
        let entry = UnsafeBufferPointer(rebasing: value[start..<end])
        start = end + 1
        guard entry.count < byLength.count else { continue }
        for candidate in byLength[entry.count] where candidate.utf8.elementsEqual(entry) {
          let driver = all[candidate.driver]
          let name = String(decoding: entry, as: UTF8.self)
          if driver.needsIOMMUCellsToMatch.contains(name) && node.property("#iommu-cells") == nil {
            break
          }
          return driver
        }
      }
      return nil
    }
  }

  /// `byCompatible` as UTF-8 and an index into `all`, bucketed by length,
  /// for `matching(_:)`.
  private static let byLength: [[(utf8: [UInt8], driver: Int)]] = {
    let longest = byCompatible.keys.map(\.utf8.count).max() ?? 0
    var table = Array(repeating: [(utf8: [UInt8], driver: Int)](), count: longest + 1)
    for (compatible, driver) in byCompatible.sorted(by: { $0.key < $1.key }) {
      guard let index = all.firstIndex(of: driver) else { continue }
      table[compatible.utf8.count].append((Array(compatible.utf8), index))
    }
    return table
  }()
}
