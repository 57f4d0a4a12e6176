// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// A phandle property a driver's probe resolves itself and waits on: until
/// the device it names is bound, the probe returns -EPROBE_DEFER.
/// `of_supplier_bindings` has no entry for these properties, so fw_devlink
/// makes no link and nothing else orders the two devices
/// (docs/kernel-rules.md §7.7).
public struct ProbeSupplierBinding: Hashable, Sendable {
  /// What the driver does with an entry whose node is not available.
  public enum Unavailable: Hashable, Sendable {
    /// It checks `of_device_is_available()` first and skips the entry.
    case skipped
    /// It looks the device up regardless: there is none, so its probe fails
    /// and it never binds.
    case fails
  }

  /// The driver whose probe reads the property, as it registers.
  public let driver: String
  /// The function that reads it.
  public let function: String
  public let property: String
  /// The nodes whose driver reads it: the match-table entries whose data
  /// leads the probe to the lookup.
  public let compatibles: [String]
  /// Only entry 0 is read (`of_parse_phandle(np, name, 0)`); otherwise
  /// every cell is a phandle (`of_count_phandle_with_args(np, name, NULL)`).
  public let firstOnly: Bool
  public let unavailable: Unavailable
}

/// The lookups of `ProbeSupplierBinding` the tool knows, taken from Debian's
/// 6.12 sources. Every phandle is a plain one (`of_parse_phandle()`); an
/// entry that resolves to nothing fails the probe.
public enum ProbeSupplierBindings {
  /// `mtk_iommu_mm_dts_parse()` (drivers/iommu/mtk_iommu.c), called from
  /// `mtk_iommu_probe()` for the match entries whose data has
  /// `MTK_IOMMU_TYPE_MM`: every compatible but the two `-iommu-infra` ones.
  /// A disabled larb is skipped; an available one without a device gives
  /// -ENODEV; one not yet bound (`!plarbdev->dev.driver`) -EPROBE_DEFER,
  /// before `iommu_device_register()`.
  public static let mtkIOMMULarbs = ProbeSupplierBinding(
    driver: "mtk-iommu", function: "mtk_iommu_mm_dts_parse", property: "mediatek,larbs",
    compatibles: [
      "mediatek,mt2712-m4u", "mediatek,mt6779-m4u", "mediatek,mt6795-m4u", "mediatek,mt8167-m4u",
      "mediatek,mt8173-m4u", "mediatek,mt8183-m4u", "mediatek,mt8186-iommu-mm",
      "mediatek,mt8188-iommu-vdo", "mediatek,mt8188-iommu-vpp", "mediatek,mt8192-m4u",
      "mediatek,mt8195-iommu-vdo", "mediatek,mt8195-iommu-vpp", "mediatek,mt8365-m4u",
    ],
    firstOnly: false, unavailable: .skipped)

  /// The same test in `mtk_iommu_v1_probe()` (drivers/iommu/mtk_iommu_v1.c).
  public static let mtkIOMMUv1Larbs = ProbeSupplierBinding(
    driver: "mtk-iommu-v1", function: "mtk_iommu_v1_probe", property: "mediatek,larbs",
    compatibles: ["mediatek,mt2701-m4u"], firstOnly: false, unavailable: .skipped)

  /// `mtk_smi_device_link_common()` (drivers/memory/mtk-smi.c), called from
  /// `mtk_smi_larb_probe()`: the larb's smi-common (or sub-common) must have
  /// its driver data set, i.e. be bound, else -EPROBE_DEFER; no device for
  /// it gives -EINVAL.
  public static let mtkSMILarbCommon = ProbeSupplierBinding(
    driver: "mtk-smi-larb", function: "mtk_smi_device_link_common", property: "mediatek,smi",
    compatibles: [
      "mediatek,mt2701-smi-larb", "mediatek,mt2712-smi-larb", "mediatek,mt6779-smi-larb",
      "mediatek,mt6795-smi-larb", "mediatek,mt8167-smi-larb", "mediatek,mt8173-smi-larb",
      "mediatek,mt8183-smi-larb", "mediatek,mt8186-smi-larb", "mediatek,mt8188-smi-larb",
      "mediatek,mt8192-smi-larb", "mediatek,mt8195-smi-larb",
    ],
    firstOnly: true, unavailable: .fails)

  /// The same function from `mtk_smi_common_probe()`, for the one match
  /// entry of type `MTK_SMI_GEN2_SUB_COMM`: a sub-common waits for its
  /// common.
  public static let mtkSMISubCommon = ProbeSupplierBinding(
    driver: "mtk-smi-common", function: "mtk_smi_device_link_common", property: "mediatek,smi",
    compatibles: ["mediatek,mt8195-smi-sub-common"], firstOnly: true, unavailable: .fails)

  public static let all: [ProbeSupplierBinding] = [
    mtkIOMMULarbs, mtkIOMMUv1Larbs, mtkSMILarbCommon, mtkSMISubCommon,
  ]

  /// The lookups a node's driver makes: those whose compatibles share one
  /// with the node. Each entry is `target` nil when the phandle is 0 or
  /// resolves to nothing (`of_parse_phandle()` gives NULL).
  static func lookups(of node: NodeID, in tree: DeviceTree) -> [(
    binding: ProbeSupplierBinding, target: NodeID?
  )] {
    let compatible = tree[node].compatible
    guard !compatible.isEmpty else { return [] }
    var result: [(ProbeSupplierBinding, NodeID?)] = []
    for binding in all where binding.compatibles.contains(where: compatible.contains) {
      guard let property = tree[node].property(binding.property) else { continue }
      let cells = property.cells
      for phandle in binding.firstOnly ? Array(cells.prefix(1)) : cells {
        result.append((binding, phandle == 0 ? nil : tree.node(phandle: phandle)))
      }
    }
    return result
  }
}
