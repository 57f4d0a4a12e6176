// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// A platform driver that binds a node and, from its probe, creates a child
/// platform device (`platform_device_register_data()`, with no node of its
/// own) whose driver provides part of what the node's consumers ask for, on
/// the parent's node. Such a consumer waits for both: the parent's module to
/// bind the node and create the child, and the child's, found through its
/// `platform:<name>` alias, to register the provider (docs/kernel-rules.md
/// §7.8).
///
/// The table also says which module binds the node when `modules.alias`
/// names several for its compatible.
public struct ParentDriver: Hashable, Sendable {
  /// The driver, as it registers.
  public let driver: String
  /// The `.ko` name of the module that binds the node.
  public let module: String
  /// The supplier properties the child serves; the parent serves the rest
  /// of what names the node itself.
  public let serves: Set<String>
  /// Compatible -> the name of the child platform device created for it.
  public let children: [String: String]

  /// `mtk_mmsys_probe()` (drivers/soc/mediatek/mtk-mmsys.c) registers
  /// `mmsys->data->clk_driver` for every match entry: the MMSYS clock
  /// gates, whose drivers (drivers/clk/mediatek/clk-*-mm.c, -vdo*, -vpp*)
  /// match by `platform_device_id` and register the provider on the
  /// parent's node (`mtk_clk_pdev_probe()`). The parent itself is the reset
  /// controller. For every entry but the vppsys ones it also creates
  /// `mediatek-drm`, which serves no supplier property; mediatek_drm lists
  /// several of these compatibles in `mtk_drm_of_ids` for autoloading only
  /// (its platform driver has no `of_match_table`), so `modules.alias`
  /// names it for them too, but it never binds the node.
  public static let mtkMMSYS = ParentDriver(
    driver: "mtk-mmsys", module: "mtk_mmsys", serves: ["clocks"],
    children: [
      "mediatek,mt2701-mmsys": "clk-mt2701-mm",
      "mediatek,mt2712-mmsys": "clk-mt2712-mm",
      "mediatek,mt6779-mmsys": "clk-mt6779-mm",
      "mediatek,mt6795-mmsys": "clk-mt6795-mm",
      "mediatek,mt6797-mmsys": "clk-mt6797-mm",
      "mediatek,mt8167-mmsys": "clk-mt8167-mm",
      "mediatek,mt8173-mmsys": "clk-mt8173-mm",
      "mediatek,mt8183-mmsys": "clk-mt8183-mm",
      "mediatek,mt8186-mmsys": "clk-mt8186-mm",
      "mediatek,mt8188-vdosys0": "clk-mt8188-vdo0",
      "mediatek,mt8188-vdosys1": "clk-mt8188-vdo1",
      "mediatek,mt8188-vppsys0": "clk-mt8188-vpp0",
      "mediatek,mt8188-vppsys1": "clk-mt8188-vpp1",
      "mediatek,mt8192-mmsys": "clk-mt8192-mm",
      "mediatek,mt8195-mmsys": "clk-mt8195-vdo0",
      "mediatek,mt8195-vdosys0": "clk-mt8195-vdo0",
      "mediatek,mt8195-vdosys1": "clk-mt8195-vdo1",
      "mediatek,mt8195-vppsys0": "clk-mt8195-vpp0",
      "mediatek,mt8195-vppsys1": "clk-mt8195-vpp1",
      "mediatek,mt8365-mmsys": "clk-mt8365-mm",
    ])

  public static let all: [ParentDriver] = [mtkMMSYS]

  /// The entry for a node and the child it creates: the node's first
  /// compatible string some entry lists, as the driver's match table takes
  /// the most specific.
  public static func matching(compatible: [String]) -> (driver: ParentDriver, child: String)? {
    for string in compatible {
      for driver in all {
        if let child = driver.children[string] { return (driver, child) }
      }
    }
    return nil
  }
}
